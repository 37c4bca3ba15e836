"""Several items in one photo: each item found (`wildlens.data.items`) is cropped with a margin,
the table round it blurred (`soften_surround`), and decided by the same `Predictor` as a photo of
it alone (calibration, unknown rule, routing unchanged), so nothing is auto-accepted that would
not be alone; the photo's answer is the list of items and their counts.

    answer = predict_items(predictor, loaded.image)
    answer.items[0].box, answer.items[0].prediction.decision
    summary_line(answer.counts)   # "4 elephant_ivory identified, 2 for review, 1 unknown"
    overview = draw_items(image, [(i.index, i.box, i.prediction.decision) for i in answer.items])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from wildlens.data.items import (
    ITEM_MARGIN,
    FinderSettings,
    ItemBox,
    crops_of,
    find_items,
    scale_to,
    soften_surround,
)
from wildlens.model.trust.routing import IDENTIFIED, REVIEW, UNKNOWN

if TYPE_CHECKING:
    from wildlens.model.serving.predictor import Prediction, Predictor


@dataclass(frozen=True)
class Item:
    index: int  # 1-based, in reading order: the number drawn on the photo
    box: ItemBox  # in pixels of the upright photo as given
    prediction: Prediction


@dataclass(frozen=True)
class ItemsAnswer:
    """A photo's answer: each item with its decision, and the counts (`item_counts`)."""

    items: list[Item]

    @property
    def counts(self) -> dict[str, Any]:
        return item_counts([item.prediction for item in self.items])


def predict_items(
    predictor: Predictor,
    image: Image.Image,
    full_size: tuple[int, int] | None = None,
    settings: FinderSettings | None = None,
    suspended: bool = False,
    find: Callable[..., list[ItemBox]] = find_items,
) -> ItemsAnswer:
    """Find the items of `image` and decide each crop as a photo alone.

    Args:
        image: the decoded upright photo (possibly reduced by draft decoding).
        full_size: the photo's upright (width, height), when `image` was decoded smaller: boxes
            are given in its pixels.
        suspended: the shift guard's verdict, applied to every item.
    """
    boxes = find(image, settings)
    crops = crops_of(image, boxes, ITEM_MARGIN)
    predictions = []
    if crops:  # decided with the table round each item blurred; image quality of the crop itself
        outputs = predictor.outputs([soften_surround(crop) for crop in crops])
        qualities = [predictor.quality(crop) for crop in crops]
        predictions = predictor.decide(outputs, qualities, [suspended] * len(crops))
    size = full_size or image.size
    factor = (size[0] / image.size[0], size[1] / image.size[1])
    return ItemsAnswer(
        [
            Item(i, scale_to(box, factor, size), prediction)
            for i, (box, prediction) in enumerate(zip(boxes, predictions, strict=True), start=1)
        ]
    )


def item_counts(predictions: Sequence[Prediction | dict[str, Any]]) -> dict[str, Any]:
    """Items per decision, and per class for `identified` and `review`; an `unknown` item names
    no class. Takes predictions or their records (`Prediction.to_dict()`)."""
    counted: dict[str, Counter[str]] = {IDENTIFIED: Counter(), REVIEW: Counter()}
    unknown = 0
    for prediction in predictions:
        decision, label = _decision_and_label(prediction)
        if decision == UNKNOWN:
            unknown += 1
        else:
            counted[decision][label] += 1
    return {
        "items": len(predictions),
        IDENTIFIED: dict(sorted(counted[IDENTIFIED].items())),
        REVIEW: dict(sorted(counted[REVIEW].items())),
        UNKNOWN: unknown,
    }


def _decision_and_label(prediction: Prediction | dict[str, Any]) -> tuple[str, str]:
    if isinstance(prediction, dict):
        return prediction["decision"], prediction["label"]
    return prediction.decision, prediction.label


def summary_line(counts: dict[str, Any], name: Callable[[str], str] = str) -> str:
    """One line for a person: "4 elephant_ivory identified, 2 for review, 1 unknown" (`name`
    turns a class id into a display name)."""
    if not counts["items"]:
        return "no items found"
    parts = [f"{n} {name(c)} identified" for c, n in counts[IDENTIFIED].items()]
    review = sum(counts[REVIEW].values())
    if review:
        parts.append(f"{review} for review")
    if counts[UNKNOWN]:
        parts.append(f"{counts[UNKNOWN]} unknown")
    return ", ".join(parts)


# Okabe-Ito colours, told apart with every common colour-vision deficiency and by lightness
# (blue dark, orange light, reddish purple between); each box also carries its number, and its
# outline says the decision without colour: solid (identified), dashed (review), dotted
# (unknown).
DECISION_COLOURS = {IDENTIFIED: "#0072B2", REVIEW: "#E69F00", UNKNOWN: "#CC79A7"}
DASHES = {IDENTIFIED: None, REVIEW: (6, 3), UNKNOWN: (2, 2)}  # (on, off) in line widths


def draw_items(
    image: Image.Image,
    boxes: Sequence[tuple[int, ItemBox | Sequence[int], str]],
    full_size: tuple[int, int] | None = None,
) -> Image.Image:
    """The photo with each item's numbered box, coloured and outlined by its decision.

    Args:
        image: the photo (possibly reduced); a copy is drawn on.
        boxes: (number, box, decision) of each item, boxes in pixels of `full_size`.
        full_size: the photo's upright (width, height) the boxes are in (default: `image`'s).
    """
    overview = image.convert("RGB")  # a copy, whatever the mode
    draw = ImageDraw.Draw(overview)
    scale = overview.width / (full_size or image.size)[0]
    width = max(2, round(max(overview.size) / 250))
    for number, box, decision in boxes:
        x0, y0, x1, y1 = (round(v * scale) for v in _corners(box))
        colour = DECISION_COLOURS.get(decision, "#555555")
        _outline(draw, (x0, y0, x1, y1), colour, width, DASHES.get(decision))
        size = 10 * width
        tag = (x0, y0, x0 + size * (0.7 * len(str(number)) + 0.6), y0 + size * 1.25)
        draw.rectangle(tag, fill=colour)
        text = "white" if decision != REVIEW else "black"  # contrast on blue, orange, purple
        draw.text((x0 + 0.3 * size, y0 + 0.1 * size), str(number), fill=text, font_size=size)
    return overview


def _corners(box: ItemBox | Sequence[int]) -> tuple[int, int, int, int]:
    if isinstance(box, ItemBox):
        return box.as_tuple()
    x0, y0, x1, y1 = box
    return x0, y0, x1, y1


def _outline(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    colour: str,
    width: int,
    dash: tuple[int, int] | None,
) -> None:
    """A rectangle's outline, solid or dashed (`dash`: on and off lengths in line widths)."""
    if dash is None:
        draw.rectangle(box, outline=colour, width=width)
        return
    x0, y0, x1, y1 = box
    on, off = dash[0] * width, dash[1] * width
    for start, end in (
        ((x0, y0), (x1, y0)),
        ((x1, y0), (x1, y1)),
        ((x1, y1), (x0, y1)),
        ((x0, y1), (x0, y0)),
    ):
        length = max(abs(end[0] - start[0]), abs(end[1] - start[1]))
        step = (
            (end[0] - start[0]) / length if length else 0,
            (end[1] - start[1]) / length if length else 0,
        )
        at = 0
        while at < length:
            stop = min(length, at + on)
            draw.line(
                (
                    start[0] + step[0] * at,
                    start[1] + step[1] * at,
                    start[0] + step[0] * stop,
                    start[1] + step[1] * stop,
                ),
                fill=colour,
                width=width,
            )
            at = stop + off

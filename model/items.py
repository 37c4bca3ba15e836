"""Several items in one photo: each item found (`wildlens.data.items`) is cropped with a margin
and decided by the same `Predictor.predict` as a photo of it alone (calibration, unknown rule,
routing unchanged), so nothing is auto-accepted that would not be alone; the photo's answer is
the list of items and their counts.

    answer = predict_items(predictor, loaded.image)
    answer.items[0].box, answer.items[0].prediction.decision
    summary_line(answer.counts)   # "4 elephant_ivory identified, 2 for review, 1 unknown"
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from wildlens.data.items import (
    ITEM_MARGIN,
    FinderSettings,
    ItemBox,
    crops_of,
    find_items,
    scale_to,
)
from wildlens.model.routing import IDENTIFIED, REVIEW, UNKNOWN

if TYPE_CHECKING:
    from wildlens.model.predictor import Prediction, Predictor


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
    predictions = predictor.predict(crops, [suspended] * len(crops)) if crops else []
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

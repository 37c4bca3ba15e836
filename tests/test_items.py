"""Items on a table: the finder on generated tables, per-item decisions, and infer.py items=true."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from wildlens.data.items import (
    FinderSettings,
    ItemBox,
    brightened,
    crops_of,
    find_items,
    reading_order,
    soften_surround,
    solidity,
    split_blobs,
)
from wildlens.model.serving.items import item_counts, predict_items, summary_line


def table(kind: str, size=(900, 600), seed=0) -> np.ndarray:
    """A surface: plain with a light gradient, wood-like streaks, or a noisy cloth weave."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "plain":
        shade = 1 + 0.1 * (x / width - 0.5)
        image = np.array([200, 195, 185]) * shade[..., None]
    elif kind == "wood":
        shade = 1 + 0.12 * np.sin(y / height * 40 * np.pi + 2 * np.sin(x / width * 3))
        image = np.array([150, 100, 60]) * shade[..., None]
    else:
        weave = 0.5 * (np.sin(2 * np.pi * x / 5) + np.sin(2 * np.pi * y / 5))
        image = np.array([60, 80, 120]) * (1 + 0.08 * weave)[..., None]
        image = image + rng.normal(0, 6, (height, width, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


def lay(surface: np.ndarray, boxes, colours) -> Image.Image:
    """Ellipses (items) of the given boxes and colours on the surface, with a little texture."""
    image = Image.fromarray(surface)
    draw = ImageDraw.Draw(image)
    for box, colour in zip(boxes, colours, strict=True):
        draw.ellipse(box.as_tuple(), fill=colour)
        x0, y0, x1, y1 = box.as_tuple()
        draw.line((x0 + 10, (y0 + y1) // 2, x1 - 10, (y0 + y1) // 2), fill=(40, 40, 40), width=3)
    return image


def iou(a: ItemBox, b: ItemBox) -> float:
    ix = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    return ix * iy / (a.area + b.area - ix * iy)


THREE = [ItemBox(60, 60, 260, 200), ItemBox(400, 80, 520, 300), ItemBox(620, 350, 860, 560)]
COLOURS = [(240, 235, 220), (90, 60, 40), (30, 120, 60)]


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_items_apart_on_a_surface_are_each_found_once(kind):
    found = find_items(lay(table(kind), THREE, COLOURS))
    assert len(found) == 3
    for truth, box in zip(THREE, found, strict=True):  # reading order matches the layout
        assert iou(truth, box) > 0.8


def test_boxes_are_in_pixels_of_the_photo_whatever_its_size():
    small = lay(table("plain"), THREE, COLOURS)
    large = small.resize((small.width * 3, small.height * 3), Image.BICUBIC)
    found = find_items(large)
    assert len(found) == 3
    for truth, box in zip(THREE, found, strict=True):
        scaled = ItemBox(truth.x0 * 3, truth.y0 * 3, truth.x1 * 3, truth.y1 * 3)
        assert iou(scaled, box) > 0.8


def test_a_bare_surface_holds_no_item():
    assert find_items(Image.fromarray(table("wood"))) == []


def test_a_photo_filled_by_one_item_stays_one_item():
    surface = table("plain", (600, 600))
    image = lay(surface, [ItemBox(-50, -50, 650, 650)], [(120, 90, 50)])
    assert find_items(image) == [ItemBox(0, 0, 600, 600)]


def test_a_pair_side_by_side_filling_the_photo_stays_one_item():
    # Two shoes of a pair: two pieces apart, together covering more than a quarter of the frame.
    surface = table("wood", (600, 800))
    pair = [ItemBox(90, 150, 270, 650), ItemBox(330, 150, 510, 650)]
    image = lay(surface, pair, [(230, 230, 235), (230, 230, 235)])
    assert find_items(image) == [ItemBox(0, 0, 600, 800)]
    # the same two laid smaller on a larger table are two items
    assert len(find_items(image, FinderSettings(cover_share=0.5))) == 2


def test_a_close_up_cut_by_the_photo_edge_stays_one_item():
    # A garment running off the bottom edge, its print a separate piece: one item, not two.
    surface = table("cloth", (600, 600))
    image = lay(surface, [ItemBox(150, 250, 450, 700)], [(40, 60, 150)])
    ImageDraw.Draw(image).ellipse((250, 80, 330, 160), fill=(240, 220, 40))
    assert find_items(image) == [ItemBox(0, 0, 600, 600)]


def folds(kind: str = "plain", size=(900, 600)) -> Image.Image:
    """A garment of the surface's own colour filling the frame, seen only by its folds and
    shadows: dark curved lines spread over the photo, each apart from the others."""
    image = Image.fromarray(table(kind, size))
    draw = ImageDraw.Draw(image)
    for box, start in [
        ((80, 60, 420, 400), 180),
        ((480, 80, 820, 420), 270),
        ((250, 300, 650, 700), 200),
    ]:
        draw.arc(box, start, start + 100, fill=(70, 60, 50), width=10)
    return image


def test_solidity_is_high_for_a_blob_and_low_for_a_curved_line():
    blob, line = Image.new("L", (200, 200)), Image.new("L", (200, 200))
    ImageDraw.Draw(blob).ellipse((40, 40, 160, 160), fill=1)
    ImageDraw.Draw(line).arc((20, 20, 180, 180), 180, 300, fill=1, width=6)
    assert solidity(np.asarray(blob, bool)) > 0.95
    assert solidity(np.asarray(line, bool)) < 0.4


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_a_garment_seen_only_by_its_folds_stays_one_item(kind):
    # Its folds are found as pieces apart, none filling its hull: fragments of one item.
    image = folds(kind)
    assert find_items(image) == [ItemBox(0, 0, 900, 600)]
    assert len(find_items(image, FinderSettings(fragment_solidity=0.0))) >= 2


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_a_thin_curved_item_among_solid_ones_is_found_with_them(kind):
    # A curved tusk piece (a thick arc, filling well under half of its hull) beside three solid
    # items: it is an item of its own, not a sign that the photo is one item in fragments.
    image = lay(table(kind), THREE, COLOURS)
    draw = ImageDraw.Draw(image)
    draw.arc((640, 70, 800, 230), start=180, end=360, fill=(40, 40, 160), width=10)
    found = find_items(image)
    assert ItemBox(0, 0, 900, 600) not in found
    assert len(found) == 4
    for truth in THREE:
        assert max(iou(truth, box) for box in found) > 0.8


def test_items_laid_apart_inside_the_photo_are_not_taken_for_one():
    # Six items laid apart: each apart and none at the edge, together well under a quarter.
    corners = [(60 + 290 * (i % 3), 80 + 280 * (i // 3)) for i in range(6)]
    boxes = [ItemBox(x, y, x + 140, y + 140) for x, y in corners]  # 0.22 of the frame
    image = lay(table("plain", (900, 600)), boxes, [COLOURS[i % 3] for i in range(6)])
    assert len(find_items(image)) == 6


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_items_whose_boxes_come_close_but_outlines_do_not_are_two(kind):
    # An L-shaped item and a round one laid just past the empty corner of the L's box: their
    # boxes 5 px apart, their outlines about 80.
    image = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 200, 170, 450), fill=(90, 60, 40))
    draw.rectangle((100, 380, 400, 450), fill=(90, 60, 40))
    draw.ellipse((405, 200, 565, 360), fill=(240, 235, 220))
    found = find_items(image)
    assert len(found) == 2
    assert max(iou(ItemBox(100, 200, 401, 451), box) for box in found) > 0.8
    assert max(iou(ItemBox(405, 200, 566, 361), box) for box in found) > 0.8


def test_a_table_with_an_item_laid_against_its_edge_is_not_a_close_up():
    # Two items inside the photo and a third as large reaching its bottom edge: a table, not
    # one item cut by the frame (a close-up's piece at the edge dwarfs the rest: test above).
    image = lay(table("plain"), THREE[:2], COLOURS[:2])
    ImageDraw.Draw(image).ellipse((300, 440, 560, 640), fill=(30, 40, 150))
    found = find_items(image)
    assert len(found) == 3
    assert any(box.y1 == 600 and box.x0 < 310 and box.x1 > 550 for box in found)
    for truth in THREE[:2]:
        assert max(iou(truth, box) for box in found) > 0.8
    assert find_items(image, FinderSettings(edge_rival=100.0)) == [ItemBox(0, 0, 900, 600)]


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_items_laid_touching_are_found_apart(kind):
    # Two round items, the second laid overlapping the first by a few pixels, and one apart.
    pair = [ItemBox(150, 150, 330, 330), ItemBox(322, 170, 502, 350)]
    image = lay(table(kind), [*pair, THREE[2]], COLOURS)
    found = find_items(image)
    assert len(found) == 3
    for truth, box in zip([*pair, THREE[2]], found, strict=True):
        assert iou(truth, box) > 0.8


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_items_laid_edge_to_edge_in_different_colours_are_two(kind):
    # Two boxy items (garments laid flat) touching along a whole side: their union has no neck
    # to cut, their colours tell them apart.
    image = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(image)
    left, right = ItemBox(250, 150, 430, 390), ItemBox(430, 170, 610, 380)
    draw.rectangle((250, 150, 429, 389), fill=(170, 40, 40))
    draw.rectangle((430, 170, 609, 379), fill=(50, 55, 70))
    found = find_items(image)
    assert len(found) == 2
    for truth in (left, right):
        assert max(iou(truth, box) for box in found) > 0.8
    assert len(find_items(image, FinderSettings(split_colour=1000.0))) == 1


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_items_meeting_where_both_outlines_turn_in_are_two(kind):
    # A striped garment and a dark one laid touching, one lower than the other: no neck, and the
    # colours do not fall in two solid blobs (the stripes), but the outline turns in where they
    # meet, at the top and at the bottom of the seam.
    image = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(image)
    draw.rectangle((250, 150, 429, 389), fill=(170, 40, 40))
    for y in range(170, 380, 40):
        draw.rectangle((250, y, 429, y + 15), fill=(235, 230, 220))
    draw.rectangle((430, 230, 609, 469), fill=(50, 55, 70))
    found = find_items(image)
    assert len(found) == 2
    for truth in (ItemBox(250, 150, 430, 390), ItemBox(430, 230, 610, 470)):
        assert max(iou(truth, box) for box in found) > 0.8
    assert len(find_items(image, FinderSettings(notch_colour=1000.0))) == 1


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
def test_one_shaded_item_with_notches_is_not_cut(kind):
    # The same outline in one fabric, its colour drifting from one end to the other (light
    # falling across it): its halves differ, but nothing changes across the line between the
    # notches, so it is one item; without the seam check it is cut.
    surface = table(kind).astype(float)
    inside = np.zeros(surface.shape[:2], bool)
    inside[150:390, 250:430] = inside[230:470, 430:610] = True
    drift = np.clip((np.arange(surface.shape[1]) - 250) / 360, 0, 1)[None, :, None]
    fabric = np.array([165, 60, 50]) * (1 - drift) + np.array([135, 68, 75]) * drift
    image = np.where(inside[..., None], fabric, surface).astype(np.uint8)
    assert len(find_items(image)) == 1
    assert len(find_items(image, FinderSettings(notch_seam=0.0))) == 2


@pytest.mark.parametrize("kind", ["plain", "cloth"])
def test_an_item_of_two_colours_is_one(kind):
    # A shirt with a print inside it, and a striped item: two colours, but not two solid blobs
    # side by side.
    image = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 180, 300, 420), fill=(40, 60, 150))
    draw.rectangle((150, 240, 270, 360), fill=(230, 200, 60))
    for k, y in enumerate(range(180, 420, 80)):
        draw.rectangle((520, y, 720, y + 79), fill=(230, 200, 60) if k % 2 else (120, 30, 60))
    found = find_items(image)
    assert len(found) == 2
    assert max(iou(ItemBox(120, 180, 301, 421), box) for box in found) > 0.8
    assert max(iou(ItemBox(520, 180, 721, 420), box) for box in found) > 0.8
    # Neither the print (the shirt round it is a ring, not solid, and holds the print's box) nor
    # the stripes (one colour in two bands) make two solid blobs side by side; without those
    # checks both are cut.
    loose = FinderSettings(split_overlap=1.0, split_coherent=0.0, split_solidity=0.0)
    assert len(find_items(image, loose)) == 4


@pytest.mark.parametrize("kind", ["plain", "cloth"])
def test_an_item_narrower_in_places_is_not_cut(kind):
    # A shirt's sleeves, and a figure of eight whose waist is most of its lobes' width.
    image = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(image)
    blue = (40, 60, 150)
    draw.rectangle((350, 150, 550, 450), fill=blue)
    draw.polygon([(350, 150), (250, 250), (290, 290), (350, 230)], fill=blue)
    draw.polygon([(550, 150), (650, 250), (610, 290), (550, 230)], fill=blue)
    assert len(find_items(image)) == 1
    eight = Image.fromarray(table(kind))
    draw = ImageDraw.Draw(eight)
    for x in (260, 380):
        draw.ellipse((x, 200, x + 180, 380), fill=(90, 60, 40))
    assert len(find_items(eight)) == 1


def test_blobs_are_split_only_at_a_narrow_neck():
    def dumbbell(bar: int) -> np.ndarray:
        image = Image.new("L", (300, 140))
        draw = ImageDraw.Draw(image)
        draw.ellipse((10, 10, 130, 130), fill=1)
        draw.ellipse((170, 10, 290, 130), fill=1)
        draw.rectangle((100, 70 - bar // 2, 200, 70 + bar // 2), fill=1)
        return np.asarray(image, bool)

    thin = split_blobs(dumbbell(20), neck=0.6, min_pixels=100)
    assert len(thin) == 2
    assert sum(int(part.sum()) for part in thin) == int(dumbbell(20).sum())  # every pixel kept
    assert len(split_blobs(dumbbell(100), neck=0.6, min_pixels=100)) == 1
    assert len(split_blobs(dumbbell(20), neck=0.6, min_pixels=20_000)) == 1  # blobs too small


def draw_ruler(image: Image.Image, box: ItemBox, ticks: bool = True) -> Image.Image:
    """A light strip in `box`; with `ticks`, a dark tick every 14 px along its longer side
    (every fifth one longer), as a ruler laid for scale has."""
    draw = ImageDraw.Draw(image)
    draw.rectangle(box.as_tuple(), fill=(245, 240, 225) if ticks else (40, 90, 160))
    along = box.x1 - box.x0 > box.y1 - box.y0
    start, end = (box.x0, box.x1) if along else (box.y0, box.y1)
    for k, at in enumerate(range(start + 8, end - 4, 14) if ticks else ()):
        reach = 20 if k % 5 == 0 else 10
        if along:
            draw.line((at, box.y0, at, box.y0 + reach), fill=(20, 20, 20), width=2)
        else:
            draw.line((box.x0, at, box.x0 + reach, at), fill=(20, 20, 20), width=2)
    return image


@pytest.mark.parametrize("kind", ["plain", "wood", "cloth"])
@pytest.mark.parametrize("strip", [ItemBox(100, 480, 560, 520), ItemBox(600, 60, 640, 520)])
def test_a_ruler_is_not_an_item_but_a_plain_stick_is(kind, strip):
    items = THREE[:2]
    ruler = draw_ruler(lay(table(kind), items, COLOURS[:2]), strip)
    found = find_items(ruler)
    assert len(found) == 2
    assert all(iou(truth, box) > 0.8 for truth, box in zip(items, found, strict=True))
    stick = draw_ruler(lay(table(kind), items, COLOURS[:2]), strip, ticks=False)
    found = find_items(stick)
    assert len(found) == 3  # a thin box loses IoU to a few pixels of halo: 0.6 is its own
    assert any(iou(strip, box) > 0.6 for box in found)


def test_one_item_in_pieces_of_the_surface_colour_stays_one_item():
    # A light item with a band of the table's own colour across it (a white patch on a cloth).
    surface = table("plain")
    image = Image.fromarray(surface)
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 150, 600, 450), fill=(60, 40, 30))
    draw.rectangle((300, 296, 600, 302), fill=tuple(int(v) for v in surface[300, 450]))
    assert len(find_items(image)) == 1


def test_a_ring_is_one_item_not_its_hole():
    image = Image.fromarray(table("plain"))
    ImageDraw.Draw(image).ellipse((300, 150, 600, 450), outline=(60, 40, 30), width=25)
    [box] = find_items(image)
    assert iou(box, ItemBox(300, 150, 601, 451)) > 0.9


def test_specks_are_not_items():
    image = lay(table("plain"), THREE[:1], COLOURS[:1])
    ImageDraw.Draw(image).ellipse((700, 500, 704, 504), fill=(0, 0, 0))
    assert len(find_items(image)) == 1
    assert len(find_items(image, FinderSettings(min_area=0.0))) == 2


def test_reading_order_is_rows_then_left_to_right():
    a, b, c = ItemBox(500, 10, 600, 100), ItemBox(10, 30, 100, 120), ItemBox(200, 300, 300, 400)
    assert reading_order([c, a, b]) == [b, a, c]


def test_crops_are_squares_with_a_margin_moved_inside_the_photo():
    image = Image.new("RGB", (100, 80))
    assert ItemBox(40, 30, 60, 40).expanded(0.1, image.size) == ItemBox(38, 23, 62, 47)
    assert ItemBox(0, 10, 50, 40).expanded(0.1, image.size) == ItemBox(0, 0, 60, 60)
    [crop] = crops_of(image, [ItemBox(0, 0, 100, 20)], 0.1)
    assert crop.size == (100, 80)  # larger than the photo: the whole photo


def test_the_surround_of_an_item_is_blurred_and_the_item_kept():
    """A crop as the model is given it: the wood grain round the item smoothed away, the item
    (and the dark band across it) as it was."""
    image = lay(table("wood", size=(300, 300)), [ItemBox(70, 90, 230, 210)], [(240, 235, 220)])
    softened = np.asarray(soften_surround(image), np.float32)
    original = np.asarray(image, np.float32)
    surround, item = np.s_[5:40, 5:295], np.s_[120:180, 110:190]
    rows = original[surround].mean(axis=(1, 2))  # the grain runs along the rows
    smoothed = softened[surround].mean(axis=(1, 2))
    assert smoothed.std() < 0.25 * rows.std()
    assert np.abs(softened[item] - original[item]).max() <= 2


def test_a_crop_with_nothing_standing_out_is_only_resized():
    import cv2

    surface = table("plain", size=(1200, 800))
    softened = soften_surround(Image.fromarray(surface))
    assert softened.size == (512, 341)
    resized = cv2.resize(surface, (512, 341), interpolation=cv2.INTER_AREA)
    assert np.array_equal(np.asarray(softened), resized)
    tiny = Image.fromarray(table("wood", size=(3, 3)))
    assert soften_surround(tiny).size == (3, 3)  # too small to blur: no error either


def record(decision, label):
    return {"decision": decision, "label": label}


def test_counts_name_no_class_for_unknown_items():
    counts = item_counts(
        [
            record("identified", "ivory"),
            record("identified", "ivory"),
            record("review", "bone"),
            record("unknown", "ivory"),
        ]
    )
    assert counts == {"items": 4, "identified": {"ivory": 2}, "review": {"bone": 1}, "unknown": 1}
    assert summary_line(counts) == "2 ivory identified, 1 for review, 1 unknown"
    assert summary_line(item_counts([])) == "no items found"


def test_each_item_is_decided_as_its_crop_alone(tiny_bundle):
    from wildlens.model.serving.predictor import Predictor

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    image = lay(table("cloth"), THREE, COLOURS)
    answer = predict_items(predictor, image)
    assert [item.index for item in answer.items] == [1, 2, 3]
    crops = crops_of(image, [i.box for i in answer.items], 0.08)
    alone = predictor.predict([soften_surround(crop) for crop in crops])
    for item, single in zip(answer.items, alone, strict=True):
        assert item.prediction.decision == single.decision
        assert item.prediction.probabilities == pytest.approx(single.probabilities, abs=1e-6)
    assert answer.counts["items"] == 3


def test_boxes_of_a_reduced_decode_are_in_pixels_of_the_full_photo(tiny_bundle):
    from wildlens.model.serving.predictor import Predictor

    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    image = lay(table("plain"), THREE, COLOURS)
    half = image.resize((450, 300))
    answer = predict_items(predictor, half, full_size=image.size)
    for truth, item in zip(THREE, answer.items, strict=True):
        assert iou(truth, item.box) > 0.75


# --- infer.py items=true ----------------------------------------------------------------------


def write_jpeg(image: Image.Image, path, orientation: int | None = None):
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())


def run(bundle, folder, out, *args):
    from wildlens.common.config_loader import load_config
    from wildlens.pipeline.batch import run_batch
    from wildlens.pipeline.config import InferConfig

    options = [f"bundle={bundle}", f"input={folder}", f"out={out}", "progress=false", *args]
    return run_batch(load_config(InferConfig, options), log=lambda _: None)


def records_of(out):
    lines = out.with_suffix(".jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_items_true_gives_one_record_per_item_and_resumes(tiny_bundle, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    write_jpeg(lay(table("wood"), THREE, COLOURS), folder / "table.jpg")
    # The same table stored sideways with an EXIF rotation: boxes are of the upright photo.
    upright = lay(table("plain"), THREE, COLOURS)
    write_jpeg(upright.transpose(Image.Transpose.ROTATE_90), folder / "turned.jpg", 6)
    write_jpeg(Image.fromarray(table("cloth")), folder / "bare.jpg")
    (folder / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "run" / "items.csv"
    summary = run(
        tiny_bundle, folder, out, "items=true", "workers=0", "batch_size=2", "report=true"
    )
    records = {r["key"]: r for r in records_of(out)}
    assert sorted(records) == sorted(
        ["bare.jpg", "broken.jpg"]
        + [f"{photo}#item{i}" for photo in ("table.jpg", "turned.jpg") for i in (1, 2, 3)]
    )
    assert records["bare.jpg"]["error_code"] == "no_items"
    assert records["broken.jpg"]["status"] == "failed"
    for i, truth in enumerate(THREE, start=1):
        item = records[f"turned.jpg#item{i}"]
        assert item["item_of"] == "turned.jpg" and item["item_index"] == i
        assert iou(ItemBox(*item["item_box"]), truth) > 0.75
        assert item["status"] == "ok" and item["decision"] in ("identified", "review", "unknown")
        assert item["sha256"] == records["turned.jpg#item1"]["sha256"]  # the photo's evidence key
        assert "bundle_sha256" in item and "routing_sha256" in item
    assert summary["missing"] == [] and summary["items"] == 6
    answer = summary["items_by_photo"]["table.jpg"]
    assert answer["items"] == 3 and "summary" in answer
    assert sorted(summary["items_by_photo"]) == ["table.jpg", "turned.jpg"]
    # The review pages show each item's crop and the photo with its numbered boxes.
    sha = records["table.jpg#item1"]["sha256"]
    pictures = {p.name for p in (out.with_suffix(".review") / "items" / sha[:2]).iterdir()}
    assert pictures == {f"{sha}.jpg", f"{sha}-1.jpg", f"{sha}-2.jpg", f"{sha}-3.jpg"}
    pages = "".join(p.read_text() for p in out.with_suffix(".review").glob("decision-*.html"))
    assert "item 2 of 3 on the photo" in pages
    # A rerun records nothing new; a log cut short after one item redoes only the rest.
    run(tiny_bundle, folder, out, "items=true", "workers=0")
    assert len(records_of(out)) == len(records)
    log = out.with_suffix(".jsonl")
    kept = [line for line in log.read_text().splitlines() if "#item2" not in line]
    log.write_text("\n".join(kept) + "\n")
    run(tiny_bundle, folder, out, "items=true", "workers=0")
    again = [r["key"] for r in records_of(out)]
    assert sorted(again) == sorted(records) and len(again) == len(set(again))


def test_a_batch_decides_each_item_as_the_app_does(tiny_bundle, tmp_path):
    """infer.py items=true and the app's predict_items give the model the same softened crops."""
    from wildlens.data.images import load_image
    from wildlens.data.items import ITEMS_DECODE_SIDE
    from wildlens.model.serving.predictor import Predictor

    folder = tmp_path / "photos"
    folder.mkdir()
    write_jpeg(lay(table("wood"), THREE, COLOURS), folder / "table.jpg")
    out = tmp_path / "run" / "items.csv"
    run(tiny_bundle, folder, out, "items=true", "workers=0")
    records = {r["key"]: r for r in records_of(out)}
    predictor = Predictor.from_bundle(tiny_bundle, device="cpu")
    loaded = load_image(folder / "table.jpg", target_size=ITEMS_DECODE_SIDE)
    answer = predict_items(predictor, loaded.image, loaded.facts.original_size)
    for item in answer.items:
        batch = records[f"table.jpg#item{item.index}"]
        assert batch["item_box"] == item.box.as_list()
        assert batch["confidence"] == pytest.approx(item.prediction.confidence, abs=1e-5)
        assert batch["decision"] == item.prediction.decision


def test_items_true_says_when_the_model_never_saw_items_on_a_table(tiny_bundle, tmp_path):
    from wildlens.common.config_loader import load_config
    from wildlens.pipeline.batch import items_note, run_batch
    from wildlens.pipeline.config import InferConfig

    folder = tmp_path / "photos"
    folder.mkdir()
    write_jpeg(lay(table("plain"), THREE, COLOURS), folder / "table.jpg")
    said = {}
    for items in ("true", "false"):
        lines = said[items] = []
        options = [f"bundle={tiny_bundle}", f"input={folder}", f"out={tmp_path / items / 'o.csv'}",
                   "progress=false", "workers=0", f"items={items}"]  # fmt: skip
        run_batch(load_config(InferConfig, options), log=lines.append)
    assert any("without table composites" in line for line in said["true"])
    assert not any("table composites" in line for line in said["false"])
    # A model trained with them (its metrics record how many) is not told so.
    assert items_note({"item_composites": {"per_photo": 2}}) is None
    assert "item_composites=2" in items_note({})


def test_items_run_only_on_the_local_engine():
    from wildlens.common.config_loader import ConfigError, load_config
    from wildlens.pipeline.config import InferConfig

    with pytest.raises(ConfigError, match="items"):
        load_config(InferConfig, ["items=true", "engine=ray"])


def test_a_photo_is_done_only_when_all_its_items_are_recorded():
    from wildlens.pipeline.records import recorded_photos

    def item(photo, index, found):
        return {"key": f"{photo}#item{index}", "item_of": photo, "items_found": found}

    records = [item("a.jpg", 1, 2), item("a.jpg", 2, 2), item("b.jpg", 1, 3), {"key": "c.jpg"}]
    assert recorded_photos(records) == {"a.jpg"}


def test_each_photo_gets_its_items_counts_in_the_summary():
    from wildlens.pipeline.records import items_by_photo

    records = [
        {"key": "t.jpg#item1", "item_of": "t.jpg", "decision": "identified", "label": "ivory"},
        {"key": "t.jpg#item2", "item_of": "t.jpg", "decision": "unknown", "label": "ivory"},
        {"key": "u.jpg", "decision": "review", "label": "bone"},
    ]
    answers = items_by_photo(records)
    assert list(answers) == ["t.jpg"]
    assert answers["t.jpg"]["summary"] == "1 ivory identified, 1 unknown"


def test_a_dark_table_is_brightened_for_finding_until_its_median_is_at_the_line():
    rng = np.random.default_rng(0)
    dark = np.clip(rng.normal(30, 12, (120, 160, 3)), 0, 255).astype(np.uint8)
    light = brightened(dark, 0.3, 0.03)
    grey = np.median(np.asarray(Image.fromarray(light).convert("L"))) / 255
    assert abs(grey - 0.3) < 0.02
    order = np.argsort(dark[..., 0].ravel(), kind="stable")  # darker stays darker
    assert (np.diff(light[..., 0].ravel()[order].astype(int)) >= 0).all()


def test_a_photo_in_ordinary_light_is_found_as_it_is():
    photo = np.asarray(lay(table("wood"), THREE, COLOURS))
    assert brightened(photo, 0.3, 0.03) is photo
    dark = np.asarray(lay(table("wood"), THREE, COLOURS).point(lambda v: v // 4))
    assert brightened(dark, 0.0, 0.03) is dark  # the line at 0: never brightened


def test_a_dark_item_filling_a_photo_in_good_light_is_not_brightened():
    photo = np.full((300, 400, 3), 235, np.uint8)  # a light backdrop...
    photo[20:280, 20:380] = (25, 22, 20)  # ...almost filled by a black item
    assert np.median(photo) < 0.3 * 255
    assert brightened(photo, 0.3, 0.03) is photo

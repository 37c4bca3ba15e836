"""Items on a table: the item finder and per-item decisions on evidence-table scenes.

    python bench/items.py [DATA] [--scenes 120] [--seed 0] [--gap 0.1] [--composites 2]
                          [--rulers 0.25] [--touching 0.25] [--draws 8]
                          [--parts find,single,decide,heldout,time]
    python bench/items.py --parts pooled     # the decide tables of every draw, items pooled
    python bench/items.py --parts photographed  # the --degrade KIND tables side by side

Scenes are made from DATA's test photos (default ../shared/datasets/clothing-small): each
photo's object is cut from its plain background (`wildlens.data.composites.cut_out`; photos
whose background cannot be told from the object, or whose object is in several pieces, are left
out, and counted), scaled and laid, never overlapping and at least `--gap` of the shorter side
apart (`--gap 0`: only never overlapping, so boxes may meet and items may reach the scene's
edge), on a procedural table (`wildlens.data.tables`: plain with a light gradient, wood grain,
cloth weave), 2400 x 1600, with a soft shadow, saved as JPEG quality 85 into a temporary
folder; 1 to 6 items per scene, a tenth with one. Results are saved through
bench/results.py (items-find-gapNNN, items-single, items-decide-gapNNN,
items-decide-surface-gapNNN; "-seedS" added for --seed S other than 0).

- find: items found against the laid boxes (recall and precision at IoU 0.5, scenes whose count
  is exact), on the scenes and per texture; with `--rulers S` a share S of the scenes also has
  a ruler laid for scale (a light strip with dark ticks), which is not an item; with
  `--touching S` a share S of the scenes of two or more items has two of them laid touching
  (their outlines meeting, or overlapping by up to 3% of the second one's width);
- single: the share of the test photos themselves (one item each) that stay one item;
- decide: fast mode's cross-fitted head and trust policy (fit on train and validation features,
  cached as bench/trust.py does) on each found item's crop, against the same objects' photos
  alone: accuracy, share auto-accepted and its precision, unknown; the counts' agreement. With
  `--composites N` (default 2) the same again for a head also trained on N table composites of
  each train and validation photo that cuts cleanly (fast mode's `item_composites`; never a
  test photo); and the same items' accuracy by the surface they lie on;
- heldout: look-alikes the catalogue lacks, laid on a table: `--draws` random pairs of classes
  held out of fast mode's head (fitted on the other 8), their items found on the tables against
  the same objects' photos alone (auto-accepted, unknown), and the catalogue's own items the
  same way (items-heldout-gapNNN);
- photographed: the find and decide tables of the gap 0.1 scenes of seed 0 made with each
  `--degrade KIND` (blur, cast, lowlight, jpeg8: bench/trust.py's, applied to the whole scene;
  jpeg8: saved at quality 8), side by side with those as laid (items-photographed; builds no
  scenes);
- pooled: the decide tables published so far (every gap and draw), their items pooled: per-item
  accuracy on the crops of the items found against the same objects alone, per head, so one
  draw's easy or hard objects do not decide the comparison (items-decide-pooled; builds no
  scenes);
- time: one 12-megapixel scene of 6 items through `predict_items` with the ONNX backend of
  bench/batch.py's lite0 bundle at 224 px (2 threads), median of 5; and the scenes per second
  of `infer.py items=true` on the scenes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from PIL import Image

from bench.results import publish
from wildlens.data.composites import cut_out as cut_photo
from wildlens.data.composites import lay
from wildlens.data.composites import scaled as fit
from wildlens.data.images import load_image
from wildlens.data.items import ItemBox, find_items
from wildlens.data.sources import dataset_splits
from wildlens.data.tables import TABLE_KINDS as TEXTURES
from wildlens.data.tables import table_surface
from wildlens.model.trust.routing import IDENTIFIED, UNKNOWN

SCENE_SIZE = (2400, 1600)
SURFACE_COLUMNS = (
    "head",
    "surface",
    "items",
    "crops of the items found",
    "the objects' own photos",
    "points below",
)
GAP = 0.1  # items lie at least this share of the scene's shorter side apart ("laid apart")
SEED = 0  # the scenes' draw (--seed)
DEGRADE = ""  # the scenes photographed differently (--degrade): one of SCENE_DEGRADATIONS
SCENE_DEGRADATIONS = ("blur", "cast", "lowlight", "jpeg8")  # bench/trust.py's, but for framing
FOUND, ALONE = "crops of the items found", "the objects' own photos, alone"  # decide's rows
HELDOUT_COLUMNS = (
    "classes held out",
    "their items",
    "held out, on the tables: auto-accepted",
    "held out, on the tables: unknown",
    "held out, alone: auto-accepted",
    "held out, alone: unknown",
    "held out: auto-accepted on the tables, not alone",
    "catalogue's items on the tables: auto-accepted",
    "on the tables: accepted precision",
    "catalogue's items alone: auto-accepted",
    "alone: accepted precision",
)


# --- scenes -----------------------------------------------------------------------------------


def cut_out(source) -> tuple[np.ndarray, np.ndarray] | None:
    """The photo's object and its mask (`wildlens.data.composites.cut_out`)."""
    return cut_photo(np.asarray(load_image(source).image))


def lay_out(sizes, rng, size=SCENE_SIZE, gap=None, tries=400, touch=None) -> list[ItemBox] | None:
    """Non-overlapping boxes for objects of `sizes` (w, h), `gap` pixels apart at least; with
    `touch` (the first two objects' masks) the second is laid touching the first."""
    width, height = size
    gap = gap or round(GAP * min(width, height))
    boxes: list[ItemBox] = []
    for k, (w, h) in enumerate(sizes):
        for _ in range(tries):
            if touch is not None and k == 1:
                box = touching_box(boxes[0], touch, rng)
                others = boxes[1:]
            else:
                x0 = int(rng.integers(gap, width - w - gap))
                y0 = int(rng.integers(gap, height - h - gap))
                box = ItemBox(x0, y0, x0 + w, y0 + h)
                others = boxes
            inside = (
                gap <= box.x0 and box.x1 <= width - gap and gap <= box.y0 and box.y1 <= height - gap
            )
            if inside and all(_apart(box, other, gap) for other in others):
                boxes.append(box)
                break
        else:
            return None
    return boxes


def touching_box(first: ItemBox, masks, rng) -> ItemBox:
    """The box of the second object laid beside the first (right of it or below it, their
    boxes overlapping across by at least half the smaller one), moved until the two outlines
    meet, then up to 3% of its width further in (laid touching, overlapping a little)."""
    below = bool(rng.random() < 0.5)
    a, b = (m.T if below else m for m in masks)  # "right of" along x in both cases
    ax, ay = (first.y0, first.x0) if below else (first.x0, first.y0)
    ha, hb = a.shape[0], b.shape[0]
    least = min(ha, hb) // 2
    by = ay + int(rng.integers(least - hb, ha - least + 1))
    rows = range(max(ay, by), min(ay + ha, by + hb))
    reach = [
        ax + int(np.flatnonzero(a[y - ay] > 0.5).max()) - int(np.flatnonzero(b[y - by] > 0.5).min())
        for y in rows
        if (a[y - ay] > 0.5).any() and (b[y - by] > 0.5).any()
    ]
    bx = (max(reach) if reach else ax + a.shape[1]) + 1 - int(rng.uniform(0, 0.03) * b.shape[1])
    wb = b.shape[1]
    return ItemBox(by, bx, by + hb, bx + wb) if below else ItemBox(bx, by, bx + wb, by + hb)


def _apart(a: ItemBox, b: ItemBox, gap: int) -> bool:
    return a.x1 + gap <= b.x0 or b.x1 + gap <= a.x0 or a.y1 + gap <= b.y0 or b.y1 + gap <= a.y0


def make_scene(
    objects, kind, rng, ruler=None, touch=False, degrade_rng=None
) -> tuple[bytes, list[ItemBox]] | None:
    """A JPEG (quality 85) of the objects laid on a `kind` table, and their boxes; `ruler`
    (an image and mask, as `make_ruler` gives) is laid too, apart from them, and is no item;
    with `touch` the second object is laid touching the first; with `degrade_rng`, the scene
    photographed as DEGRADE says (`bench.trust.degraded`; jpeg8: saved at quality 8)."""
    n = len(objects)
    longest = rng.uniform(0.17, 0.3 if n > 3 else 0.42) * SCENE_SIZE[1] * (1.25 if n == 1 else 1)
    scaled = [fit(rgb, mask, longest * rng.uniform(0.75, 1.0)) for rgb, mask in objects]
    laid = scaled + ([ruler] if ruler is not None else [])
    masks = (scaled[0][1], scaled[1][1]) if touch else None
    boxes = lay_out([(o.shape[1], o.shape[0]) for o, _ in laid], rng, touch=masks)
    if boxes is None:
        return None
    scene = table_surface(kind, rng, SCENE_SIZE).astype(np.float32)
    for (rgb, mask), box in zip(laid, boxes, strict=True):
        lay(scene, rgb, mask, (box.x0, box.y0))
    image = Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8))
    quality = 85
    if degrade_rng is not None and DEGRADE == "jpeg8":
        quality = 8
    elif degrade_rng is not None:
        from bench.trust import degraded

        image = degraded(image, DEGRADE, degrade_rng)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue(), boxes[: len(scaled)]


def make_ruler(rng) -> tuple[np.ndarray, np.ndarray]:
    """A ruler laid for scale: a light strip a third or more of the scene's width long, a
    tenth as wide, with a dark tick every thirtieth of its length (every fifth one longer),
    lying along or across the scene."""
    length = int(rng.uniform(0.3, 0.45) * SCENE_SIZE[0])
    width = length // 10
    colour = np.array([(245, 242, 230), (240, 215, 60)][int(rng.integers(2))], np.float32)
    strip = np.empty((width, length, 3), np.float32)
    strip[:] = colour
    step = length / 30
    for k in range(1, 30):
        x = round(k * step)
        strip[: width // (2 if k % 5 == 0 else 4), x - 2 : x + 2] = 25
    mask = np.ones((width, length), np.float32)
    if rng.random() < 0.5:
        strip, mask = strip.transpose(1, 0, 2), mask.T
    return np.ascontiguousarray(strip.astype(np.uint8)), np.ascontiguousarray(mask)


def build_scenes(samples, count, seed, folder: Path, rulers: float = 0.0, touching: float = 0.0):
    """`count` scenes in `folder`: a list of {path, texture, boxes, objects (test indices)};
    a `rulers` share of them with a ruler laid too, a `touching` share of those with two or
    more items with two laid touching (whether a scene has either is drawn from a generator of
    its own, so with neither asked for the scenes are as they were)."""
    rng = np.random.default_rng(seed)
    ruler_rng = np.random.default_rng(seed + 1)
    touch_rng = np.random.default_rng(seed + 2)
    degrade_rng = np.random.default_rng(seed + 3) if DEGRADE else None
    cut = {}
    for i, sample in enumerate(samples):
        result = cut_out(sample.source)
        if result is not None:
            cut[i] = result
    usable = sorted(cut)
    scenes = []
    while len(scenes) < count:
        n = 1 if len(scenes) % 10 == 0 else int(rng.integers(2, 7))
        chosen = [int(i) for i in rng.choice(usable, n, replace=False)]
        kind = TEXTURES[len(scenes) % len(TEXTURES)]
        ruler = make_ruler(ruler_rng) if rulers and ruler_rng.random() < rulers else None
        touch = n > 1 and bool(touching) and touch_rng.random() < touching
        made = make_scene([cut[i] for i in chosen], kind, rng, ruler, touch, degrade_rng)
        if made is None:
            continue
        path = folder / f"scene{len(scenes):04d}.jpg"
        path.write_bytes(made[0])
        scenes.append(
            {"path": path, "texture": kind, "boxes": made[1], "objects": chosen,
             "ruler": ruler is not None, "touching": touch}
        )  # fmt: skip
    return scenes, len(usable)


# --- measures ---------------------------------------------------------------------------------


def iou(a: ItemBox, b: ItemBox) -> float:
    ix = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    return inter / (a.area + b.area - inter) if inter else 0.0


def match(truth: list[ItemBox], found: list[ItemBox], threshold=0.5) -> dict[int, int]:
    """Greedy one-to-one matching by IoU: {truth index: found index}."""
    pairs = sorted(
        ((iou(t, f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)),
        reverse=True,
    )
    matched: dict[int, int] = {}
    used: set[int] = set()
    for value, i, j in pairs:
        if value >= threshold and i not in matched and j not in used:
            matched[i] = j
            used.add(j)
    return matched


def part_find(scenes, test_samples, digest: str, save: bool = True):
    rows = {kind: {"truth": 0, "found": 0, "hit": 0, "exact": 0, "scenes": 0} for kind in TEXTURES}
    for scene in scenes:
        image = load_image(scene["path"]).image
        found = find_items(image)
        scene["found"] = found
        scene["matched"] = match(scene["boxes"], found)
        row = rows[scene["texture"]]
        row["truth"] += len(scene["boxes"])
        row["found"] += len(found)
        row["hit"] += len(scene["matched"])
        row["exact"] += len(found) == len(scene["boxes"])
        row["scenes"] += 1
    total = {k: sum(r[k] for r in rows.values()) for k in rows["plain"]}
    table = []
    for name, r in [*rows.items(), ("all", total)]:
        recall = r["hit"] / max(1, r["truth"])
        precision = r["hit"] / max(1, r["found"])
        exact = r["exact"] / max(1, r["scenes"])
        table.append([name, r["scenes"], r["truth"], recall, precision, exact])
    columns = ["surface", "scenes", "items", "recall", "precision", "count exact"]
    rulers = sum(scene["ruler"] for scene in scenes)
    touching = [scene for scene in scenes if scene["touching"]]
    name = f"items-find-{gap_name()}" + ("-rulers" if rulers else "")
    name += "-touching" if touching else ""
    notes = f"scenes digest {digest}" + (f"; {rulers} scenes with a ruler" if rulers else "")
    if touching:
        both = sum(0 in scene["matched"] and 1 in scene["matched"] for scene in touching)
        exact = sum(len(scene["found"]) == len(scene["boxes"]) for scene in touching)
        notes += (f"; {len(touching)} scenes with two items laid touching: both found in {both},"
                  f" the count exact in {exact}")  # fmt: skip
    if save:  # the other parts find the items too, but the table is find's
        publish(name, command(), columns, table, notes)


def part_single(test_samples):
    single = [len(find_items(load_image(s.source).image)) for s in test_samples]
    one = sum(n == 1 for n in single) / len(single)
    none, several = sum(n == 0 for n in single), sum(n > 1 for n in single)
    classes = sorted({s.label for s in test_samples})
    table = []
    for label in [*classes, "all"]:
        counts = [n for n, s in zip(single, test_samples, strict=True) if label in (s.label, "all")]
        share = sum(n == 1 for n in counts) / len(counts)
        table.append([label, len(counts), share, sum(n == 0 for n in counts),
                      sum(n > 1 for n in counts)])  # fmt: skip
    columns = ["class", "photos", "one item", "none", "several"]
    notes = f"single-item test photos still one item: {one:.4f} (none {none}, several {several})"
    publish("items-single", command(), columns, table, notes)


def gap_name() -> str:
    """The scenes' part of a result's name: the gap, the seed when not 0 (scenes of another
    draw are a table of their own), and the degradation if any."""
    name = f"gap{round(GAP * 100):03d}" + (f"-seed{SEED}" if SEED else "")
    return name + (f"-{DEGRADE}" if DEGRADE else "")


def command() -> str:
    """The command line that ran this benchmark, as a reader would type it."""
    return " ".join(["python bench/items.py", *sys.argv[1:]])


def part_decide(scenes, data: Path, seed: int, margin: float | None, composites: int):
    from bench.trust import Features, fit, outputs
    from wildlens.data.images import read_bytes
    from wildlens.data.items import ITEM_MARGIN
    from wildlens.model.training.composites import composite_features
    from wildlens.model.training.policy import routing_measures

    f = Features(data, seed)
    heads = [("fast mode's head", fit(f.pool, f.pool_labels, len(f.classes), seed))]
    if composites:
        keys = [hashlib.sha256(read_bytes(s.source)).hexdigest() for s in f.pool_samples]
        made = composite_features(
            f.pool_samples, keys, composites, seed, f.cache, f.pre, f.embedder
        )
        print(f"table composites: {len(made.photo)} from {made.photos} of "
              f"{len(f.pool_samples)} train and validation photos")  # fmt: skip
        extra = (made.features, made.photo)
        name = f"with item_composites={composites}"
        heads.append((name, fit(f.pool, f.pool_labels, len(f.classes), seed, extra=extra)))
    margin = margin if margin is not None else ITEM_MARGIN
    y, on_table, laid, alone, surfaces = item_vectors(scenes, f, margin)
    own = own_photos(f)
    photos = (
        (FOUND, on_table),
        ("crops of the laid boxes (finder set aside)", laid),
        (ALONE, own[alone]),
    )
    everyone = (f"every test photo, alone ({len(own)})", own, f.test_labels)
    rows = []
    for head_name, (head, trust) in heads:
        for name, x, truth in [*((name, x, y) for name, x in photos), everyone]:
            r = routing_measures(outputs(head, x), truth, trust)["routing"]
            accuracy = float((outputs(head, x).logits.argmax(1) == truth).mean())
            precision = "-" if r["accepted_precision"] is None else r["accepted_precision"]
            unknown = r["decisions"][UNKNOWN] / len(truth)
            rows.append([head_name, name, len(truth), accuracy, r["coverage"], precision, unknown])
    agree = []
    exact = [s for s in scenes if len(s["found"]) == len(s["boxes"])]
    for _, (head, trust) in heads:
        agree.append(sum(
            counts(head, trust, s["vectors"], f.classes)
            == counts(head, trust, own[s["objects"]], f.classes)
            for s in exact
        ))  # fmt: skip
    notes = (
        f"crop margin {margin}; scenes with the count exact whose counts per class and decision "
        f"equal those of the objects alone: "
        + ", ".join(f"{n} of {len(exact)} ({h})" for (h, _), n in zip(heads, agree, strict=True))
    )
    surface_rows = []
    for head_name, (head, _) in heads:
        right_on_table = outputs(head, photos[0][1]).logits.argmax(1) == y
        right_alone = outputs(head, photos[2][1]).logits.argmax(1) == y
        for kind in (*TEXTURES, "all"):
            on = np.ones(len(y), bool) if kind == "all" else np.array(surfaces) == kind
            table, own = right_on_table[on].mean(), right_alone[on].mean()
            surface_rows.append([head_name, kind, int(on.sum()), f"{table:.3f}", f"{own:.3f}",
                                 f"{100 * (own - table):.1f}"])  # fmt: skip
    publish(
        f"items-decide-surface-{gap_name()}",
        command(),
        SURFACE_COLUMNS,
        surface_rows,
        "accuracy of the same items as the table above, by the surface they lie on",
    )
    publish(
        f"items-decide-{gap_name()}",
        command(),
        ["head", "photos", "items", "accuracy", "auto-accepted", "accepted precision", "unknown"],
        rows,
        notes,
    )


def own_photos(f) -> np.ndarray:
    """The test photos' features alone, photographed as the scenes were (--degrade)."""
    return f.degraded(DEGRADE) if DEGRADE else f.test


def item_vectors(scenes, f, margin: float):
    """Features of each matched item: (labels, crops of the items found, crops of the laid
    boxes, the objects' test indices, surfaces); each scene also gets "vectors" (every item
    found). Crops as predict_items gives them to the model: the surround blurred."""
    from wildlens.data.items import crops_of, soften_surround
    from wildlens.data.transforms import apply, eval_transforms

    transform = eval_transforms(f.pre)
    labels, on_table, laid, alone, surfaces = [], [], [], [], []
    for scene in scenes:
        image = load_image(scene["path"]).image
        crops = [soften_surround(c) for c in crops_of(image, scene["found"], margin)]
        scene["vectors"] = f.embedder(np.stack([apply(transform, c) for c in crops]))
        truth = [soften_surround(c) for c in crops_of(image, scene["boxes"], margin)]
        truth_vectors = f.embedder(np.stack([apply(transform, c) for c in truth]))
        for i, j in scene["matched"].items():
            labels.append(f.test_labels[scene["objects"][i]])
            on_table.append(scene["vectors"][j])
            laid.append(truth_vectors[i])
            alone.append(scene["objects"][i])
            surfaces.append(scene["texture"])
    return np.array(labels), np.stack(on_table), np.stack(laid), alone, surfaces


def part_heldout(scenes, data: Path, seed: int, draws: int) -> None:
    """Look-alikes the catalogue lacks, laid on a table: for `draws` random pairs of classes
    held out of training (fast mode's head on the other 8), the held-out items found on the
    tables against the same objects' photos alone: how many are auto-accepted (as one of the 8),
    and called unknown; and the catalogue's own items, the same way."""
    from bench.trust import Features, fit, remap
    from wildlens.data.items import ITEM_MARGIN

    f = Features(data, seed)
    y, on_table, _, alone, _ = item_vectors(scenes, f, ITEM_MARGIN)
    alone_photos = own_photos(f)[alone]
    pairs = list(itertools.combinations(range(len(f.classes)), 2))
    chosen = np.random.default_rng(seed).choice(len(pairs), min(draws, len(pairs)), replace=False)
    rows = []
    for held in (list(pairs[int(i)]) for i in chosen):
        known = [c for c in range(len(f.classes)) if c not in held]
        mask = np.isin(f.pool_labels, known)
        head, trust = fit(f.pool[mask], remap(f.pool_labels[mask], known), len(known), seed)
        foreign = np.isin(y, held)
        truth = remap(y, known)
        values, accepted_held = [], []
        for x in (on_table[foreign], alone_photos[foreign]):
            decided, _ = decisions(head, trust, x)
            values += [np.mean(decided == IDENTIFIED), np.mean(decided == UNKNOWN)]
            accepted_held.append(decided == IDENTIFIED)
        values.append(np.mean(accepted_held[0] & ~accepted_held[1]))
        for x in (on_table[~foreign], alone_photos[~foreign]):
            decided, predicted = decisions(head, trust, x)
            accepted = decided == IDENTIFIED
            right = predicted[accepted] == truth[~foreign][accepted]
            values += [accepted.mean(), right.mean() if accepted.any() else np.nan]
        rows.append((" / ".join(f.classes[c] for c in held), int(foreign.sum()), values))
    means = np.nanmean([values for *_, values in rows], axis=0)
    rows.append(("mean over the draws", sum(count for _, count, _ in rows), means))
    publish(
        f"items-heldout-{gap_name()}",
        command(),
        HELDOUT_COLUMNS,
        [[name, str(count), *("-" if np.isnan(v) else f"{v:.3f}" for v in values)]
         for name, count, values in rows],
        f"{len(chosen)} of the {len(pairs)} pairs of classes drawn at random (seed {seed}), "
        "each held out of fast mode's head and trust policy fitted on the other 8 classes' "
        "train and validation photos; every matched item found on the tables, against the same "
        "objects' photos alone",
    )  # fmt: skip


def decisions(head, trust, vectors) -> tuple[np.ndarray, np.ndarray]:
    """The routing decision and top class of items decided from their features, as
    `Predictor.decide` does."""
    from bench.trust import outputs
    from wildlens.model.trust.calibration import softmax
    from wildlens.model.trust.routing import decide

    out = outputs(head, np.asarray(vectors))
    probs = softmax(out.logits, trust.temperature)
    decided = decide(probs, trust.scores(out), None, trust.policy)
    return np.array([d.decision for d in decided]), probs.argmax(1)


def part_pooled() -> None:
    """The per-item comparison over every decide table published (items-decide-gapNNN[-seedS]):
    right answers summed over the draws' items, per head."""
    from bench.results import load

    tables = {
        name: table
        for name, table in sorted(load().items())
        if name.startswith("items-decide-gap")
        and not name.endswith(tuple(f"-{kind}" for kind in SCENE_DEGRADATIONS))
    }
    right: dict[tuple[str, str], list[int]] = {}
    for table in tables.values():
        for head, photos, items, accuracy, *_ in table["rows"]:
            if photos in (FOUND, ALONE):
                total = right.setdefault((head, photos), [0, 0])
                total[0] += round(float(accuracy) * int(items))
                total[1] += int(items)
    rows = []
    for head in dict.fromkeys(head for head, _ in right):
        (found, items), (alone, _) = right[(head, FOUND)], right[(head, ALONE)]
        rows.append([head, len(tables), items, f"{found / items:.3f}", f"{alone / items:.3f}",
                     f"{100 * (alone - found) / items:.1f}"])  # fmt: skip
    publish(
        "items-decide-pooled",
        command(),
        ["head", "draws", "items", FOUND, ALONE, "points below"],
        rows,
        "pooled over " + ", ".join(name.removeprefix("items-decide-") for name in tables),
    )


def part_photographed() -> None:
    """The scenes photographed differently (--degrade) against as laid, from the find and decide
    tables published for gap 0.1, seed 0 (items-photographed; builds no scenes)."""
    from bench.results import load

    results = load()
    rows = []
    for kind in ("", *SCENE_DEGRADATIONS):
        suffix = f"-{kind}" if kind else ""
        find = results.get(f"items-find-gap010{suffix}")
        decide = results.get(f"items-decide-gap010{suffix}")
        if find is None or decide is None:
            continue
        surfaces = {row[0]: row for row in find["rows"]}
        *_, recall, precision, exact = surfaces["all"]
        decided = {(row[0], row[1]): row for row in decide["rows"]}
        found = decided[("fast mode's head", FOUND)]
        alone = decided[("fast mode's head", ALONE)]
        below = 100 * (float(alone[3]) - float(found[3]))
        rows.append([kind or "as laid (quality 85)", recall, precision, exact,
                     surfaces["wood"][3], found[3], alone[3], f"{below:.1f}", found[4], alone[4],
                     found[5], alone[5]])  # fmt: skip
    publish(
        "items-photographed",
        command(),
        ["scenes", "items found: recall", "precision", "count exact", "recall on wood",
         "accuracy: crops found", "photos alone", "points below", "auto-accepted: crops found",
         "photos alone", "accepted precision: crops found", "photos alone"],
        rows,
        "gap 0.1, seed 0, fast mode's head; each row from items-find-gap010[-KIND] and "
        "items-decide-gap010[-KIND]; the photos alone photographed the same way",
    )  # fmt: skip


def counts(head, trust, vectors, classes) -> dict:
    """`item_counts` of items decided from their features, as `Predictor.decide` does."""
    from wildlens.model.serving.items import item_counts

    decided, predicted = decisions(head, trust, vectors)
    records = [
        {"decision": str(d), "label": classes[k]} for d, k in zip(decided, predicted, strict=True)
    ]
    return item_counts(records)


def part_time(scenes, samples, folder: Path, seed: int):
    """What an officer waits for with a 12 MP photo of 6 items: `predict_items` alone, the
    app's handler in this process (decode, find, decide, the overview and the rows), and a
    round trip to app.py in its own process (upload, queue, answer); and infer.py's batch."""
    import subprocess

    from gradio_client import Client, handle_file

    from bench.app_load import start_app, summary, wait_warm
    from bench.batch import bench_bundle
    from wildlens.data.items import ITEMS_DECODE_SIDE
    from wildlens.model.serving.items import predict_items
    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState
    from wildlens.ui.config import AppConfig
    from wildlens.ui.identify import identify_items

    rng = np.random.default_rng(seed + 1)
    objects = []
    for i in rng.permutation(len(samples)):
        cut = cut_out(samples[int(i)].source)
        if cut is not None:
            objects.append(cut)
        if len(objects) == 6:
            break
    global SCENE_SIZE
    SCENE_SIZE, kept = (4000, 3000), SCENE_SIZE
    made = None
    while made is None:
        made = make_scene(objects, "wood", rng)
    SCENE_SIZE = kept
    path = folder / "scene12mp.jpg"
    path.write_bytes(made[0])
    bundle = bench_bundle(Path("runs/bench-bundle")).resolve()
    predictor = Predictor.from_bundle(bundle, device="cpu", backend="onnx", threads=2)

    def timed(call, runs: int = 20) -> tuple[dict[str, float], object]:
        result = call()  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
        return summary(times), result

    def decide():
        loaded = load_image(path, target_size=ITEMS_DECODE_SIDE)
        return predict_items(predictor, loaded.image, loaded.facts.original_size)

    rows = []
    alone, answer = timed(decide)
    rows.append(("predict_items: decode, find, decide", alone, len(answer.items)))
    with tempfile.TemporaryDirectory() as data_dir:
        cfg = AppConfig(data_dir=data_dir, device="cpu")
        state = AppState(
            cfg, Predictor.from_bundle(bundle, device="cpu", threads=cfg.threads), bundle
        )
        handler, _ = timed(lambda: identify_items(state, [str(path)], "en"))
        rows.append(
            ("the app's handler, in process (overview and rows too)", handler, len(answer.items))
        )
        process, url = start_app(bundle, Path(data_dir), warm=False)
        try:
            client = Client(url, verbose=False)
            call = lambda: client.predict(  # noqa: E731
                [handle_file(str(path))], False, "en", True, api_name="/identify"
            )
            start = time.perf_counter()
            call()  # the first photo, as soon as the app answers: its warm-up still running
            first = time.perf_counter() - start
            rows.append(
                ("round trip, the first photo as soon as app.py answers",
                 summary([first]), len(answer.items))
            )  # fmt: skip
            warm_s = wait_warm(process, Path(data_dir), time.monotonic() + 180)
            trip, _ = timed(call)
            rows.append(
                (
                    "round trip to app.py once warmed up (gradio_client, localhost)",
                    trip,
                    len(answer.items),
                )
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    publish(
        "items-time",
        command(),
        ["12 MP scene (4000 x 3000, 6 items laid)", "found", "median s", "p95 s", "max s"],
        [[name, str(found), f"{t['p50_s']:.3f}", f"{t['p95_s']:.3f}", f"{t['max_s']:.3f}"]
         for name, t, found in rows],
        f"ONNX Runtime, 2 threads; 20 calls after one not counted; app.py's round trips once "
        f"its start-up warm-up is done (wildlens.ui.warmup: {warm_s} s, in the background from "
        f"its start), but for the first photo's; load average "
        f"{os.getloadavg()[0]:.1f} at the end",
    )  # fmt: skip
    out = folder / "run" / "items.csv"
    inputs = folder / "scenes"
    start = time.perf_counter()
    subprocess.run([sys.executable, "infer.py", f"bundle={bundle}", f"input={inputs}", f"out={out}",
                    "items=true", "progress=false"], check=True, capture_output=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    summary_file = json.loads(out.with_suffix(".summary.json").read_text())
    publish(
        "items-batch",
        command(),
        ["scenes", "scene size", "whole process s (start-up included)", "scenes/s", "item records"],
        [[str(len(scenes)), f"{SCENE_SIZE[0]} x {SCENE_SIZE[1]}", f"{elapsed:.1f}",
          f"{len(scenes) / elapsed:.2f}", str(summary_file["records"])]],
        "infer.py items=true as a whole process",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--scenes", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", default="find,single,decide,time")
    parser.add_argument("--margin", type=float, default=None, help="crop margin to try")
    parser.add_argument("--gap", type=float, default=0.1, help="least gap, share of the side")
    parser.add_argument("--rulers", type=float, default=0.0, help="share of scenes with a ruler")
    parser.add_argument(
        "--touching", type=float, default=0.0, help="share of scenes with two items touching"
    )
    parser.add_argument(
        "--composites", type=int, default=2, help="decide: also a head with item_composites=N"
    )
    parser.add_argument("--draws", type=int, default=8, help="heldout: pairs of classes held out")
    parser.add_argument(
        "--degrade", choices=SCENE_DEGRADATIONS, default="", help="scenes photographed so"
    )
    args = parser.parse_args()
    global GAP, SEED, DEGRADE
    GAP, SEED, DEGRADE = args.gap, args.seed, args.degrade
    parts = args.parts.split(",")
    if parts == ["pooled"]:
        part_pooled()
        return
    if parts == ["photographed"]:
        part_photographed()
        return
    found, _ = dataset_splits(args.data)
    test = found["test"]
    with tempfile.TemporaryDirectory(prefix="wildlens-items-") as scratch:
        folder = Path(scratch) / "scenes"
        folder.mkdir()
        scenes, usable = build_scenes(
            test, args.scenes, args.seed, folder, args.rulers, args.touching
        )
        digest = hashlib.sha256(b"".join(s["path"].read_bytes() for s in scenes)).hexdigest()[:12]
        print(f"# items on a table: gap {GAP}, {len(scenes)} scenes from {usable} of {len(test)} "
              f"test photos "
              f"that cut out cleanly (scenes digest {digest}, seed {args.seed})")  # fmt: skip
        part_find(scenes, test, digest, save="find" in parts)
        if "single" in parts:
            part_single(test)
        if "decide" in parts:
            part_decide(scenes, Path(args.data), args.seed, args.margin, args.composites)
        if "heldout" in parts:
            part_heldout(scenes, Path(args.data), args.seed, args.draws)
        if "time" in parts:
            part_time(scenes, test, Path(scratch), args.seed)


if __name__ == "__main__":
    main()

"""The trust layer on real photos, on the four kinds of photos: like the training photos, near
look-alikes held out of training, foreign items, and the same classes photographed differently.

    python bench/trust.py [DATA] [--parts head,accept,guarantee,shortlist,unknown,shift]
                          [--resplits 100] [--draws 5] [--seed 0] [--noise-pools 60,all]
    (parts: head, imbalanced, imbalanced_pair, imbalanced_held, accept, noise, report, guarantee,
    shortlist, unknown, few_class, lookalike, shift, knn_bank)

DATA defaults to ../shared/datasets/clothing-small (train/, validation/, test/). Everything runs
fast mode's own code on frozen features (the backbone is frozen there, so its features are
extracted once, cached by photo): the cross-fitted head (`cross_fitted_head`), the trust policy
(`fit_trust` at the default settings) and its measures (`routing_measures`). "Pool" is the
train and validation photos (every labelled photo calibrates); test photos measure.

- head: accuracy of fast mode's head against scikit-learn's logistic-regression probe with C
  chosen by 5-fold cross-validation (LogisticRegressionCV, eval view, standardised), on the
  whole pool and on `--draws` subsets of 30 and 60 photos per class, measured on the test
  photos and on every photo not drawn (the mean paired difference with its standard error);
- imbalanced: fast mode against the same probe when one class drawn at random is 3% of the
  pool, accuracy at that prevalence and the rare class's recall, `--draws` draws;
- imbalanced_pair: the same with 3 classes, two of them a look-alike pair and one of the pair
  3% of the pool (an ivory / bone / ceramic catalogue's shape), fast mode with (shipped) and
  without class weights against the probe; and
  (trust-lookalike-line) the rare class's photos auto-accepted as its look-alike, with the
  look-alike line off and on (`lookalike_rate`);
- imbalanced_held: imbalanced_pair's shape trained on 60% of the common classes' pool photos
  and measured on every other photo of the three classes (hundreds, not tens), so a draw's
  accuracy is not decided by a few test photos;
- accept: share of test photos auto-accepted and their precision at targets 0.95 and 0.98, on
  the whole pool, 60 and 30 per class, and workshop size (5 classes drawn at random x 20);
- noise: 1%, 2% and 5% of the training labels flipped at random, and 2% and 5% of one look-alike
  pair's (shirt / t-shirt) flipped between them, at 60 per class and the whole pool, `--draws`
  draws each: share auto-accepted, precision on clean photos, draws below the target, under the
  fallback scan (shipped) and one fixed sequence (the procedure before it);
- report: what training reports in fast mode without test photos (the pool's own out-of-fold
  answers and unknown scores) against what the model then does on unseen photos of the same
  classes, auto-accepted and unknown, on workshop-size draws (5 random classes x 20) and 60 per
  class;
- guarantee: `--resplits` random 60-per-class pools: how often the accepted precision falls
  below the target on every photo not in the pool (about 3,200), against delta = 0.1;
- shortlist: coverage and size of the expert's shortlist, 10 classes and 2-class catalogues;
- unknown: near (each of the 45 pairs of classes held out of an 8-class catalogue; and per class,
  its photos auto-accepted over the 9 pairs that hold it out, and as which class), far (the
  clothing model given the synthetic photos of `data/synthetic.py`, and a synthetic-photo model
  given clothing photos), few-class (2- and 3-class catalogues given every other class's photos,
  also alone as few_class, with the other classes most often auto-accepted);
- lookalike: classes held out of training (random catalogues of 7 classes at all photos, 60 and
  30 per class, and 5 random classes x 20), every photo of the other classes given to the
  model: look-alikes auto-accepted, catalogue photos called unknown and auto-accepted, at each
  `class_familiar_keep`; chosen on the first half of the draws, reported on the second;
- shift: the test photos under phone-like degradations, and the shift guard over streams of them
  (100 random orders each): photos until it fires, wrong auto-accepts before it does;
- knn_bank: the calibration photos' kNN distances are out of fold, against 4/5 of the photos,
  while a new photo's are against all of them: how far that moves new photos' ranks (held-out
  pool photos and test photos), with the k-th neighbour as shipped and at the same density.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from PIL import Image, ImageFilter

from bench.frozen import frozen_features
from bench.results import publish
from wildlens.data.images import load_image
from wildlens.data.sources import dataset_splits
from wildlens.data.synthetic import write_dataset
from wildlens.data.transforms import Preprocessing, apply, eval_transforms
from wildlens.model.bundle.catalogue import CatalogueEntry
from wildlens.model.evaluation.report import WRONG_SHOWN, most_confident_mistakes
from wildlens.model.network.backbones import build_model
from wildlens.model.network.backends import ModelOutputs
from wildlens.model.training.crossfit import C_GRID, CrossFitSettings, assign_folds
from wildlens.model.training.features import Embedder, FeatureCache, feature_views
from wildlens.model.training.head import head_logits
from wildlens.model.training.modes import cross_fitted_head
from wildlens.model.training.policy import TrustSettings, fit_trust, routing_measures
from wildlens.model.trust.calibration import softmax
from wildlens.model.trust.routing import IDENTIFIED
from wildlens.model.trust.shift import ShiftGuard
from wildlens.model.trust.unknown import NEIGHBOURS, KnnBank, ranks

DEGRADATIONS = ("blur", "rot90", "cast", "lowlight", "jpeg8", "crop50")
PAIRS_2 = (("hat", "shoes"), ("pants", "shorts"), ("shirt", "t-shirt"), ("dress", "skirt"))
CLASSES_3 = (("hat", "shoes", "pants"), ("shirt", "t-shirt", "longsleeve"))
LOOKALIKE_PAIR = ("shirt", "t-shirt")  # the label-noise part flips labels between these too


class Features:
    """Frozen eval-view (and fast mode's light view) features of every photo, cached."""

    def __init__(self, data: Path, seed: int):
        found, _ = dataset_splits(data)
        self.classes = sorted({s.label for s in found["train"]})
        self.model = build_model("tf_efficientnet_lite0", len(self.classes)).eval()
        self.pre = Preprocessing.from_model(self.model)
        self.views = feature_views(self.pre, 1, seed)
        self.cache = FeatureCache.for_backbone(self.model, self.pre)
        self.embedder = Embedder(self.model, self.pre, torch.device("cpu"))
        pool = [s for split in found if split != "test" for s in found[split]]
        self.pool_samples = pool
        self.pool = self.extract(pool, self.views, "pool")
        self.pool_labels = np.array([self.classes.index(s.label) for s in pool])
        self.test_samples = found["test"]
        self.test = self.extract(found["test"], self.views[:1], "test")[:, 0]
        self.test_labels = np.array([self.classes.index(s.label) for s in found["test"]])

    def extract(self, samples, views, name) -> np.ndarray:
        return frozen_features(
            self.model, self.pre, samples, views, self.cache, self.embedder, name
        )

    def synthetic(self, folder: Path, seed: int):
        """Synthetic photos: train views and labels, test eval view and labels."""
        if not folder.exists():
            write_dataset(folder, {"train": 60, "test": 40}, size=192, seed=seed)
        found, _ = dataset_splits(folder)
        names = sorted({s.label for s in found["train"]})
        train = self.extract(found["train"], self.views, "synthetic train")
        test = self.extract(found["test"], self.views[:1], "synthetic test")[:, 0]
        labels = [np.array([names.index(s.label) for s in found[k]]) for k in ("train", "test")]
        return train, labels[0], test, labels[1]

    def degraded(self, kind: str) -> np.ndarray:
        """The test photos under one degradation, eval view, cached by (photo, degradation)."""
        transform = eval_transforms(self.pre)
        vectors, missing = [], []
        for i, sample in enumerate(self.test_samples):
            key = hashlib.sha256(f"{kind}/{sample.key}".encode()).hexdigest()
            cached = self.cache.get(key, "eval")
            vectors.append(cached)
            if cached is None:
                missing.append((i, key))
        for start in range(0, len(missing), 64):
            chunk = missing[start : start + 64]
            batch = np.stack(
                [
                    apply(transform, degrade(self.test_samples[i].source, kind, self.pre))
                    for i, _ in chunk
                ]
            )
            for (i, key), vector in zip(chunk, self.embedder(batch), strict=True):
                self.cache.put(key, "eval", vector)
                vectors[i] = vector
        return np.stack(vectors)


def degrade(source, kind: str, pre: Preprocessing) -> Image.Image:
    """The photo as decoded for the model, then photographed differently."""
    image = load_image(source, target_size=pre.resize_size).image
    rng = np.random.default_rng(int(hashlib.sha256(str(source).encode()).hexdigest()[:8], 16))
    return degraded(image, kind, rng)


def degraded(image: Image.Image, kind: str, rng: np.random.Generator) -> Image.Image:
    """`image` photographed differently: one of DEGRADATIONS."""
    if kind == "blur":  # camera shake at the decoded size (about 400 px)
        return image.filter(ImageFilter.GaussianBlur(3))
    if kind == "rot90":
        return image.rotate(90, expand=True)
    if kind == "cast":  # warm light
        pixels = np.asarray(image, np.float32) * np.array([1.25, 1.0, 0.7])
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if kind == "lowlight":  # dark, noisy
        pixels = 255 * (np.asarray(image, np.float32) / 255) ** 2.2
        pixels += rng.normal(0, 6, pixels.shape)
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if kind == "jpeg8":
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=8)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if kind == "crop50":  # framed too tight
        w, h = image.size
        return image.crop((w // 4, h // 4, w // 4 + w // 2, h // 4 + h // 2))
    raise ValueError(kind)


# --- fitting, as fast mode does ---------------------------------------------------------------


def fit(pool, labels, num_classes, seed=0, c_grid=C_GRID, extra=None, **settings):
    """Fast mode's cross-fitted head and trust policy on a pool of (N, V, D) features (`extra`:
    more training rows, (M, D) features and (M,) their photos, as fast mode's composites)."""
    fold_of = assign_folds([str(y) for y in labels], [str(i) for i in range(len(labels))], 5, seed)
    head, inputs = cross_fitted_head(
        pool, labels, num_classes, fold_of, CrossFitSettings(c_grid=c_grid), extra=extra
    )
    entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in range(num_classes)]
    return head, fit_trust(inputs, entries, TrustSettings(**settings))


def outputs(head, features) -> ModelOutputs:
    return ModelOutputs(head_logits(features, head.weight, head.bias), features)


def measure(head, trust, x, y, foreign=None):
    extra = None if foreign is None else outputs(head, foreign)
    return routing_measures(outputs(head, x), y, trust, extra, trust.calibration_scores)


def subset(labels, per_class, rng, classes=None):
    classes = np.unique(labels) if classes is None else classes
    return np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes]
    )


def remap(labels, classes):
    return np.searchsorted(np.asarray(classes), labels)


def fmt(values, spec=".3f"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return format(values[0], spec)
    return f"{format(np.mean(values), spec)} ± {format(np.std(values), spec)}"


# --- parts ------------------------------------------------------------------------------------


def part_head(f: Features, command: str, seeds=range(5)):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler

    print("\n## head: fast mode against the logistic-regression probe (accuracy)\n")
    table = []
    for per_class in (None, 60, 30):
        results: dict[str, tuple[list, list]] = {}  # measured on: (fast mode's, the probe's)
        for seed in seeds if per_class else [0]:
            rng = np.random.default_rng(seed)
            chosen = subset(f.pool_labels, per_class, rng) if per_class else slice(None)
            x, y = f.pool[chosen], f.pool_labels[chosen]
            # A draw is measured on the test photos, and on every photo not drawn (the pool's
            # rest and the test photos, eval view): ten times the photos, less chance per draw.
            measured = {"test photos": (f.test, f.test_labels)}
            if per_class:
                rest = np.setdiff1d(np.arange(len(f.pool)), chosen)
                measured["every photo not drawn"] = (
                    np.concatenate([f.pool[rest, 0], f.test]),
                    np.concatenate([f.pool_labels[rest], f.test_labels]),
                )
            head, _ = fit(x, y, len(f.classes), seed)
            scaler = StandardScaler().fit(x[:, 0])
            probe = LogisticRegressionCV(
                Cs=10, max_iter=3000, scoring="accuracy", use_legacy_attributes=False
            ).fit(scaler.transform(x[:, 0]), y)
            for name, (photos, truth) in measured.items():
                ours, theirs = results.setdefault(name, ([], []))
                ours.append((outputs(head, photos).logits.argmax(1) == truth).mean())
                theirs.append(probe.score(scaler.transform(photos), truth))
        pool = f"{per_class} per class" if per_class else f"all ({len(f.pool)})"
        for name, (ours, theirs) in results.items():
            below = sum(a < b for a, b in zip(ours, theirs, strict=True))
            difference = np.subtract(ours, theirs)
            error = difference.std(ddof=1) / np.sqrt(len(difference)) if len(ours) > 1 else 0
            table.append(
                [
                    pool,
                    name,
                    fmt(ours),
                    fmt(theirs),
                    f"{difference.mean():+.4f} ± {error:.4f}",
                    f"{below} of {len(ours)}",
                ]
            )
            print(" | ".join(table[-1]), flush=True)
    publish(
        "trust-head",
        command,
        [
            "pool",
            "measured on",
            "fast mode",
            "probe (C by 5-fold CV)",
            "difference (mean ± s.e.)",
            "draws where fast mode is below",
        ],
        table,
        f"accuracy; {len(seeds)} draws per subset size (mean ± s.d.)",
    )


def part_imbalanced(f: Features, draws: int, command: str, share: float = 0.03):
    """Fast mode against the probe when one class is rare (a look-alike such as bone is often a
    few percent of a real catalogue): a class drawn at random keeps `share` of the pool; accuracy
    is measured on the test photos at the same prevalence (the rare class's photos weighted to
    `share`), with the rare class's recall beside it."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler

    print(f"\n## imbalanced: one random class at {share:.0%} of the pool, {draws} draws\n")
    ours, theirs, rows = [], [], []
    for seed in range(draws):
        rng = np.random.default_rng(4000 + seed)
        rare = int(rng.integers(len(f.classes)))
        others = np.flatnonzero(f.pool_labels != rare)
        kept = rng.choice(
            np.flatnonzero(f.pool_labels == rare),
            round(share * len(others) / (1 - share)),
            replace=False,
        )
        chosen = np.r_[others, kept]
        x, y = f.pool[chosen], f.pool_labels[chosen]
        fold_of = assign_folds([str(v) for v in y], [str(i) for i in chosen], 5, seed)
        head, _ = cross_fitted_head(x, y, len(f.classes), fold_of, CrossFitSettings())
        scaler = StandardScaler().fit(x[:, 0])
        probe = LogisticRegressionCV(
            Cs=10, max_iter=3000, scoring="accuracy", use_legacy_attributes=False
        ).fit(scaler.transform(x[:, 0]), y)
        is_rare = f.test_labels == rare
        row = []
        for right in (
            outputs(head, f.test).logits.argmax(1) == f.test_labels,
            probe.predict(scaler.transform(f.test)) == f.test_labels,
        ):
            row.append(
                (
                    (1 - share) * right[~is_rare].mean() + share * right[is_rare].mean(),
                    right[is_rare].mean(),
                )
            )
        ours.append(row[0])
        theirs.append(row[1])
        rows.append(
            [
                f.classes[rare],
                f"{row[0][0]:.3f}",
                f"{row[1][0]:.3f}",
                f"{row[0][1]:.3f}",
                f"{row[1][1]:.3f}",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    difference = np.subtract([a for a, _ in ours], [a for a, _ in theirs])
    rows.append(
        [
            "mean",
            f"{np.mean([a for a, _ in ours]):.3f}",
            f"{np.mean([a for a, _ in theirs]):.3f}",
            f"{np.mean([r for _, r in ours]):.3f}",
            f"{np.mean([r for _, r in theirs]):.3f}",
        ]
    )
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    rows.append(
        ["fast mode - probe, mean ± s.e.", f"{difference.mean():+.4f} ± {error:.4f}", "", "", ""]
    )
    publish(
        "trust-imbalanced",
        command,
        [
            "rare class",
            "fast mode accuracy",
            "probe accuracy",
            "fast mode rare recall",
            "probe rare recall",
        ],
        rows,
        f"accuracy on the test photos at the pool's prevalence ({share:.0%} rare), {draws} draws",
    )


LOOKALIKE_PAIRS = (
    ("shirt", "t-shirt"),
    ("shirt", "longsleeve"),
    ("dress", "skirt"),
    ("pants", "shorts"),
    ("t-shirt", "longsleeve"),
    ("outwear", "longsleeve"),
)


def at_prevalence(flags, is_rare, share):
    """The share of photos `flags` is true of, with the rare class weighed to `share`."""
    return (1 - share) * flags[~is_rare].mean() + share * flags[is_rare].mean()


def prevalence_accuracy(predicted, truth, is_rare, share):
    """(accuracy with the rare class weighted to `share`, the rare class's recall)."""
    right = predicted == truth
    return at_prevalence(right, is_rare, share), right[is_rare].mean()


def pair_catalogue(f: Features, draw: int, rng) -> tuple[list[int], int, list[int]]:
    """The ivory / bone / ceramic shape of draw `draw`: the look-alike pair (LOOKALIKE_PAIRS in
    turn), the one of it that is rare, and the three classes (the pair and one drawn at random)."""
    pair = [f.classes.index(c) for c in LOOKALIKE_PAIRS[draw % len(LOOKALIKE_PAIRS)]]
    rare = pair[int(rng.integers(2))]
    third = int(rng.choice([c for c in range(len(f.classes)) if c not in pair]))
    return pair, rare, sorted([*pair, third])


PAIR_HEADS = {"fast mode (class weights, shipped)": True, "fast mode, no class weights": False}
# The look-alike line tables' measures (`lookalike_line_row`), line off and on.
LINE_COLUMNS = (
    "rare photos auto-accepted as its look-alike: line off",
    "line on (shipped)",
    "auto-accepted: off",
    "on",
    "accepted precision: off",
    "on",
)


def score_pair_heads(x, y, fold_of, photos, truth, known, pair, rare, share):
    """Fast mode with and without class weights, and the probe, on one pair catalogue: each
    one's (accuracy at the pool's prevalence, rare recall), and the shipped head's look-alike
    line row (`lookalike_line_row`)."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    is_rare = truth == known.index(rare)
    score = partial(prevalence_accuracy, truth=truth, is_rare=is_rare, share=share)
    scores, line = {}, None
    for name, balance in PAIR_HEADS.items():
        head, inputs = cross_fitted_head(
            x, y, len(known), fold_of, CrossFitSettings(class_balance=balance)
        )
        scores[name] = score(outputs(head, photos).logits.argmax(1))
        if balance:  # the shipped head
            line = lookalike_line_row(head, inputs, photos, truth, known, pair, rare, share)
    with threadpool_limits(1):
        scaler = StandardScaler().fit(x[:, 0])
        probe = LogisticRegressionCV(
            Cs=10, max_iter=3000, scoring="accuracy", use_legacy_attributes=False
        ).fit(scaler.transform(x[:, 0]), y)
    scores["probe"] = score(probe.predict(scaler.transform(photos)))
    return scores, line


def probe_difference(difference: np.ndarray) -> str:
    """A head's accuracy minus the probe's over draws, as the pair tables print it."""
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    below, far = int((difference < 0).sum()), int((difference < -0.01).sum())
    return (
        f"{difference.mean():+.4f} ± {error:.4f} ({below}; {far} of {len(difference)}), "
        f"worst {difference.min():+.4f}"
    )


def part_imbalanced_held(f: Features, draws: int, command: str, share: float = 0.03):
    """imbalanced_pair's shape measured on many more photos: the common classes train on a
    random 60% of their pool photos and the rare class on as many as make it `share`; every
    other photo of the three classes (the other 40%, the rare class's photos left over, the test
    photos) measures, at the pool's prevalence. On the test photos alone, a class of about 50
    photos puts a point of accuracy on one photo, and single draws swing by several."""
    scores: dict[str, list] = {name: [] for name in [*PAIR_HEADS, "probe"]}
    rows, line_rows = [], []
    for draw in range(draws):
        rng = np.random.default_rng(7000 + draw)
        pair, rare, known = pair_catalogue(f, draw, rng)
        common = np.flatnonzero(np.isin(f.pool_labels, known) & (f.pool_labels != rare))
        trained = rng.choice(common, int(0.6 * len(common)), replace=False)
        rare_photos = rng.permutation(np.flatnonzero(f.pool_labels == rare))
        kept = round(share * len(trained) / (1 - share))
        chosen = np.r_[trained, rare_photos[:kept]]
        measured = np.r_[np.setdiff1d(common, trained), rare_photos[kept:]]
        x, y = f.pool[chosen], remap(f.pool_labels[chosen], known)
        fold_of = assign_folds([str(v) for v in y], [str(i) for i in chosen], 5, draw)
        tested = np.isin(f.test_labels, known)
        photos = np.concatenate([f.pool[measured, 0], f.test[tested]])
        truth = remap(np.concatenate([f.pool_labels[measured], f.test_labels[tested]]), known)
        rare_count = int((truth == known.index(rare)).sum())
        drawn, line = score_pair_heads(x, y, fold_of, photos, truth, known, pair, rare, share)
        catalogue = f"{'/'.join(f.classes[c] for c in known)} ({f.classes[rare]} {share:.0%})"
        line_rows.append([catalogue, rare_count, *line])
        row = [catalogue, len(truth), rare_count]
        for name in scores:
            scores[name].append(drawn[name])
            row += [f"{drawn[name][0]:.3f}", f"{drawn[name][1]:.3f}"]
        rows.append(row)
        print(" | ".join(map(str, row)), flush=True)
    mean = ["mean", "", ""]
    for name in scores:
        mean += [f"{np.mean([a for a, _ in scores[name]]):.3f}",
                 f"{np.mean([r for _, r in scores[name]]):.3f}"]  # fmt: skip
    rows.append(mean)
    probe = np.array([a for a, _ in scores["probe"]])
    for name in PAIR_HEADS:
        difference = np.array([a for a, _ in scores[name]]) - probe
        rows.append([f"{name} - probe: mean ± s.e. (draws below; more than a point)", "", "",
                     probe_difference(difference), *[""] * (2 * len(scores) - 1)])  # fmt: skip
    columns = ["catalogue (rare class)", "photos measured", "of the rare class"]
    for name in scores:
        columns += [f"{name}: accuracy", "rare recall"]
    publish(
        "trust-imbalanced-held",
        command,
        columns,
        rows,
        f"trained on 60% of the common classes' pool photos (the rare class {share:.0%} of it), "
        f"measured on every other photo of the three classes at that prevalence, {draws} draws",
    )
    values = np.array([r[2:] for r in line_rows], dtype=float)
    rare_photos = np.array([r[1] for r in line_rows])
    fooled = values[:, :2] * rare_photos[:, None]  # rare photos accepted as the look-alike
    empty = int((values[:, 3] == 0).sum())
    line_rows.append(["mean (precision: draws that accepted any)", "", *np.nanmean(values, 0)])
    line_rows.append(["most", "", *np.nanmax(values, 0)])
    line_rows.append(
        ["all draws' rare photos together", int(rare_photos.sum()),
         *(f"{v:.4f}" for v in fooled.sum(0) / rare_photos.sum()), "", "", "", ""]
    )  # fmt: skip
    line_rows.append(
        ["draws below 35% auto-accepted (off; on)", "", "", "",
         f"{int((values[:, 2] < 0.35).sum())} of {draws}",
         f"{int((values[:, 3] < 0.35).sum())} of {draws} ({empty} with none)", "", ""]
    )  # fmt: skip
    publish(
        "trust-lookalike-line-held",
        command,
        ["catalogue (rare class)", "rare photos measured", *LINE_COLUMNS],
        line_rows,
        "the shipped head of the table above; the rare class has its own 0.98 target; each of "
        "the pair names the other as its look-alike; line off: lookalike_rate 1",
    )


def part_imbalanced_pair(f: Features, draws: int, command: str, share: float = 0.03):
    """The shape of an ivory / bone / ceramic catalogue: 3 classes, two of them a look-alike pair
    (LOOKALIKE_PAIRS in turn), one of the pair drawn to be `share` of the pool, the third class
    drawn at random. Fast mode as shipped (inverse-frequency class weights), fast mode without
    class weights, and the probe; accuracy on the test photos at the pool's prevalence."""
    scores: dict[str, list] = {name: [] for name in [*PAIR_HEADS, "probe"]}
    rows, line_rows = [], []
    for draw in range(draws):
        rng = np.random.default_rng(5000 + draw)
        pair, rare, known = pair_catalogue(f, draw, rng)
        others = np.flatnonzero(np.isin(f.pool_labels, known) & (f.pool_labels != rare))
        kept = rng.choice(
            np.flatnonzero(f.pool_labels == rare),
            round(share * len(others) / (1 - share)),
            replace=False,
        )
        chosen = np.r_[others, kept]
        x, y = f.pool[chosen], remap(f.pool_labels[chosen], known)
        fold_of = assign_folds([str(v) for v in y], [str(i) for i in chosen], 5, draw)
        tested = np.isin(f.test_labels, known)
        photos, truth = f.test[tested], remap(f.test_labels[tested], known)
        drawn, line = score_pair_heads(x, y, fold_of, photos, truth, known, pair, rare, share)
        row = [f"{'/'.join(f.classes[c] for c in known)} ({f.classes[rare]} {share:.0%})"]
        line_rows.append([row[0], *line])
        for name in scores:
            scores[name].append(drawn[name])
            row += [f"{drawn[name][0]:.3f}", f"{drawn[name][1]:.3f}"]
        rows.append(row)
        print(" | ".join(row), flush=True)
    mean = ["mean"]
    for name in scores:
        mean += [f"{np.mean([a for a, _ in scores[name]]):.3f}"]
        mean += [f"{np.mean([r for _, r in scores[name]]):.3f}"]
    rows.append(mean)
    probe = np.array([a for a, _ in scores["probe"]])
    half = draws // 2
    for name in PAIR_HEADS:
        differences = np.array([a for a, _ in scores[name]]) - probe
        # Halves apart: a choice made on draws 1-6 is reported on 7-12.
        for part, difference in (
            (f"draws 1-{half}", differences[:half]),
            (f"draws {half + 1}-{draws}", differences[half:]),
            ("all draws", differences),
        ):
            rows.append(
                [
                    f"{name} - probe, {part}: mean ± s.e. (draws below; more than a point)",
                    probe_difference(difference),
                    *[""] * (2 * len(scores) - 1),
                ]
            )
    columns = ["catalogue (rare class)"]
    for name in scores:
        columns += [f"{name}: accuracy", "rare recall"]
    publish(
        "trust-imbalanced-pair",
        command,
        columns,
        rows,
        f"accuracy on the test photos at the pool's prevalence ({share:.0%} rare), {draws} draws",
    )
    values = np.array([r[1:] for r in line_rows], dtype=float)
    half = len(values) // 2
    line_rows.append([f"mean, draws 1-{half} (the line's form was chosen on these)",
                      *values[:half].mean(0)])  # fmt: skip
    line_rows.append([f"mean, draws {half + 1}-{len(values)}", *values[half:].mean(0)])
    line_rows.append(["mean", *values.mean(0)])
    line_rows.append(["most", *values.max(0)])
    publish(
        "trust-lookalike-line",
        command,
        ["catalogue (rare class)", *LINE_COLUMNS],
        line_rows,
        f"the same draws and shipped head; the test photos at the pool's prevalence ({share:.0%} "
        "rare); the rare class has its own 0.98 target; each of the pair names the other as its "
        "look-alike; line off: lookalike_rate 1",
    )


def lookalike_line_row(head, inputs, photos, truth, known, pair, rare, share: float = 0.03):
    """The rare class's test photos auto-accepted as its look-alike, the share auto-accepted and
    its precision (at the pool's prevalence), without and with the look-alike line."""
    from wildlens.model.trust.routing import IDENTIFIED, decide

    r, c = known.index(rare), known.index(next(k for k in pair if k != rare))
    entries = [
        CatalogueEntry(
            id=f"c{i}",
            names={"en": str(i)},
            target_precision=0.98 if i == r else None,
            lookalikes=(f"c{c}",) if i == r else (f"c{r}",) if i == c else (),
        )
        for i in range(len(known))
    ]
    out = outputs(head, photos)
    answers = out.logits.argmax(1)
    is_rare, right = truth == r, answers == truth
    measured = []
    for rate in (1.0, TrustSettings().lookalike_rate):
        trust = fit_trust(inputs, entries, TrustSettings(lookalike_rate=rate))
        probs = softmax(out.logits, trust.temperature)
        accepted = np.array(
            [d.decision == IDENTIFIED for d in decide(probs, trust.scores(out), None, trust.policy)]
        )
        fooled = float((accepted & is_rare & (answers == c)).sum() / is_rare.sum())
        covered = at_prevalence(accepted, is_rare, share)
        hits = at_prevalence(accepted & right, is_rare, share)
        measured.append((fooled, covered, hits / covered if covered else float("nan")))
    (f0, c0, p0), (f1, c1, p1) = measured
    return [f0, f1, c0, c1, p0, p1]


def part_accept(f: Features, command: str, seeds=range(5)):
    """Auto-accepted share and precision at two targets; the workshop row's catalogues are 5
    classes drawn at random in each draw (seeded), never hand-picked ones."""
    print("\n## accept: test photos auto-accepted, and their precision\n")
    rows = []
    for name, per_class, classes_drawn in (
        (f"all ({len(f.pool)})", None, None),
        ("60 per class", 60, None),
        ("30 per class", 30, None),
        ("workshop: 5 random classes x 20", 20, 5),
    ):
        for target in (0.95, 0.98):
            shares, precisions, unknown = [], [], []
            for seed in seeds if per_class else [0]:
                rng = np.random.default_rng(seed)
                classes = (
                    sorted(rng.choice(len(f.classes), classes_drawn, replace=False))
                    if classes_drawn
                    else None
                )
                if per_class:
                    chosen = subset(f.pool_labels, per_class, rng, classes)
                else:
                    chosen = np.arange(len(f.pool))
                keep = np.isin(f.test_labels, classes) if classes else np.ones(len(f.test), bool)
                names = classes or list(range(len(f.classes)))
                y = remap(f.pool_labels[chosen], names)
                head, trust = fit(f.pool[chosen], y, len(names), seed, target_precision=target)
                m = measure(head, trust, f.test[keep], remap(f.test_labels[keep], names))
                shares.append(m["routing"]["coverage"])
                precisions.append(m["routing"]["accepted_precision"])
                unknown.append(m["unknown"]["in_catalogue_called_unknown"])
            rows.append([name, f"{target}", fmt(shares), fmt(precisions), fmt(unknown)])
            print(" | ".join(rows[-1]), flush=True)
    publish(
        "trust-accept",
        command,
        [
            "pool",
            "target",
            "auto-accepted",
            "accepted precision",
            "catalogue photos called unknown",
        ],
        rows,
        f"test photos; subsets: {len(seeds)} draws each (mean ± s.d.), the workshop row's 5 "
        "classes drawn at random in each",
    )


def part_guarantee(f: Features, resplits: int, command: str):
    print(f"\n## guarantee: {resplits} random pools of 60 per class (delta 0.1)\n")
    rows = []
    everything = np.concatenate([f.pool[:, 0], f.test])
    labels = np.concatenate([f.pool_labels, f.test_labels])
    for target in (0.95, 0.98):
        failures, shares, with_threshold = 0, [], 0
        for seed in range(resplits):
            rng = np.random.default_rng(1000 + seed)
            chosen = subset(f.pool_labels, 60, rng)
            head, trust = fit(
                f.pool[chosen], f.pool_labels[chosen], len(f.classes), seed, target_precision=target
            )
            rest = np.setdiff1d(np.arange(len(everything)), chosen)
            m = measure(head, trust, everything[rest], labels[rest])
            precision = m["routing"]["accepted_precision"]
            if trust.policy.pooled.status == "auto":
                with_threshold += 1
            shares.append(m["routing"]["coverage"])
            failures += precision is not None and precision < target
        rows.append(
            [
                f"{target}",
                f"{with_threshold} of {resplits}",
                fmt(shares),
                f"{failures} of {resplits}",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    publish(
        "trust-guarantee",
        command,
        [
            "target",
            "draws with a threshold",
            "auto-accepted",
            "draws with precision below target",
        ],
        rows,
        f"{resplits} random pools of 60 per class, measured on every photo not in the pool; "
        "delta 0.1",
    )


def flip_labels(labels, share, rng, pair=None):
    """`share` of the labels flipped: to another class at random, or (pair) only between the two
    classes of a look-alike pair (that share of the pair's photos)."""
    labels = labels.copy()
    if pair is None:
        chosen = rng.choice(len(labels), round(share * len(labels)), replace=False)
        for i in chosen:
            labels[i] = rng.choice(np.setdiff1d(np.unique(labels), [labels[i]]))
        return labels
    members = np.flatnonzero(np.isin(labels, pair))
    chosen = rng.choice(members, round(share * len(members)), replace=False)
    labels[chosen] = np.where(labels[chosen] == pair[0], pair[1], pair[0])
    return labels


def checked_labels(labels: np.ndarray, clean: np.ndarray, inputs, temperature: float) -> np.ndarray:
    """`labels` after a person checks the calibration answers report/calibration_wrong.csv
    lists (the `WRONG_SHOWN` most confident mistakes, out of fold) and corrects the wrong labels
    among them to `clean`."""
    probs = softmax(inputs.calibration.logits, temperature)
    listed = most_confident_mistakes(probs, labels, WRONG_SHOWN)
    fixed = labels.copy()
    fixed[listed] = clean[listed]
    return fixed


def kept(results: dict[str, list], m: dict) -> None:
    """One draw's routing measures added to a procedure's lists."""
    results["shares"].append(m["routing"]["coverage"])
    results["precisions"].append(m["routing"]["accepted_precision"])


def part_noise(f: Features, draws: int, command: str, target: float = 0.95, pools: str = "60,all"):
    """Training labels flipped (they calibrate too, out of fold); measured on clean photos. The
    same heads decide under the fallback scan (shipped) and one fixed sequence (before); then
    the user's remedy: the calibration answers the model card lists (the `WRONG_SHOWN` most
    confident mistakes, report/calibration_wrong.csv) checked by a person, whose wrong labels
    among them are corrected, and the head trained again.
    `pools`: photos per class drawn ("60"), the whole pool ("all"), or both; a table of other
    pools than both is saved under its own name (trust-noise-60: many draws of the small pool
    alone, where one draw's luck moves the share most)."""
    import wildlens.model.trust.routing as routing

    pair = tuple(f.classes.index(c) for c in LOOKALIKE_PAIR)
    shipped = routing.MAX_STARTS
    checked_name = f"fallback, the {WRONG_SHOWN} listed checked"
    procedures = ("fallback (shipped)", "one sequence", checked_name)
    print(f"\n## noise: training labels flipped, target {target}, {draws} draws\n")
    rows = []
    everything = np.concatenate([f.pool[:, 0], f.test])
    truth = np.concatenate([f.pool_labels, f.test_labels])
    kinds = [("none", 0.0, None)]
    kinds += [(f"{share:.0%} at random", share, None) for share in (0.01, 0.02, 0.05)]
    kinds += [(f"{share:.0%} {'/'.join(LOOKALIKE_PAIR)}", share, pair) for share in (0.02, 0.05)]
    sizes = [None if size == "all" else int(size) for size in pools.split(",")]
    entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in range(len(f.classes))]

    def fitted(chosen, labels, seed):
        fold_of = assign_folds([str(y) for y in labels], [str(i) for i in chosen], 5, seed)
        return cross_fitted_head(
            f.pool[chosen], labels, len(f.classes), fold_of, CrossFitSettings()
        )

    for per_class in sizes:
        for name, share, flipped_pair in kinds:
            results = {
                procedure: {"shares": [], "precisions": [], "fixed": []} for procedure in procedures
            }

            for seed in range(draws):
                rng = np.random.default_rng(2000 + seed)
                chosen = (
                    subset(f.pool_labels, per_class, rng) if per_class else np.arange(len(f.pool))
                )
                clean = f.pool_labels[chosen]
                noisy = flip_labels(clean, share, rng, flipped_pair)
                head, inputs = fitted(chosen, noisy, seed)
                # Measured on clean labels: the test photos, and (60 per class) every photo
                # not drawn as well.
                rest = np.setdiff1d(np.arange(len(everything)), chosen) if per_class else None
                x, y = (everything[rest], truth[rest]) if per_class else (f.test, f.test_labels)
                for procedure, starts in (("fallback (shipped)", shipped), ("one sequence", 1)):
                    routing.MAX_STARTS = starts
                    trust = fit_trust(inputs, entries, TrustSettings(target_precision=target))
                    kept(results[procedure], measure(head, trust, x, y))
                    if starts == shipped:
                        shipped_trust = trust
                routing.MAX_STARTS = shipped
                # The remedy: the listed calibration photos' labels checked and corrected.
                checked = checked_labels(noisy, clean, inputs, shipped_trust.temperature)
                corrected = (int((checked != noisy).sum()), int((noisy != clean).sum()))
                if corrected[0]:
                    head, inputs = fitted(chosen, checked, seed)
                    trust = fit_trust(inputs, entries, TrustSettings(target_precision=target))
                else:
                    trust = shipped_trust
                kept(results[checked_name], measure(head, trust, x, y))
                results[checked_name]["fixed"].append(corrected)
            pool = f"{per_class} per class" if per_class else f"all ({len(f.pool)})"
            for procedure, got in results.items():
                precisions, fixed = got["precisions"], got["fixed"]
                below = sum(p is not None and p < target for p in precisions)
                empty = sum(p is None for p in precisions)
                found = (
                    f"{sum(a for a, _ in fixed)} of {sum(b for _, b in fixed)}" if fixed else "-"
                )
                rows.append(
                    [
                        pool,
                        name,
                        procedure,
                        fmt(got["shares"]),
                        fmt(precisions),
                        f"{below} of {draws}",
                        f"{empty} of {draws}",
                        found,
                    ]
                )
                print(" | ".join(rows[-1]), flush=True)
    publish(
        "trust-noise" if pools == "60,all" else f"trust-noise-{pools.replace(',', '-')}",
        command,
        [
            "pool",
            "flipped",
            "procedure",
            "auto-accepted",
            "accepted precision (clean)",
            "draws below target",
            "draws with nothing accepted",
            "wrong labels corrected (of flipped, all draws)",
        ],
        rows,
        f"target {target}, delta 0.1, {draws} draws per row (mean ± s.d.); checked: the "
        f"{WRONG_SHOWN} calibration answers report/calibration_wrong.csv lists, their wrong "
        "labels corrected, trained again",
    )


def part_report(f: Features, draws: int, command: str):
    """What training reports (fast mode without test photos: the pool's own out-of-fold answers
    and scores) against what the same model then does on photos it never saw."""
    print(f"\n## report: reported on the fitted photos against unseen photos, {draws} draws\n")
    table = []
    everything = np.concatenate([f.pool[:, 0], f.test])
    truth = np.concatenate([f.pool_labels, f.test_labels])
    in_test = np.r_[np.zeros(len(f.pool), bool), np.ones(len(f.test), bool)]
    measures = {"auto-accepted": "coverage", "unknown": "unknown_rate"}
    for name, per_class, classes_drawn in (
        ("workshop: 5 random classes x 20", 20, 5),
        ("60 per class", 60, None),
    ):
        rows = {m: ([], [], []) for m in measures}
        for seed in range(draws):
            rng = np.random.default_rng(3000 + seed)
            classes = (
                sorted(rng.choice(len(f.classes), classes_drawn, replace=False))
                if classes_drawn
                else list(range(len(f.classes)))
            )
            chosen = subset(f.pool_labels, per_class, rng, classes)
            y = remap(f.pool_labels[chosen], classes)
            fold_of = assign_folds([str(v) for v in y], [str(i) for i in chosen], 5, seed)
            head, inputs = cross_fitted_head(
                f.pool[chosen], y, len(classes), fold_of, CrossFitSettings()
            )
            entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in classes]
            trust = fit_trust(inputs, entries, TrustSettings())
            reported = routing_measures(
                inputs.calibration, y, trust, scores=trust.calibration_scores
            )["routing"]
            keep = np.isin(truth, classes)
            keep[chosen] = False
            rest = measure(head, trust, everything[keep], remap(truth[keep], classes))["routing"]
            test = keep & in_test
            tested = measure(head, trust, everything[test], remap(truth[test], classes))["routing"]
            for label, key in measures.items():
                rows[label][0].append(reported[key])
                rows[label][1].append(tested[key])
                rows[label][2].append(rest[key])
        for label, (reported, tested, rest) in rows.items():
            difference = np.subtract(reported, rest)
            within = int((np.abs(difference) <= 0.05).sum())
            table.append(
                [
                    name,
                    label,
                    fmt(reported),
                    fmt(tested),
                    fmt(rest),
                    f"{difference.mean():+.3f} ± {difference.std():.3f}",
                    f"{within} of {draws}",
                ]
            )
            print(" | ".join(table[-1]), flush=True)
    publish(
        "trust-report",
        command,
        [
            "pool",
            "measure",
            "reported (fitted photos)",
            "unseen: test photos",
            "unseen: every photo not drawn",
            "reported - unseen (every photo not drawn), mean ± s.d.",
            "draws within 5 points",
        ],
        table,
        f"{draws} draws of each size (mean ± s.d.)",
    )


LOOKALIKE_SIZES = (  # name, photos per class (None: all), classes in the catalogue
    ("all", None, 7),
    ("60 per class", 60, 7),
    ("30 per class", 30, 7),
    ("workshop: 5 random classes x 20", 20, 5),
)
CLASS_FAMILIAR_KEEPS = (1.0, 0.95, 0.9, 0.8, 0.7)  # 1: the line per class off
LOOKALIKE_MAX_UNKNOWN = 0.05  # catalogue photos called unknown, at most
LOOKALIKE_MIN_KEPT = 0.9  # catalogue photos' auto-accepted share kept, relative to the line off


def lookalike_catalogue(labels, num_classes, per_class, known_count, draw):
    """The lookalike part's catalogue `draw` of a size: `known_count` classes drawn at random,
    their photos (`per_class` of each, None: all); the classes and the photos' indices."""
    rng = np.random.default_rng(6000 + draw)
    known = sorted(rng.choice(num_classes, known_count, replace=False))
    if per_class is None:
        return known, np.flatnonzero(np.isin(labels, known))
    return known, subset(labels, per_class, rng, known)


def part_lookalike(f: Features, draws: int, command: str):
    """Classes held out of training: random catalogues (7 of the 10 classes; workshop: 5), the
    other classes' photos are the look-alikes the catalogue lacks. Each draw's head is fitted
    once and its trust policy at every `class_familiar_keep` of CLASS_FAMILIAR_KEEPS; the first
    half of the draws chooses the setting (the fewest look-alikes auto-accepted with at most
    LOOKALIKE_MAX_UNKNOWN of catalogue photos called unknown and at least LOOKALIKE_MIN_KEPT of
    the catalogue's automation kept, means over the sizes), the second half reports it."""
    results = {}  # (size, draw, keep) -> measures
    for size, per_class, known_count in LOOKALIKE_SIZES:
        for draw in range(draws):
            known, chosen = lookalike_catalogue(
                f.pool_labels, len(f.classes), per_class, known_count, draw
            )
            y = remap(f.pool_labels[chosen], known)
            fold_of = assign_folds([str(v) for v in y], [str(i) for i in chosen], 5, draw)
            head, inputs = cross_fitted_head(
                f.pool[chosen], y, len(known), fold_of, CrossFitSettings()
            )
            # Catalogue photos: every photo of the known classes not drawn (all: the test
            # photos); look-alikes: every photo of the other classes.
            everything = np.concatenate([f.pool[:, 0], f.test])
            truth = np.concatenate([f.pool_labels, f.test_labels])
            catalogue = np.isin(truth, known)
            catalogue[chosen] = False
            if per_class is None:
                catalogue[: len(f.pool)] = False
            held_out = ~np.isin(truth, known)
            entries = [CatalogueEntry(id=f"c{i}", names={"en": str(i)}) for i in known]
            for keep in CLASS_FAMILIAR_KEEPS:
                trust = fit_trust(inputs, entries, TrustSettings(class_familiar_keep=keep))
                m = measure(
                    head,
                    trust,
                    everything[catalogue],
                    remap(truth[catalogue], known),
                    everything[held_out],
                )
                results[size, draw, keep] = {
                    "held_out_accepted": m["unknown"]["auto_accepted"],
                    "unknown": m["routing"]["unknown_rate"],
                    "accepted": m["routing"]["coverage"],
                    "precision": m["routing"]["accepted_precision"],
                }
            print(f"[lookalike {size} draw {draw}: {[f.classes[c] for c in known]}]", flush=True)
    half = draws // 2
    selecting, reporting = range(half), range(half, draws)

    def mean(keep, key, size, part):
        values = [results[size, d, keep][key] for d in part]
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    sizes = [s for s, _, _ in LOOKALIKE_SIZES]
    rows, allowed = [], {}
    for keep in CLASS_FAMILIAR_KEEPS:
        held = np.mean([mean(keep, "held_out_accepted", s, selecting) for s in sizes])
        unknown = np.mean([mean(keep, "unknown", s, selecting) for s in sizes])
        kept = np.mean(
            [
                mean(keep, "accepted", s, selecting) / mean(1.0, "accepted", s, selecting)
                for s in sizes
                if mean(1.0, "accepted", s, selecting)
            ]
        )
        if unknown <= LOOKALIKE_MAX_UNKNOWN and kept >= LOOKALIKE_MIN_KEPT:
            allowed[keep] = held
        rows.append(
            [
                "off" if keep >= 1 else f"{keep:.2f}",
                f"{held:.3f}",
                f"{unknown:.3f}",
                f"{kept:.3f}",
                "yes" if keep in allowed else "no",
            ]
        )
    chosen_keep = min(allowed, key=lambda k: (allowed[k], -k))
    publish(
        "trust-lookalike-selection",
        command,
        [
            "class_familiar_keep",
            "look-alikes auto-accepted",
            "catalogue photos called unknown",
            "catalogue automation kept (share of the line off)",
            "allowed",
        ],
        rows,
        f"selection half: draws 0-{half - 1} of each size, means over the 4 sizes; chosen: "
        f"{chosen_keep}",
    )
    rows = []
    for size in sizes:
        for keep in dict.fromkeys((1.0, chosen_keep)):
            values = {
                key: [results[size, d, keep][key] for d in reporting]
                for key in ("held_out_accepted", "unknown", "accepted", "precision")
            }
            rows.append(
                [
                    size,
                    "off" if keep >= 1 else f"{keep:.2f} (chosen)",
                    fmt(values["held_out_accepted"]),
                    fmt(values["unknown"]),
                    fmt(values["accepted"]),
                    fmt(values["precision"]),
                ]
            )
    publish(
        "trust-lookalike",
        command,
        [
            "pool",
            "line per class",
            "look-alikes held out: auto-accepted",
            "catalogue photos called unknown",
            "catalogue photos auto-accepted",
            "accepted precision (target 0.95)",
        ],
        rows,
        f"report half: draws {half}-{draws - 1} of each size (mean ± s.d.), target 0.95",
    )


def part_shortlist(f: Features, command: str):
    print("\n## shortlist: nominal coverage 0.95, test photos\n")
    rows = []
    sets = [("all 10", list(range(len(f.classes))))]
    sets += [(" vs ".join(p), [f.classes.index(c) for c in p]) for p in PAIRS_2]
    for name, classes in sets:
        chosen = np.isin(f.pool_labels, classes)
        head, trust = fit(f.pool[chosen], remap(f.pool_labels[chosen], classes), len(classes))
        keep = np.isin(f.test_labels, classes)
        m = measure(head, trust, f.test[keep], remap(f.test_labels[keep], classes))
        shortlist = m["shortlist"]
        rows.append([name, f"{shortlist['coverage']:.3f}", f"{shortlist['mean_size']:.2f}"])
    publish(
        "trust-shortlist",
        command,
        ["catalogue", "coverage", "mean size"],
        rows,
        "nominal coverage 0.95, test photos",
    )


def part_unknown(f: Features, scratch: Path, command: str):
    print("\n## unknown: near (held-out pairs), far (other kinds of photos), few-class\n")
    # Near: each pair of classes held out of the catalogue; the head's C fixed at the whole
    # pool's choice (the search per pair changes little and costs 5 times the time).
    full, _ = fit(f.pool, f.pool_labels, len(f.classes))
    rows, by_class = [], {}
    for pair in itertools.combinations(range(len(f.classes)), 2):
        known = [c for c in range(len(f.classes)) if c not in pair]
        chosen = np.isin(f.pool_labels, known)
        head, trust = fit(
            f.pool[chosen], remap(f.pool_labels[chosen], known), len(known), c_grid=(full.c,)
        )
        keep = np.isin(f.test_labels, known)
        foreign = np.concatenate([f.pool[~chosen, 0], f.test[~keep]])
        m = measure(head, trust, f.test[keep], remap(f.test_labels[keep], known), foreign)
        rows.append((m["unknown"]["auroc"], m["unknown"]["auto_accepted"]))
        # Each held-out class's photos: auto-accepted, and as which class.
        answered = outputs(head, foreign)
        accepted = np.array([d.decision == IDENTIFIED for d in trust.decide(answered)])
        answers = np.asarray(known)[answered.logits.argmax(1)]
        held_labels = np.concatenate([f.pool_labels[~chosen], f.test_labels[~keep]])
        for held in pair:
            photos = held_labels == held
            taken = answers[photos & accepted]
            by_class.setdefault(held, []).append((len(taken) / photos.sum(), taken, photos.sum()))
    names = list(rows[0][0].keys())
    publish(
        "trust-unknown-near",
        command,
        [f"{len(rows)} held-out pairs", *names, "held-out photos auto-accepted"],
        [
            [
                "mean AUROC (worst pair)",
                *(
                    f"{np.mean([r[0][n] for r in rows]):.3f} ({min(r[0][n] for r in rows):.3f})"
                    for n in names
                ),
                fmt([r[1] for r in rows]),
            ]
        ],
        "test photos of the 8 classes against every photo of the pair held out",
    )
    publish_held_out_classes(f, by_class, command)
    synthetic_train, synthetic_labels, synthetic_test, test_labels = f.synthetic(
        scratch / "synthetic", 0
    )
    far_rows = []
    cases = [
        (
            "clothing model, synthetic photos",
            f.pool,
            f.pool_labels,
            f.test,
            f.test_labels,
            np.concatenate([synthetic_train[:, 0], synthetic_test]),
        ),
        (
            "synthetic model, clothing photos",
            synthetic_train,
            synthetic_labels,
            synthetic_test,
            test_labels,
            f.test,
        ),
    ]
    for name, pool, labels, x, y, foreign in cases:
        head, trust = fit(pool, labels, int(labels.max()) + 1)
        m = measure(head, trust, x, y, foreign)
        u = m["unknown"]
        far_rows.append(
            [
                name,
                f"{m['routing']['coverage']:.3f}",
                fmt([m["routing"]["accepted_precision"]]),
                f"{u['called_unknown']:.3f}",
                f"{u['auto_accepted']:.3f}",
                *(f"{u['auroc'][k]:.3f}" for k in ("combined", "energy", "knn_features")),
                f"{u['auroc']['knn_logits']:.3f}",
            ]
        )
    publish(
        "trust-unknown-far",
        command,
        [
            "far",
            "catalogue photos auto-accepted",
            "their precision",
            "foreign called unknown",
            "foreign auto-accepted",
            "AUROC combined",
            "energy",
            "knn_features",
            "knn_logits",
        ],
        far_rows,
    )
    part_few_class(f, command)


def publish_held_out_classes(f: Features, by_class: dict, command: str) -> None:
    """Per class, over the 9 pairs that hold it out: its photos auto-accepted (mean, fewest,
    most) and the classes they were most often accepted as (share of all its photos)."""
    rows = []
    for held in sorted(by_class, key=lambda c: np.mean([r[0] for r in by_class[c]])):
        results = by_class[held]
        shares = [r[0] for r in results]
        taken = np.bincount([c for r in results for c in r[1]], minlength=len(f.classes)) / sum(
            r[2] for r in results
        )
        most = [c for c in np.argsort(-taken, kind="stable")[:2] if taken[c] >= 0.005]
        rows.append(
            [
                f.classes[held],
                f"{np.mean(shares):.3f}",
                f"{min(shares):.3f} - {max(shares):.3f}",
                ", ".join(f"{f.classes[c]} {taken[c]:.2f}" for c in most) or "-",
            ]
        )
    publish(
        "trust-unknown-near-classes",
        command,
        [
            "class held out",
            "its photos auto-accepted, mean of the 9 pairs",
            "fewest - most",
            "accepted most often as (share of its photos)",
        ],
        rows,
        "every photo of the class, each pair's 8-class catalogue as in the table above",
    )


def part_few_class(f: Features, command: str):
    """2- and 3-class catalogues given every photo of the other classes."""
    rows = []
    for names in PAIRS_2 + CLASSES_3:
        known = sorted(f.classes.index(c) for c in names)
        chosen = np.isin(f.pool_labels, known)
        head, trust = fit(f.pool[chosen], remap(f.pool_labels[chosen], known), len(known))
        keep = np.isin(f.test_labels, known)
        foreign = np.concatenate([f.pool[~chosen, 0], f.test[~keep]])
        foreign_labels = np.concatenate([f.pool_labels[~chosen], f.test_labels[~keep]])
        m = measure(head, trust, f.test[keep], remap(f.test_labels[keep], known))
        kinds = np.array([d.decision for d in trust.decide(outputs(head, foreign))])
        accepted = kinds == "identified"
        shares = {
            f.classes[c]: accepted[foreign_labels == c].mean() for c in np.unique(foreign_labels)
        }
        most = sorted(shares.items(), key=lambda item: -item[1])[:3]
        rows.append(
            [
                "/".join(names),
                f"{m['routing']['coverage']:.3f}",
                fmt([m["routing"]["accepted_precision"]]),
                f"{(kinds == 'unknown').mean():.3f}",
                f"{accepted.mean():.3f}",
                ", ".join(f"{name} {share:.2f}" for name, share in most),
            ]
        )
    publish(
        "trust-few-class",
        command,
        [
            "catalogue",
            "catalogue photos auto-accepted",
            "their precision",
            "other classes' photos called unknown",
            "other classes' photos auto-accepted",
            "most accepted of them",
        ],
        rows,
    )


def part_shift(f: Features, scratch: Path, command: str, orders: int = 100):
    print("\n## shift: test photos photographed differently, and the shift guard (target 0.95)\n")
    head, trust = fit(f.pool, f.pool_labels, len(f.classes))
    rows = []
    _, _, synthetic, _ = f.synthetic(scratch / "synthetic", 0)
    sets = [("clean", f.test, f.test_labels)]
    sets += [(kind, f.degraded(kind), f.test_labels) for kind in DEGRADATIONS]
    rng = np.random.default_rng(0)
    for share in (0.1, 0.3):  # synthetic photos mixed into a clothing run
        count = int(len(f.test) * share / (1 - share))
        x = np.concatenate([f.test, synthetic[rng.choice(len(synthetic), count)]])
        y = np.concatenate([f.test_labels, np.full(count, -1)])
        sets.append((f"clean + {share:.0%} synthetic", x, y))
    for name, x, y in sets:
        decisions = trust.decide(outputs(head, x))
        predicted = outputs(head, x).logits.argmax(1)
        accepted = np.array([d.decision == "identified" for d in decisions])
        right = predicted == y
        m = measure(head, trust, x[y >= 0], y[y >= 0])
        fired, until, wrong = 0, [], []
        for _ in range(orders):
            order = rng.permutation(len(x))
            guard = ShiftGuard(trust.policy.guard)
            wrong_before = 0
            for i in order:
                if guard.fired:
                    break
                wrong_before += bool(accepted[i] and not right[i])
                guard.update(decisions[i].signals)
            fired += guard.fired
            if guard.fired:
                until.append(guard.fired_at)
            wrong.append(wrong_before)
        rows.append(
            [
                name,
                f"{right[y >= 0].mean():.3f}",
                f"{accepted.mean():.3f}",
                fmt([m["routing"]["accepted_precision"]]),
                f"{np.mean([d.decision == 'unknown' for d in decisions]):.3f}",
                f"{fired} of {orders}",
                str(np.median(until)) if until else "-",
                f"{np.mean(wrong):.1f}, {max(wrong)}",
            ]
        )
    publish(
        "trust-shift",
        command,
        [
            "photos",
            "accuracy",
            "auto-accepted",
            "accepted precision",
            "called unknown",
            "guard fired",
            "photos until it fires (median)",
            "wrong auto-accepts before it fires (mean, max)",
        ],
        rows,
        f"the whole pool's model, target 0.95; the guard over {orders} random orders of each set",
    )


def part_knn_bank(f: Features, command: str, splits: int = 3):
    print("\n## knn_bank: new photos' kNN ranks among out-of-fold calibration distances\n")
    x = f.pool[:, 0]
    rows: dict = {}
    for seed in range(splits):
        order = np.random.default_rng(seed).permutation(len(x))
        train, held = order[: len(x) * 4 // 5], order[len(x) * 4 // 5 :]
        labels = [str(v) for v in f.pool_labels[train]]
        fold_of = assign_folds(labels, [str(i) for i in train], 5, seed)
        bank = KnnBank.of(x[train])
        new = {"held-out pool photos": bank.score(x[held]), "test photos": bank.score(f.test)}
        for k in (NEIGHBOURS, NEIGHBOURS * 4 // 5):
            calibration = np.zeros(len(train))
            for fold in range(5):
                inside = fold_of == fold
                calibration[inside] = KnnBank.of(x[train][~inside], k).score(x[train][inside])
            lines = np.quantile(calibration, [0.9, 0.95])
            for name, distances in new.items():
                rows.setdefault((k, name), []).append(
                    [ranks(calibration, distances).mean(), *(distances[:, None] > lines).mean(0)]
                )
    table = []
    for (k, name), values in rows.items():
        mean = np.mean(values, axis=0)
        which = "shipped" if k == NEIGHBOURS else "the same density"
        table.append([f"{k} ({which})", name, *(f"{v:.3f}" for v in mean)])
    publish(
        "trust-knn-bank",
        command,
        [
            "calibration k",
            "photos",
            "mean rank (0.5: like calibration)",
            "beyond 90% line",
            "95%",
        ],
        table,
        f"means over {splits} random 80/20 splits of the pool",
    )


PARTS = (
    "head",
    "accept",
    "noise",
    "guarantee",
    "shortlist",
    "unknown",
    "few_class",
    "shift",
    "knn_bank",
    "lookalike",
)
# Run only when named: the slower or narrower measurements.
OTHER_PARTS = ("imbalanced", "imbalanced_pair", "imbalanced_held", "report")


def main() -> None:
    parser = argparse.ArgumentParser(description="The trust layer on real photos.")
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--resplits", type=int, default=100)
    parser.add_argument("--draws", type=int, default=5, help="subsets per size: head, accept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--noise-pools", default="60,all", help="noise: 60 (per class), all (the pool), or both"
    )
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = [part for part in parts if part not in PARTS + OTHER_PARTS]
    pools = args.noise_pools.split(",")
    problem = None
    if unknown:
        problem = f"unknown part {unknown[0]!r}; parts: {','.join(PARTS + OTHER_PARTS)}"
    elif not all(pool == "all" or (pool.isdigit() and int(pool) > 0) for pool in pools):
        problem = f"--noise-pools {args.noise_pools!r}: give photos per class (60), all, or both"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2)
    command = "python bench/trust.py " + " ".join(sys.argv[1:])
    start = time.perf_counter()
    f = Features(Path(args.data), args.seed)
    print(
        f"features: {len(f.pool)} pool and {len(f.test)} test photos, "
        f"{time.perf_counter() - start:.0f} s"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for part in parts:
            began = time.perf_counter()
            if part == "head":
                part_head(f, command, range(args.draws))
            elif part == "imbalanced":
                part_imbalanced(f, args.draws, command)
            elif part == "imbalanced_pair":
                part_imbalanced_pair(f, args.draws, command)
            elif part == "imbalanced_held":
                part_imbalanced_held(f, args.draws, command)
            elif part == "accept":
                part_accept(f, command, range(args.draws))
            elif part == "noise":
                part_noise(f, args.draws, command, pools=args.noise_pools)
            elif part == "report":
                part_report(f, args.draws, command)
            elif part == "guarantee":
                part_guarantee(f, args.resplits, command)
            elif part == "shortlist":
                part_shortlist(f, command)
            elif part == "unknown":
                part_unknown(f, Path(scratch), command)
            elif part == "shift":
                part_shift(f, Path(scratch), command)
            elif part == "few_class":
                part_few_class(f, command)
            elif part == "knn_bank":
                part_knn_bank(f, command)
            elif part == "lookalike":
                part_lookalike(f, args.draws, command)
            print(f"\n[{part}: {time.perf_counter() - began:.0f} s]", flush=True)


if __name__ == "__main__":
    main()

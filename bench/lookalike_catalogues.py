"""Catalogues whose classes all imitate each other, one of them rare, with and without a few
wrong labels: the look-alike line's effect and cost where every class names the others.

    python bench/lookalike_catalogues.py [DATA] [--draws 12] [--noise 0.01]

The shape of an ivory / bone / ceramic catalogue, harder than bench/trust.py's imbalanced_pair:
3 classes of DATA (default ../shared/datasets/clothing-small), a look-alike pair
(bench/trust.py's LOOKALIKE_PAIRS in turn) and a third class drawn at random; one of the three,
drawn at random, is 3% of the pool and has its own 0.98 target (as bone has); every class names
the other two as its look-alikes. Each draw is fitted twice, on clean labels and with `--noise`
of the pool's labels flipped at random to another of the three (they calibrate too, out of
fold), and its trust policy with the look-alike line off (`lookalike_rate` 1) and on (shipped).
Then the remedy the model card gives: the `WRONG_SHOWN` calibration answers
report/calibration_wrong.csv lists checked, the wrong labels among them corrected, and the draw
fitted again. Measured on the clean test photos of the three classes at the pool's prevalence:
accuracy, share auto-accepted and its precision, and the share of the rare class's photos
auto-accepted as another class. Fast mode's own code on the cached frozen features
(bench/trust.py's Features). Saved as trust-lookalike-catalogues through bench/results.py.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.results import publish
from bench.trust import (
    LOOKALIKE_PAIRS,
    Features,
    at_prevalence,
    checked_labels,
    outputs,
    remap,
)
from wildlens.model.bundle.catalogue import CatalogueEntry
from wildlens.model.evaluation.report import WRONG_SHOWN
from wildlens.model.training.crossfit import CrossFitSettings, assign_folds
from wildlens.model.training.modes import cross_fitted_head
from wildlens.model.training.policy import TrustSettings, fit_trust
from wildlens.model.trust.calibration import softmax
from wildlens.model.trust.routing import IDENTIFIED, decide

SHARE = 0.03  # the rare class's share of the pool
RARE_TARGET = 0.98  # its own target, as bone's
SHIPPED_RATE = TrustSettings().lookalike_rate


def draw_catalogue(f: Features, draw: int):
    """(the three classes, sorted; the rare one) of draw `draw`."""
    rng = np.random.default_rng(9000 + draw)
    pair = [f.classes.index(c) for c in LOOKALIKE_PAIRS[draw % len(LOOKALIKE_PAIRS)]]
    third = int(rng.choice([c for c in range(len(f.classes)) if c not in pair]))
    known = sorted([*pair, third])
    return known, known[int(rng.integers(3))], rng


def flipped(labels: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """`labels` with `share` of them changed at random to another of the three classes."""
    noisy = labels.copy()
    for i in rng.choice(len(labels), round(share * len(labels)), replace=False):
        noisy[i] = rng.choice([k for k in range(3) if k != labels[i]])
    return noisy


def measure(inputs, out, truth, rare: int, rate: float) -> tuple[float, float, float, float]:
    """(share auto-accepted, its precision, rare photos auto-accepted as another class, the
    calibration temperature)."""
    entries = [
        CatalogueEntry(
            id=f"c{i}",
            names={"en": str(i)},
            target_precision=RARE_TARGET if i == rare else None,
            lookalikes=tuple(f"c{j}" for j in range(3) if j != i),
        )
        for i in range(3)
    ]
    trust = fit_trust(inputs, entries, TrustSettings(lookalike_rate=rate))
    probs = softmax(out.logits, trust.temperature)
    answers = probs.argmax(1)
    accepted = np.array(
        [d.decision == IDENTIFIED for d in decide(probs, trust.scores(out), None, trust.policy)]
    )
    is_rare = truth == rare
    covered = at_prevalence(accepted, is_rare, SHARE)
    right = at_prevalence(accepted & (answers == truth), is_rare, SHARE)
    fooled = float((accepted & is_rare & (answers != rare)).sum() / is_rare.sum())
    return covered, (right / covered if covered else float("nan")), fooled, trust.temperature


@dataclass(frozen=True)
class Draw:
    """One catalogue drawn: its pool (indices and features), test photos and rare class."""

    index: int
    chosen: np.ndarray
    x: np.ndarray
    photos: np.ndarray
    truth: np.ndarray
    rare: int


def fitted(d: Draw, labels: np.ndarray):
    """Draw `d` fitted on `labels`: its row's measures (accuracy, then line off and on), its
    calibration answers and temperature."""
    fold_of = assign_folds([str(v) for v in labels], [str(i) for i in d.chosen], 5, d.index)
    head, inputs = cross_fitted_head(d.x, labels, 3, fold_of, CrossFitSettings())
    out = outputs(head, d.photos)
    accuracy = at_prevalence(out.logits.argmax(1) == d.truth, d.truth == d.rare, SHARE)
    off, on = (measure(inputs, out, d.truth, d.rare, rate) for rate in (1.0, SHIPPED_RATE))
    return (accuracy, *off[:3], *on[:3]), inputs, on[3]


def cell(value: float) -> str:
    """A measured share, or "-" where nothing was accepted to measure it on."""
    return "-" if np.isnan(value) else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--draws", type=int, default=12)
    parser.add_argument("--noise", type=float, default=0.01, help="share of labels flipped")
    args = parser.parse_args()
    command = "python bench/lookalike_catalogues.py ../shared/datasets/clothing-small"
    if args.draws != 12 or args.noise != 0.01:
        command += f" --draws {args.draws} --noise {args.noise}"
    f = Features(Path(args.data), 0)
    noisy = f"{args.noise:.0%}"
    kinds = ("0%", noisy, f"{noisy}, the {WRONG_SHOWN} listed checked")
    rows, measured = [], {kind: [] for kind in kinds}
    for draw in range(args.draws):
        known, rare_class, rng = draw_catalogue(f, draw)
        chosen = np.flatnonzero(np.isin(f.pool_labels, known) & (f.pool_labels != rare_class))
        kept = rng.choice(
            np.flatnonzero(f.pool_labels == rare_class),
            round(SHARE * len(chosen) / (1 - SHARE)),
            replace=False,
        )
        chosen = np.r_[chosen, kept]
        x, y = f.pool[chosen], remap(f.pool_labels[chosen], known)
        tested = np.isin(f.test_labels, known)
        photos, truth = f.test[tested], remap(f.test_labels[tested], known)
        rare = known.index(rare_class)
        name = f"{'/'.join(f.classes[c] for c in known)} ({f.classes[rare_class]} {SHARE:.0%})"

        draw_of = Draw(draw, chosen, x, photos, truth, rare)
        noisy_labels = flipped(y, args.noise, rng)
        clean_fit, noisy_fit = fitted(draw_of, y), fitted(draw_of, noisy_labels)
        checked_fit = fitted(draw_of, checked_labels(noisy_labels, y, *noisy_fit[1:]))
        for kind, (values, _, _) in zip(kinds, (clean_fit, noisy_fit, checked_fit), strict=True):
            measured[kind].append(values)
            cells = (values[1], values[4], values[2], values[5], values[3], values[6])
            rows.append([name, kind, f"{values[0]:.3f}", *map(cell, cells)])
            print(" | ".join(rows[-1]), flush=True)
    for kind, values in measured.items():
        table = np.array(values, dtype=float)
        mean = [np.nanmean(table[:, k]) for k in range(7)]
        rows.append([f"mean of {args.draws} draws", kind, f"{mean[0]:.3f}",
                     *(cell(mean[k]) for k in (1, 4, 2, 5, 3, 6))])  # fmt: skip
        nothing = [int((table[:, k] == 0).sum()) for k in (1, 4)]
        rows.append([f"draws with nothing accepted (of {args.draws})", kind, "",
                     str(nothing[0]), str(nothing[1]), "", "", "", ""])  # fmt: skip
    publish(
        "trust-lookalike-catalogues",
        command,
        [
            "catalogue (rare class)",
            "labels flipped",
            "accuracy",
            "auto-accepted: line off",
            "line on (shipped)",
            "accepted precision: off",
            "on",
            "rare photos auto-accepted as another class: off",
            "on",
        ],
        rows,
        f"test photos at the pool's prevalence ({SHARE:.0%} rare, its own {RARE_TARGET} target); "
        "every class names the other two as look-alikes; pooled target 0.95; precision is the "
        f"mean over draws that accepted something; checked: the {WRONG_SHOWN} calibration "
        "answers report/calibration_wrong.csv lists, their wrong labels corrected, fitted again",
    )


if __name__ == "__main__":
    main()

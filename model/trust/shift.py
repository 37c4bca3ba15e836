"""The shift guard: notice when photos stop looking like the calibration photos, and say so.

Every guarantee of the trust policy holds for photos like the calibration photos. Photos taken in
another setting (another camera, light, framing, another kind of item) break it silently: the
model stays confident while it is wrong more often. The guard watches, photo by photo, three
signals of that:

- `unknown` (yes/no): called unknown (out of the catalogue);
- `low_confidence` (yes/no): top-class confidence below the class's auto-accept threshold;
- `atypicality` (0 to 1): the share of calibration photos closer to the training photos than this
  one (the rank of its kNN distance): about 0.5 on average for photos like them.

On the calibration photos each signal has a known mean. The guard tests, sequentially, whether a
run's mean of any signal is above that mean plus a tolerance, with a betting martingale per
signal (Waudby-Smith and Ramdas 2023; Podkopaev and Ramdas 2022 use the same construction to track
a deployed model's risk): wealth starts at 1, and each photo multiplies it by 1 + b (x - m0),
where x is the signal, m0 the tolerated mean and b the bet. The bet is predictable (chosen from the
photos before this one): the plug-in ("aGRAPA") bet (mean - m0) / (variance + (mean - m0)^2) of
the signal's running mean and variance, 0 while the mean is at most m0, and at most 0.8 / m0, so a
signal of 0 never takes more than 80% of the wealth. The guard's evidence is the average wealth
over the signals. Under the null (every signal's mean at most its m0, whatever the order of the
photos) each wealth, and so their average, is a nonnegative supermartingale, so by Ville's
inequality it ever reaches 1 / alpha with probability at most alpha: looking after every photo
costs nothing. When it does, the guard fires and stays fired for the rest of the run: auto-accept
is suspended (`shift_suspected`).

Measured on clothing-small (docs/benchmarks.md, `bench/trust.py --parts shift`): the continuous
atypicality finds mild blur or compression two to three times sooner than a yes/no "unfamiliar"
signal; the plug-in bet fires a quarter to a third sooner than a fixed mixture of bets (heavy
JPEG: 80 -> 53 photos at the same tolerance); no clean test run fired, nor any of 100 runs of
3,000 photos drawn from the clean test photos.

    guard = ShiftGuard(policy.guard)
    for signals in stream: guard.update(signals); guard.fired
    window = ShiftGuard.over(policy.guard, recent_signals)     # the app's rolling window
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SIGNALS = ("unknown", "low_confidence", "atypicality")
YES_NO = ("unknown", "low_confidence")  # the others are in [0, 1]
# The largest bet as a fraction of the largest safe bet 1 / m0: a signal of 0 then leaves 20% of
# the wealth, so a few typical photos after a run of odd ones do not ruin the evidence. Measured
# in docs/benchmarks.md, "The trust layer", shift (`bench/trust.py --parts shift`).
MAX_BET_FRACTION = 0.8
# The running mean and variance start from one pseudo-photo at m0 with variance 1/4 (the largest a
# [0, 1] signal can have): the first bets are small.
PRIOR_VARIANCE = 0.25
RANK_SD = 1 / np.sqrt(12)  # the spread of a uniform rank: the sampling error of its mean


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard compares a run with: the calibration mean of each signal."""

    means: dict[str, float]  # each signal's mean over the calibration photos
    calibration_size: int
    tolerance: float  # excess over the calibration mean that counts as a shift
    alpha: float  # probability of a false alarm over a whole run, at most
    window: int  # the app's rolling window of recent answers

    def null_means(self) -> dict[str, float]:
        """The mean each signal may have without counting as a shift: the calibration mean's
        upper 95% confidence bound (Clopper-Pearson for yes/no signals, normal for ranks) plus
        the tolerance."""
        from scipy.stats import beta  # imported on first use: start-up of infer.py and the app

        n = max(1, self.calibration_size)
        tolerated = {}
        for name, mean in self.means.items():
            if name in YES_NO:
                count = round(mean * n)
                upper = 1.0 if count >= n else float(beta.ppf(0.95, count + 1, n - count))
            else:
                upper = mean + 1.645 * RANK_SD / np.sqrt(n)
            tolerated[name] = float(min(0.99, upper + self.tolerance))
        return tolerated

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuardPolicy:
        return cls(
            means={str(k): float(v) for k, v in data["means"].items()},
            calibration_size=int(data["calibration_size"]),
            tolerance=float(data["tolerance"]),
            alpha=float(data["alpha"]),
            window=int(data["window"]),
        )


def signal_means(signals: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each signal's mean over answers (0 for an empty list)."""
    return {
        name: float(np.mean([float(s[name]) for s in signals])) if signals else 0.0
        for name in SIGNALS
    }


class ShiftGuard:
    """The sequential test of one stream of answers (a run of infer.py, or the app's window)."""

    def __init__(self, policy: GuardPolicy):
        self.policy = policy
        self.null = policy.null_means()
        self.log_wealth = dict.fromkeys(self.null, 0.0)
        self.seen = 0
        self.sums = dict.fromkeys(self.null, 0.0)
        self.squares = dict.fromkeys(self.null, 0.0)
        self.fired_at: int | None = None  # photos seen when it fired (1-based)

    @classmethod
    def over(cls, policy: GuardPolicy, signals: Iterable[Mapping[str, float]]) -> ShiftGuard:
        guard = cls(policy)
        for one in signals:
            guard.update(one)
        return guard

    @property
    def fired(self) -> bool:
        return self.fired_at is not None

    @property
    def evidence(self) -> float:
        """The average wealth: 1 at the start, 1 / alpha fires."""
        wealth = [np.exp(w) for w in self.log_wealth.values()]
        return float(np.mean(wealth)) if wealth else 1.0

    def bet(self, name: str) -> float:
        """The next photo's bet on `name`, from the photos before it only (predictable)."""
        m0 = self.null[name]
        n = self.seen + 1  # the photos seen and the prior's pseudo-photo
        mean = (self.sums[name] + m0) / n
        variance = (self.squares[name] + PRIOR_VARIANCE + m0 * m0) / n - mean * mean
        excess = mean - m0
        if excess <= 0:
            return 0.0
        return min(excess / (max(variance, 1e-4) + excess * excess), MAX_BET_FRACTION / m0)

    def update(self, signals: Mapping[str, float]) -> bool:
        """Add one answer's signals; returns whether the guard has fired (now or before)."""
        for name, m0 in self.null.items():
            x = min(1.0, max(0.0, float(signals.get(name, 0.0))))
            self.log_wealth[name] += float(np.log1p(self.bet(name) * (x - m0)))
            self.sums[name] += x
            self.squares[name] += x * x
        self.seen += 1
        if self.fired_at is None and self.evidence >= 1.0 / self.policy.alpha:
            self.fired_at = self.seen
        return self.fired

    def state(self) -> dict[str, Any]:
        """What a summary or the page shows: seen, fired (and when), the run's means against
        the calibration means, the evidence against the 1 / alpha that fires."""
        return {
            "photos": self.seen,
            "fired": self.fired,
            "fired_at": self.fired_at,
            "evidence": round(self.evidence, 4),
            "fires_at_evidence": 1.0 / self.policy.alpha,
            "means": {n: (s / self.seen if self.seen else 0.0) for n, s in self.sums.items()},
            "calibration_means": dict(self.policy.means),
            "tolerated_means": dict(self.null),
        }

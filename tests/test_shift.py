"""The shift guard: no more false alarms than alpha over whole runs of photos like the
calibration photos, and a quick alarm when their signals rise."""

import numpy as np

from wildlens.model.trust.shift import GuardPolicy, ShiftGuard, signal_means

MEANS = {"unknown": 0.05, "low_confidence": 0.2, "atypicality": 0.5}


def policy(alpha=0.05, tolerance=0.02, calibration_size=2000) -> GuardPolicy:
    return GuardPolicy(dict(MEANS), calibration_size, tolerance, alpha, window=50)


def stream(rng, means, n, rank_power=1.0):
    """Signals like the calibration photos' (rank_power 1: uniform ranks), or shifted."""
    unknown = rng.random(n) < means["unknown"]
    low = rng.random(n) < means["low_confidence"]
    rank = rng.random(n) ** (1 / rank_power)  # power > 1: ranks crowd towards 1
    return [
        {"unknown": bool(unknown[i]), "low_confidence": bool(low[i]), "atypicality": rank[i]}
        for i in range(n)
    ]


def test_false_alarms_over_whole_runs_stay_below_alpha():
    rng = np.random.default_rng(0)
    runs = [stream(rng, MEANS, 2000) for _ in range(200)]
    fired = [ShiftGuard.over(policy(alpha=0.05), run).fired for run in runs]
    # Ville's inequality bounds it by 0.05; Binomial(200, 0.05) exceeds 18 with p < 0.01.
    assert sum(fired) <= 18


def test_a_shift_fires_within_tens_of_photos_and_stays_fired():
    rng = np.random.default_rng(1)
    shifted = {"unknown": 0.1, "low_confidence": 0.3, "atypicality": None}
    when = []
    for _ in range(50):
        guard = ShiftGuard.over(policy(alpha=0.05), stream(rng, shifted, 300, rank_power=2.5))
        assert guard.fired
        when.append(guard.fired_at)
    assert np.median(when) <= 50
    guard = ShiftGuard.over(policy(), stream(rng, shifted, 300, rank_power=2.5))
    guard.update({"unknown": False, "low_confidence": False, "atypicality": 0.0})
    assert guard.fired  # never un-fires within a run


def test_ranks_alone_find_photos_that_drift_from_the_training_photos():
    rng = np.random.default_rng(2)
    drifting = stream(rng, MEANS, 300, rank_power=2.0)  # same rates, ranks mean 0.67
    assert ShiftGuard.over(policy(), drifting).fired
    assert signal_means(drifting)["atypicality"] > 0.6


def test_a_small_calibration_set_tolerates_more():
    small, large = policy(calibration_size=30), policy(calibration_size=3000)
    assert all(small.null_means()[n] > large.null_means()[n] for n in MEANS)
    assert GuardPolicy.from_dict(large.to_dict()) == large


def test_the_state_reports_means_against_the_calibration_means():
    guard = ShiftGuard(policy())
    for signals in [{"unknown": True, "low_confidence": False, "atypicality": 0.9}] * 4:
        guard.update(signals)
    state = guard.state()
    assert state["photos"] == 4 and state["means"]["unknown"] == 1.0
    assert state["means"]["atypicality"] == 0.9
    assert state["calibration_means"] == MEANS and state["fired"] == (state["fired_at"] is not None)


def test_bets_are_chosen_before_each_photo_and_stay_safe():
    """The bet on a photo depends on earlier photos only (Ville's inequality needs it), is 0 while
    the run looks like the calibration photos, and never risks more than 80% of the wealth."""
    guard = ShiftGuard(policy())
    m0 = guard.null["atypicality"]
    for _ in range(20):
        guard.update({"unknown": False, "low_confidence": False, "atypicality": 0.3})
    assert guard.bet("atypicality") == 0.0 and guard.evidence < 1.0 + 1e-9
    for _ in range(30):
        guard.update({"unknown": False, "low_confidence": False, "atypicality": 1.0})
    bet = guard.bet("atypicality")
    assert 0.0 < bet <= 0.8 / m0 + 1e-12
    before = guard.log_wealth["atypicality"]
    guard.update({"unknown": False, "low_confidence": False, "atypicality": 0.0})
    # The photo's own value did not change the bet it was charged: exactly 1 + bet * (0 - m0).
    assert np.isclose(guard.log_wealth["atypicality"] - before, np.log1p(-bet * m0))
    assert np.log1p(-bet * m0) >= np.log(0.2) - 1e-12

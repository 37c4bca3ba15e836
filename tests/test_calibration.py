import numpy as np
import pytest

from wildlens.model.trust.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)


def test_softmax_rows_sum_to_one_and_temperature_flattens():
    logits = np.array([[2.0, 0.0, -1.0], [1000.0, 0.0, 0.0]])
    probs = softmax(logits)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert softmax(logits, 4.0)[0, 0] < probs[0, 0]


def test_nan_logits_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        softmax(np.array([[np.nan, 1.0]]))


def test_fit_temperature_recovers_overconfidence():
    rng = np.random.default_rng(0)
    n, c, true_temperature = 4000, 5, 3.0
    base = rng.normal(0, 1.5, (n, c))
    labels = np.array([rng.choice(c, p=p) for p in softmax(base)])
    fitted = fit_temperature(base * true_temperature, labels)  # logits 3x too sharp
    assert fitted == pytest.approx(true_temperature, rel=0.1)
    overconfident = softmax(base * true_temperature)
    assert expected_calibration_error(softmax(base * true_temperature, fitted), labels) < (
        expected_calibration_error(overconfident, labels)
    )


def test_fit_temperature_of_nothing_is_one():
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int)) == 1.0


def test_ece_of_a_perfectly_calibrated_toy():
    # Four predictions at confidence 0.75 of which three are right: ECE 0.
    probs = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(probs, np.array([0, 0, 0, 1])) == pytest.approx(0.0)
    assert expected_calibration_error(probs, np.array([1, 1, 1, 1])) == pytest.approx(0.75)


def test_nll_matches_definition():
    probs = np.array([[0.5, 0.5], [0.9, 0.1]])
    assert negative_log_likelihood(probs, np.array([0, 0])) == pytest.approx(
        -(np.log(0.5) + np.log(0.9)) / 2
    )


def test_separable_data_does_not_collapse_the_temperature():
    """Every prediction right: plain NLL wants T -> 0; the prior keeps T away from the bound."""
    logits = np.array([[8.0, 0.0, 0.0], [0.0, 8.0, 0.0], [0.0, 0.0, 8.0]] * 20)
    labels = np.array([0, 1, 2] * 20)
    fitted = fit_temperature(logits, labels)
    assert 0.1 < fitted < 1.0

"""Several photos of one item decided together (`model.trust.together`): the mean answer, never
less careful than any usable photo."""

import numpy as np
import pytest
from test_routing import policy, scores

from wildlens.model.trust.together import decide_together

PROBS = np.array([[0.99, 0.01], [0.9, 0.1], [0.2, 0.8]])


def test_the_items_answer_is_the_mean_of_its_photos():
    rule = policy([0.6, 0.6], unknown=5.0, familiar=1.0)
    together = decide_together(PROBS[:2], scores([0.0, 0.0]), [False, False], rule)
    assert together.decision.decision == "identified" and together.stopped_by == ()
    assert together.probs == pytest.approx(PROBS[:2].mean(0))
    assert together.scores["energy"] == 0.0


def test_one_photo_alone_unknown_makes_the_item_unknown_though_the_mean_is_not():
    rule = policy([0.6, 0.6], unknown=5.0, familiar=1.0)
    together = decide_together(PROBS[:2], scores([0.0, 6.0]), [False, False], rule)
    assert together.scores["energy"] == 3.0  # the mean is inside the line
    assert together.decision.decision == "unknown" and together.stopped_by == (1,)


def test_auto_accept_needs_every_photo_familiar():
    rule = policy([0.6, 0.6], unknown=5.0, familiar=1.0)
    knn = np.array([0.0, 1.5])  # mean 0.75: familiar; the second photo alone is not
    together = decide_together(PROBS[:2], scores([0.0, 0.0], knn), [False, False], rule)
    assert together.decision.decision == "review"
    assert together.decision.reasons == ("unfamiliar",) and together.stopped_by == (1,)


def test_a_poor_photo_counts_only_when_every_photo_is_poor():
    rule = policy([0.6, 0.6], unknown=5.0, familiar=1.0)
    poor_third = decide_together(PROBS, scores([0.0, 0.0, 9.0]), [False, False, True], rule)
    assert poor_third.decision.decision == "identified"  # its unknown score is not heard
    assert poor_third.probs == pytest.approx(PROBS[:2].mean(0))
    all_poor = decide_together(PROBS[:2], scores([0.0, 0.0]), [True, True], rule)
    assert all_poor.decision.decision == "review" and "poor_image" in all_poor.decision.reasons


def test_the_shift_guard_withholds_the_items_auto_accept():
    rule = policy([0.6, 0.6], unknown=5.0, familiar=1.0)
    together = decide_together(PROBS[:2], scores([0.0, 0.0]), [False, False], rule, True)
    assert together.decision.decision == "review"
    assert "shift_suspected" in together.decision.reasons


def test_an_item_needs_a_photo():
    with pytest.raises(ValueError, match="at least one photo"):
        decide_together(np.zeros((0, 2)), scores([]), [], policy([0.6, 0.6]))

"""What the card, training's summary and the Workshop tab advise, from a policy's own dict."""

from test_routing import policy

from wildlens.model.bundle.card import advice_lines


def _advice(classes: int, coverage: float) -> list[str]:
    return advice_lines(policy([0.5] * classes).to_dict(), {"coverage": coverage})


def test_few_class_catalogues_are_warned_about_look_alikes():
    [line] = _advice(2, 0.9)
    assert line.startswith("With 2 classes") and "class of other items" in line
    assert any("With 3 classes" in line for line in _advice(3, 0.9))


def test_larger_catalogues_that_accept_enough_get_no_advice():
    assert _advice(4, 0.9) == []
    [line] = _advice(4, 0.1)
    assert line.startswith("Only 10% of the photos")


def test_the_card_states_the_familiar_line_per_class_only_where_the_policy_has_one():
    from wildlens.model.bundle.card import _class_line

    with_line = {"class_familiar_keep": 0.8, "class_familiar_thresholds": [0.4, None]}
    assert "80% of the calibration photos answered as the same class" in _class_line(with_line)
    assert _class_line({**with_line, "class_familiar_keep": 1.0}) == ""
    assert _class_line(policy([0.5] * 3).to_dict()["unknown"]) == ""  # a policy from before it


def test_advice_names_the_classes_the_look_alike_line_raised_and_what_it_leaves():
    import dataclasses

    from wildlens.model.bundle.card import lookalike_advice

    raised = policy([0.5] * 3)
    rules = list(raised.rules)
    rules[0] = dataclasses.replace(rules[0], threshold=0.993, lookalike_photos=84)
    data = dataclasses.replace(raised, rules=tuple(rules)).to_dict()
    [line] = lookalike_advice(data)
    assert line.startswith("c0's threshold was raised") and "84 calibration photos" in line
    assert "1 time in 85" in line
    assert "in fact c0" in line and "report/calibration_wrong.csv" in line  # a wrong label
    assert line in advice_lines(data, {"coverage": 0.9})
    assert lookalike_advice(raised.to_dict()) == []  # nothing raised
    old = raised.to_dict()
    for rule in old["classes"].values():
        del rule["lookalike_photos"]  # a bundle from before the line
    assert lookalike_advice(old) == []

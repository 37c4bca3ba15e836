"""MODEL_CARD.md, and the words every report uses for what the trust policy promises.

The guarantee is stated once here (`guarantee_lines`) and repeated by the model card, training's
summary and the Workshop tab; `advice_lines` says what to do when little or nothing can be
auto-accepted, and warns catalogues of a few classes that look-alikes of other kinds pass.

    text = model_card(meta)
    for line in advice_lines(meta.routing, meta.metrics["routing"]): print(line)
"""

from __future__ import annotations

from typing import Any

from wildlens.model.bundle.format import BundleMeta

# Below these shares of auto-accepted answers, training and the card say why and what to do.
LITTLE_ACCEPTED = 0.3
# Catalogues of this many classes or fewer are told that look-alikes of other kinds pass (see
# docs/benchmarks.md, "The trust layer", "Few-class catalogues").
FEW_CLASSES = 3


def _class_line(unknown: dict[str, Any]) -> str:
    """The familiar line per answered class, in the card's words ('' when off or absent)."""
    keep = unknown.get("class_familiar_keep", 1.0)
    if keep >= 1 or not unknown.get("class_familiar_thresholds"):
        return ""
    return f", or than {keep:.0%} of the calibration photos answered as the same class are"


def guarantee_lines(policy: dict[str, Any], cross_fitted: bool) -> list[str]:
    """The guarantee of a bundle's routing policy (bundle.json `routing`): exact for a held-out
    calibration split, approximate when cross-fitted."""
    delta = policy["delta"]
    pooled = policy["pooled"]
    own = policy["own"]
    where = (
        "every labelled training photo, each scored by the head of the cross-fitting fold that "
        "did not see it (the shipped head is the mean of those fold heads)"
        if cross_fitted
        else "the held-out calibration photos (never trained on or selected on)"
    )
    lines = [
        (
            "**Guarantee (approximate).** With probability about "
            if cross_fitted
            else "**Guarantee.** With probability at least "
        )
        + f"{1 - delta:.2f} over the draw of the "
        f"calibration photos ({where}), the answers that the pooled threshold auto-accepts are "
        f"right at least {pooled['target_precision']:.0%} of the time, all classes of the pool "
        "together, for photos drawn like the calibration photos."
    ]
    if own:
        classes = ", ".join(f"{c} ({test['target_precision']:.0%})" for c, test in own.items())
        lines.append(
            "Classes with a target of their own carry the same statement for their own answers, "
            f"each separately: {classes}."
        )
    lines.append(
        "Method: Learn-then-Test with an exact binomial tail bound, the thresholds of a grid "
        "fixed in advance tested in order by the fallback procedure (delta shared among a few "
        "start points, so one confident mistake at the top does not end the scan; Angelopoulos "
        "et al. 2021, Wiens 2003)."
        + (
            " With out-of-fold scores the proof is approximate (the fold heads share most of "
            "their photos); bench/trust.py checks it over repeated random splits "
            "(docs/benchmarks.md)."
            if cross_fitted
            else ""
        )
    )
    lines.append(
        "It does not cover photos unlike the calibration photos (another setting, camera or "
        "kind of item): the shift guard watches for them and suspends auto-accept "
        "(`shift_suspected`). Items outside the catalogue are caught by the unknown rule only "
        "as often as the report measures."
    )
    return lines


def advice_lines(policy: dict[str, Any], routing: dict[str, Any]) -> list[str]:
    """What to do when little or nothing is auto-accepted, or when the catalogue is too small to
    tell its look-alikes from its classes, from the policy and its measures."""
    lines = []
    pooled = policy["pooled"]
    if pooled["status"] == "insufficient_calibration":
        lines.append(
            f"Nothing of the pooled classes can be auto-accepted yet: {pooled['photos']} "
            f"calibration answers could be accepted, and showing "
            f"{pooled['target_precision']:.0%} needs more. " + _needed(pooled["photos_needed"])
        )
    elif pooled["status"] == "target_not_shown":
        lines.append(
            f"Nothing of the pooled classes can be auto-accepted: among the {pooled['accepted']} "
            f"most confident calibration answers {pooled['errors']} were wrong, too many to "
            f"show {pooled['target_precision']:.0%}. "
            + _needed(pooled["photos_needed"])
            + " Check the calibration photos the model was surest were wrong, each answered by "
            "a model that did not see it (report/calibration_wrong.jpg, their files listed in "
            "report/calibration_wrong.csv): a mislabelled photo or two classes that look alike "
            "cost the most; correct a wrong label and train again."
        )
    for class_id, test in policy["own"].items():
        if test["status"] != "auto":
            lines.append(
                f"{class_id} (own target {test['target_precision']:.0%}) is always reviewed: "
                f"{test['photos']} of its calibration photos could be accepted. "
                + _needed(test["photos_needed"])
            )
    coverage = routing.get("coverage")
    if coverage is not None and coverage < LITTLE_ACCEPTED and not lines:
        lines.append(
            f"Only {coverage:.0%} of the photos would be answered automatically: most answers are "
            "below the threshold or unfamiliar. More photos per class, and photos taken the way "
            "officers will take them, raise it."
        )
    classes = len(policy["classes"])
    if classes <= FEW_CLASSES:
        lines.append(
            f"With {classes} classes, an item of another kind that looks like one of them is often "
            "answered as it: the unknown rule catches items unlike all of them, not look-alikes. "
            "Add the look-alikes officers will meet as classes of their own, or a class of other "
            "items."
        )
    return lines + lookalike_advice(policy)


def lookalike_advice(policy: dict[str, Any]) -> list[str]:
    """Each class whose threshold the look-alike line raised, on how many photos of its
    look-alikes, and what that leaves: a new photo passes all of n about 1 time in n + 1."""
    lines = []
    for class_id, rule in policy["classes"].items():
        photos = rule.get("lookalike_photos") or 0  # absent in bundles from before the line
        if photos:
            lines.append(
                f"{class_id}'s threshold was raised so that its look-alikes' {photos} "
                f"calibration photos are (almost) never accepted as {class_id}; a new photo of "
                f"a look-alike may still pass about 1 time in {photos + 1}. More photos of its "
                f"look-alikes lower that. A photo filed under a look-alike that is in fact "
                f"{class_id} raises the line as a look-alike would: check the look-alikes' "
                "photos in report/calibration_wrong.csv."
            )
    return lines


def _needed(count: int | None) -> str:
    if count is None:
        return (
            "More photos with the same share of confident mistakes would not show it: check the "
            "labels and the classes that look alike."
        )
    return f"About {count} more photos like these would likely show it."


def model_card(meta: BundleMeta) -> str:
    """MODEL_CARD.md: intended use, data, metrics, limits and routing policy of a bundle."""
    metrics = meta.metrics
    evaluated = metrics["evaluation"]["calibrated"]
    catalogue = {c["id"]: c for c in meta.catalogue["classes"]}
    data = meta.data
    counts = data["counts"]
    split = metrics["evaluation"]["split"]
    split_name = (
        "the training photos the thresholds were fitted on, each scored out of fold"
        if split == "train"
        else split
    )
    lines = [
        f"# Model card: {meta.name} {meta.version}",
        "",
        "> **Demo model trained on synthetic images: it knows nothing about real items.**"
        if meta.demo
        else "",
        "",
        "## Intended use",
        "",
        "Screening of photographs of seized wildlife products by customs and enforcement "
        "officers: a first opinion that says how sure it is, and sends anything uncertain to an "
        "expert. It is **not forensic proof**: species identification for prosecution needs "
        "laboratory methods (DNA, wood anatomy, mass spectrometry). Every answer carries the "
        "photo's sha256 and this bundle's identity for the audit trail.",
        "",
        "## Model",
        "",
        f"- Architecture: `{meta.architecture}`, input {meta.preprocessing['input_size']} px",
        f"- Training mode: {meta.config.get('mode', 'full')} (weights hash: bundle.json)",
        f"- Temperature (calibration): {meta.temperature:.3f}",
        "",
        "## Data",
        "",
        f"- Source: `{data['source']}` (fingerprint `{data['fingerprint'][:16]}...`)",
        f"- Split: {data['split_by']}; left out as unreadable: {len(data['excluded'])}",
        "",
        "| class | " + " | ".join(counts) + " |",
        "|---|" + "---:|" * len(counts),
    ]
    for class_id in meta.class_ids:
        lines.append(
            f"| {class_id} | " + " | ".join(str(counts[s].get(class_id, 0)) for s in counts) + " |"
        )
    lines += [
        "",
        f"## Metrics ({split_name}, {evaluated['num_images']} photos)",
        "",
        f"- Accuracy {evaluated['accuracy']:.3f}, top-2 {evaluated['top2_accuracy']:.3f}, "
        f"macro-F1 {evaluated['macro_f1']:.3f}",
        f"- Calibration error (ECE): {metrics['evaluation']['uncalibrated']['ece']:.3f} before, "
        f"{evaluated['ece']:.3f} after temperature scaling",
        "",
        "| class | precision | recall | F1 | photos |",
        "|---|---:|---:|---:|---:|",
    ]
    for class_id, row in evaluated["per_class"].items():
        scores = " | ".join(f"{row[k]:.3f}" for k in ("precision", "recall", "f1"))
        lines.append(f"| {class_id} | {scores} | {row['support']} |")
    lines += _routing_card(meta, catalogue, split_name)
    lines += [
        "",
        "## Limits",
        "",
        "- Only the classes above: an item of any other kind is forced into one of them unless the "
        "unknown rule flags it; look-alikes not in the training data are a known risk: put them "
        "in the catalogue as classes of their own.",
        "- Photos unlike the training photos (lighting, background, camera, processing stage) "
        "lower accuracy; the shift guard notices a run of them, not a single one. Re-evaluate "
        "on photos from each new setting (`wildlens evaluate`).",
        "- Metrics come from photos of the same collection; photos of one seizure share "
        "conditions, so field accuracy is usually lower.",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _routing_card(meta: BundleMeta, catalogue: dict[str, Any], split: str) -> list[str]:
    policy, metrics = meta.routing, meta.metrics
    routing, shortlist, unknown = metrics["routing"], metrics["shortlist"], metrics["unknown"]
    calibration = metrics["calibration"]
    cross_fitted = "cross_fit" in metrics
    pooled = policy["pooled"]
    threshold = pooled["threshold"]
    lines = [
        "",
        "## Confidence and routing",
        "",
        f"Temperature {meta.temperature:.3f}, fitted on {calibration['photos']} calibration "
        f"photos: ECE {calibration['ece_before']:.3f} -> {calibration['ece_after']:.3f}, NLL "
        f"{calibration['nll_before']:.3f} -> {calibration['nll_after']:.3f}.",
        "",
        *guarantee_lines(policy, cross_fitted),
        "",
        f"Pooled threshold: {'none' if threshold is None else f'{threshold:.4f}'} "
        f"({pooled['status']}; {pooled['accepted']} of {pooled['photos']} calibration answers "
        f"accepted, {pooled['errors']} wrong). No answer is accepted below "
        f"{meta.config.get('accept_floor', 0.5)} or when the photo is unfamiliar (farther from "
        "the training photos than "
        f"{policy['unknown']['familiar_keep']:.0%} of calibration photos are"
        f"{_class_line(policy['unknown'])}).",
        "",
        f"| class | CITES | guarantee | threshold | status | calibration photos predicted | "
        f"{split}: accepted | precision | accepted share | photos needed |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for class_id, rule in policy["classes"].items():
        entry = catalogue.get(class_id, {})
        if rule["guarantee"] is None:
            guarantee = "always reviewed"
        else:
            guarantee = f"{rule['guarantee']} {rule['target_precision']:.0%}"
        row = routing["per_class"].get(class_id, {})
        cells = [
            class_id,
            entry.get("cites_appendix", "none"),
            guarantee,
            "-" if rule["threshold"] is None else f"{rule['threshold']:.4f}",
            rule["status"],
            str(rule["calibration_predictions"]),
            str(row.get("auto_accepted", 0)),
            _number(row.get("accepted_precision")),
            _number(row.get("accepted_share"), ".2f"),
            "-" if rule["photos_needed"] is None else str(rule["photos_needed"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    precision = routing["accepted_precision"]
    lines += [
        "",
        f"On {split} ({routing['photos']} photos): {routing['coverage']:.0%} answered "
        "automatically"
        + (f" at precision {precision:.3f}" if precision is not None else "")
        + f", {routing['review_rate']:.0%} to review, {routing['unknown_rate']:.0%} unknown.",
        *[f"- {line}" for line in advice_lines(policy, routing)],
        "",
        f"Shortlists (split-conformal LAC, nominal coverage {shortlist['nominal_coverage']:.0%}): "
        f"true class included in {_number(shortlist['coverage'], '.1%')}, mean size "
        f"{_number(shortlist['mean_size'], '.2f')}.",
        "",
        f"Unknown items: energy and kNN distances ({', '.join(policy['unknown']['scores'])}), "
        f"thresholds that keep {policy['unknown']['keep']:.0%} of calibration photos; "
        f"{_number(unknown['in_catalogue_called_unknown'], '.1%')} of the {split} photos were "
        "called unknown. "
        + (
            f"Against {unknown['unknown_photos']} out-of-catalogue photos: "
            f"{unknown['called_unknown']:.0%} called unknown, {unknown['auto_accepted']:.1%} "
            f"auto-accepted, AUROC {unknown['auroc']['combined']:.3f}."
            if unknown.get("unknown_photos")
            else "Not measured against foreign items (train with unknown_data=PATH)."
        ),
        "",
        f"Shift guard: fires when the rate of unknown or low-confidence answers, or the mean "
        f"kNN rank (atypicality), rises more than {policy['guard']['tolerance']:.0%} above its "
        f"calibration value ({_rates(policy['guard']['means'])}), with a false-alarm "
        "probability of at most "
        f"{policy['guard']['alpha']} over a run; the app watches the last "
        f"{policy['guard']['window']} answers.",
    ]
    return lines


def _number(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def _rates(rates: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.0%}" for name, value in rates.items())

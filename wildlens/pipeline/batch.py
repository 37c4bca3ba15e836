"""Batch classification: every input of a folder, file list or archive gets exactly one record.

    summary = run_batch(load_config(InferConfig, ["input=archive/", "out=runs/a.csv"]))

Records are appended to `<out>.jsonl` and pushed to disk as they are made; rerunning the same
command skips the keys already recorded (a torn last line is cut off), so a killed run resumes
without gaps or duplicates. The final step writes the CSV (`out`) and `<out>.summary.json`
atomically, sorted, from the log, and optionally the review pages (`<out>.review/`).

Photos are classified in a seeded random order (`order=shuffled`, the default; tar archives,
streams, as listed), which the shift guard watches: its false-alarm bound assumes photos in
random order, and archives are sorted by class or case. The seed is in the summary.

The local engine decodes in spawned worker processes (JPEG draft decoding, then the shared eval
transform) while the main process runs the model on the previous batch; `engine=ray` runs the
same two stages on Ray Data (`wildlens.pipeline.ray_engine`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from wildlens.common.parallel import parallel_map
from wildlens.data.sources import DatasetError, Sample, Skipped
from wildlens.model.bundle.format import Bundle, load_bundle
from wildlens.model.bundle.signing import trusted_key_ids
from wildlens.model.network.device import device_name
from wildlens.model.serving.predictor import ImagePreparer, Predictor
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.decode import prepare_input, prepare_items
from wildlens.pipeline.guard import RunGuard
from wildlens.pipeline.inputs import count_inputs, input_kind, is_shuffled, iter_inputs
from wildlens.pipeline.records import (
    Outputs,
    RunProvenance,
    append_records,
    check_resumable,
    open_log,
    read_records,
    recorded_photos,
    summarise,
    write_csv,
    write_summary,
)
from wildlens.pipeline.stages import (
    Sizing,
    auto_size,
    available_cores,
    groups,
    in_background,
    records_for,
)


def local_engine(
    items: Iterator[Sample | Skipped], cfg: InferConfig, bundle: Bundle, sizing: Sizing
) -> Iterator[list[dict[str, Any]]]:
    """Decode in worker processes while this process runs the model; record lists.

    The model's set-up (ONNX Runtime session, the trust policy's libraries) starts now, in the
    set-up thread, and goes on while the decode workers start and decode the first photos: on a
    case folder of tens of photos, start-up is most of the wait.
    """
    model = in_background(model_for, bundle, cfg, sizing)
    chunksize = 4
    # Keep about two batches decoding ahead, so the model never waits on the workers.
    prefetch = max(2, math.ceil(2 * sizing.batch_size / (max(1, sizing.workers) * chunksize)))
    stage = prepare_items if cfg.items else prepare_input
    prepare = partial(stage, preparer=ImagePreparer(bundle.preprocessing))
    prepared = parallel_map(prepare, items, sizing.workers, chunksize, prefetch)
    if cfg.items:  # one list of items per photo: the model takes them as photos
        prepared = (item for photo in prepared for item in photo)
    return (records_for(group, *model.result()) for group in groups(prepared, sizing.batch_size))


def model_for(bundle: Bundle, cfg: InferConfig, sizing: Sizing) -> tuple[Predictor, RunProvenance]:
    """The run's predictor and provenance, warmed up: one forward pass and decision on a blank
    input, so the libraries and buffers the first batch needs are loaded here, not then."""
    predictor = Predictor(
        bundle,
        device=cfg.device,
        top_k=cfg.top_k,
        backend=cfg.backend,
        precision=cfg.precision,
        threads=sizing.threads,
    )
    size = predictor.preprocessing.input_size
    predictor.decide(predictor.forward(np.zeros((1, 3, size, size), np.float32)))
    return predictor, RunProvenance.of(predictor, cfg.input)


def ray_engine(
    items: Iterator[Sample | Skipped], cfg: InferConfig, bundle: Bundle, sizing: Sizing
) -> Iterator[list[dict[str, Any]]]:
    from wildlens.pipeline.ray_engine import classify_on_ray  # Ray is an optional dependency

    return classify_on_ray(items, cfg, bundle, sizing)


ENGINES: dict[str, Callable[..., Iterator[list[dict[str, Any]]]]] = {
    "local": local_engine,
    "ray": ray_engine,
}


def items_note(metrics: dict[str, Any]) -> str | None:
    """What to expect of items=true from a model trained without table composites, and how to
    train one that knows items on a table; None for a model trained with them."""
    if "item_composites" in metrics:
        return None
    return (
        "note: this model was trained without table composites, so items on a table are "
        "answered less accurately than photos of them alone; for such photos train with "
        "mode=fast item_composites=2 (docs/benchmarks.md, 'Items on a table')"
    )


def run_batch(cfg: InferConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Classify `cfg.input` into `cfg.out` (resuming), then write the CSV, summary and pages.

    Returns:
        The summary (what `<out>.summary.json` holds, without its creation time).
    """
    input_kind(cfg.input)  # a clear error for a missing or unusable input, before any work
    if cfg.dry_run:
        return dry_run(cfg, log)
    bundle = load_bundle(cfg.bundle, trusted_key_ids(cfg.trusted_keys))
    outputs = Outputs(Path(cfg.out))
    input_path = str(Path(cfg.input).resolve())
    cfg = dataclasses.replace(cfg, input=input_path)  # records name the input absolutely
    input_keys: list[str] = []
    with open_log(outputs.records) as (handle, done):
        check_resumable(done, bundle.identity["bundle_sha256"], input_path, outputs.records)
        total = count_inputs(cfg.input, cfg.extensions)
        if total == 0:
            raise DatasetError(
                f"{cfg.input} holds no photos to classify (looked for "
                f"{', '.join(cfg.extensions)}); check input= and extensions="
            )
        on_gpu = device_name(cfg.device) != "cpu"
        sizing = auto_size(cfg, on_gpu, available_cores(), pending=max(0, total - len(done)))
        log(
            f"{total} inputs, {len(done)} already recorded in {outputs.records}; "
            f"engine {cfg.engine}, batch {sizing.batch_size}, {sizing.workers} decode workers"
        )
        if cfg.items and (note := items_note(bundle.meta.metrics)):
            log(note)

        # The shift guard watches photos in the order they are classified: a seeded shuffle,
        # so an archive sorted by class or case is not taken for a shift.
        seed = cfg.order_seed if is_shuffled(cfg.input, cfg.order) else None
        # items=true: a photo is done once every item it was found to hold is recorded (a
        # photo cut short by a kill is done again; its recorded items keep their records).
        photos_done = recorded_photos(done.values())

        def pending() -> Iterator[Sample | Skipped]:
            for item in iter_inputs(cfg.input, cfg.extensions, seed):
                input_keys.append(item.key)
                if item.key not in done and item.key not in photos_done:
                    yield item

        written = set(done)
        engine = ENGINES[cfg.engine](pending(), cfg, bundle, sizing)  # its set-up starts now
        # A resumed run keeps a guard that had fired. Set up after the engine's own (its bounds
        # load scipy.stats), while the first photos are decoded.
        resumed_guard = in_background(run_guard, bundle, cfg, list(done.values()))
        bar = tqdm(
            total=total, initial=len(done), unit="img", smoothing=0.05, disable=not cfg.progress
        )
        with bar:
            for records in engine:
                guard = resumed_guard.result()
                # An engine that retries work (Ray) could hand a key back twice: keep the first.
                fresh = guard.apply([r for r in records if r["key"] not in written])
                written.update(r["key"] for r in fresh)
                append_records(handle, fresh)
                bar.update(len(fresh))
        return finish(cfg, bundle, outputs, input_keys, input_path, log)


def run_guard(bundle: Bundle, cfg: InferConfig, done: list[dict[str, Any]]) -> RunGuard:
    """The run's shift guard, having replayed the records already in the log."""
    guard = RunGuard(bundle.routing.guard, enabled=cfg.shift_guard)
    guard.replay(done)
    return guard


def finish(
    cfg: InferConfig,
    bundle: Bundle,
    outputs: Outputs,
    input_keys: list[str],
    input_path: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """The CSV, the summary and the review pages, from the whole log."""
    records = list(read_records(outputs.records).values())
    write_csv(outputs.csv, records, cfg.top_k)
    guard = RunGuard(bundle.routing.guard, enabled=cfg.shift_guard)
    guard.replay(records)
    shuffled = is_shuffled(input_path, cfg.order)
    order = {"shuffled": shuffled, "seed": cfg.order_seed if shuffled else None}
    summary = {
        **summarise(records, input_keys, bundle, input_path),
        "order": order,
        "shift_guard": guard.state(),
    }
    write_summary(outputs.summary, summary)
    if guard.fired_at_key is not None:
        log(shift_message(summary["shift_guard"], len(records)))
    if cfg.report:
        from wildlens.pipeline.contact_sheets import write_contact_sheets

        write_contact_sheets(records, cfg, outputs.review, summary["shift_guard"])
        log(f"review pages: {outputs.review / 'index.html'}")
    if summary["missing"] or summary["not_in_input"]:
        log(
            f"warning: {len(summary['missing'])} inputs have no record and "
            f"{len(summary['not_in_input'])} records are of files no longer in the input"
        )
    return summary


def shift_message(state: dict[str, Any], records: int) -> str:
    """One line on a shift the run noticed: when, why, and what it did."""
    rates = ", ".join(
        f"{name} {state['means'][name]:.0%} (calibration {state['calibration_means'][name]:.0%})"
        for name in state["means"]
    )
    action = (
        "auto-accept was suspended for the rest of the run (reason shift_suspected)"
        if state["enabled"]
        else "shift_guard=false: auto-accept went on"
    )
    return (
        f"warning: these photos stopped looking like the calibration photos at photo "
        f"{state['fired_at']} of {records} ({state['fired_at_key']}): {rates}; {action}. "
        "Check the photos (setting, camera, items), and calibrate on photos like them."
    )


def dry_run(cfg: InferConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Count what a run would do, reading no photo: inputs, already recorded, to classify."""
    done = read_records(Outputs(Path(cfg.out)).records)
    photos_done = recorded_photos(done.values())
    counts: Counter[str] = Counter()
    for item in iter_inputs(cfg.input, cfg.extensions):
        if item.key in done or item.key in photos_done:
            counts["already recorded"] += 1
        elif isinstance(item, Skipped):
            counts[f"not read: {item.reason}"] += 1
        else:
            counts["to classify"] += 1
    summary = {"inputs": sum(counts.values()), **dict(sorted(counts.items()))}
    log(", ".join(f"{key} {value}" for key, value in summary.items()))
    return summary

"""Batch classification: every input of a folder, file list or archive gets exactly one record.

    summary = run_batch(load_config(InferConfig, ["input=archive/", "out=runs/a.csv"]))

Records are appended to `<out>.jsonl` and pushed to disk as they are made; rerunning the same
command skips the keys already recorded (a torn last line is cut off), so a killed run resumes
without gaps or duplicates. The final step writes the CSV (`out`) and `<out>.summary.json`
atomically, sorted, from the log, and optionally the review pages (`<out>.review/`).

The local engine decodes in spawned worker processes (JPEG draft decoding, then the shared eval
transform) while the main process runs the model on the previous batch; `engine=ray` runs the
same two stages on Ray Data (`wildlens.ray_engine`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from data.images import ImageError, ImageFacts
from data.parallel import parallel_map
from data.quality import ImageQuality
from data.sources import Sample, Skipped
from model.bundle import Bundle, load_bundle
from model.device import select_device
from model.predictor import ImagePreparer, Predictor
from wildlens.config import InferConfig
from wildlens.inputs import count_inputs, input_kind, iter_inputs
from wildlens.records import (
    Provenance,
    append_records,
    check_resumable,
    failed_record,
    ok_record,
    open_log,
    read_records,
    skipped_record,
    summarise,
    write_csv,
    write_summary,
)

# What a photo's preprocessing can raise beyond ImageError on a pathological image (an extreme
# aspect ratio resized to the model's size): recorded as that file's failure, not the run's.
UNPROCESSABLE_ERRORS = (ValueError, MemoryError, cv2.error)
# Records of failed and skipped inputs wait for at most this many batches' worth before being
# written, so an archive of mostly non-photos still writes (and resumes) as it goes.
MAX_GROUP_BATCHES = 4


@dataclass(frozen=True)
class Outputs:
    """The files of one run, named after `out` (the CSV)."""

    csv: Path

    @property
    def records(self) -> Path:
        return self.csv.with_suffix(".jsonl")

    @property
    def summary(self) -> Path:
        return self.csv.with_suffix(".summary.json")

    @property
    def review(self) -> Path:
        return self.csv.with_suffix(".review")


@dataclass(frozen=True)
class Sizing:
    workers: int  # decode worker processes; 0 decodes in the main process
    batch_size: int  # photos per model call
    threads: int  # CPU threads of the model; 0 lets the library choose


def available_cores() -> int:
    """CPU cores this process may use (a container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def auto_size(cfg: InferConfig, on_gpu: bool, cores: int, pending: int) -> Sizing:
    """Batch size, decode workers and model threads: the config's, or sized for this machine.

    On a CPU, decoding a phone photo (about 25 ms of one core at 1/8 scale) costs more than the
    ONNX model (about 15 ms), and both share the cores: one decode worker per core keeps the
    cores busy while the model runs in the main process with one thread (its spare cycles go
    to the workers). On a GPU the model is nearly free and every core but the feeding one
    decodes. A run with at most one batch to do decodes in-process: workers would only add
    their start-up time.
    """
    batch_size = cfg.batch_size or (128 if on_gpu else 32)
    if cfg.workers >= 0:
        workers = cfg.workers
    elif pending <= batch_size:
        workers = 0
    else:
        workers = max(1, min(32, cores - 1 if on_gpu else cores))
    threads = cfg.threads or (0 if on_gpu else 1)
    return Sizing(workers=workers, batch_size=batch_size, threads=threads)


@dataclass(frozen=True)
class Prepared:
    """One input after the decode stage: model-ready pixels, or why there are none."""

    key: str
    pixels: np.ndarray | None = field(default=None, repr=False)  # (3, H, W) float32
    facts: ImageFacts | None = None
    quality: ImageQuality | None = None  # for the poor_image check, measured where decoded
    error: tuple[str, str, str] | None = None  # code, message, sha256 of the bytes if read
    skipped: Skipped | None = None


def prepare_input(item: Sample | Skipped, preparer: ImagePreparer) -> Prepared:
    """Decode and preprocess one input (runs in a worker process; the result is picklable)."""
    if isinstance(item, Skipped):
        return Prepared(item.key, skipped=item)
    try:
        loaded = preparer.load(item.source)
    except ImageError as error:
        return Prepared(item.key, error=(error.code, error.message, error.sha256))
    try:
        pixels = preparer.preprocess(loaded.image)
    except UNPROCESSABLE_ERRORS as error:
        message = f"the photo could not be resized for the model ({type(error).__name__})"
        return Prepared(item.key, error=("unprocessable", message, loaded.facts.sha256))
    quality = preparer.quality(loaded.image)
    return Prepared(item.key, pixels=pixels, facts=loaded.facts, quality=quality)


def records_for(
    group: list[Prepared], predictor: Predictor, provenance: Provenance
) -> list[dict[str, Any]]:
    """One record per prepared input, in order; the decoded ones go through the model at once."""
    decoded = [p for p in group if p.pixels is not None]
    predictions = (
        predictor.decide(
            predictor.forward(np.stack([p.pixels for p in decoded])), [p.quality for p in decoded]
        )
        if decoded
        else []
    )
    by_key = {p.key: pred.to_dict() for p, pred in zip(decoded, predictions, strict=True)}
    records = []
    for p in group:
        if p.skipped is not None:
            records.append(skipped_record(p.skipped, provenance))
        elif p.error is not None:
            records.append(failed_record(p.key, *p.error, provenance))
        else:
            records.append(ok_record(p.key, p.facts, by_key[p.key], provenance))
    return records


def groups(prepared: Iterable[Prepared], batch_size: int) -> Iterator[list[Prepared]]:
    """Consecutive runs of inputs holding `batch_size` decoded photos (the rest ride along)."""
    group: list[Prepared] = []
    decoded = 0
    for item in prepared:
        group.append(item)
        decoded += item.pixels is not None
        if decoded == batch_size or len(group) >= MAX_GROUP_BATCHES * batch_size:
            yield group
            group, decoded = [], 0
    if group:
        yield group


def local_engine(
    items: Iterator[Sample | Skipped], cfg: InferConfig, bundle: Bundle, sizing: Sizing
) -> Iterator[list[dict[str, Any]]]:
    """Decode in worker processes while this process runs the model; yields record lists."""
    predictor = Predictor(
        bundle,
        device=cfg.device,
        top_k=cfg.top_k,
        backend=cfg.backend,
        precision=cfg.precision,
        threads=sizing.threads,
    )
    provenance = Provenance.of(predictor, cfg.input)
    chunksize = 4
    # Keep about two batches decoding ahead, so the model never waits on the workers.
    prefetch = max(2, math.ceil(2 * sizing.batch_size / (max(1, sizing.workers) * chunksize)))
    prepare = partial(prepare_input, preparer=predictor.preparer)
    prepared = parallel_map(prepare, items, sizing.workers, chunksize, prefetch)
    for group in groups(prepared, sizing.batch_size):
        yield records_for(group, predictor, provenance)


def ray_engine(
    items: Iterator[Sample | Skipped], cfg: InferConfig, bundle: Bundle, sizing: Sizing
) -> Iterator[list[dict[str, Any]]]:
    from wildlens.ray_engine import classify_on_ray  # Ray is an optional dependency

    return classify_on_ray(items, cfg, bundle, sizing)


ENGINES: dict[str, Callable[..., Iterator[list[dict[str, Any]]]]] = {
    "local": local_engine,
    "ray": ray_engine,
}


def run_batch(cfg: InferConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Classify `cfg.input` into `cfg.out` (resuming), then write the CSV, summary and pages.

    Returns:
        The summary (what `<out>.summary.json` holds, without its creation time).
    """
    input_kind(cfg.input)  # a clear error for a missing or unusable input, before any work
    if cfg.dry_run:
        return dry_run(cfg, log)
    bundle = load_bundle(cfg.bundle)
    outputs = Outputs(Path(cfg.out))
    input_path = str(Path(cfg.input).resolve())
    cfg = dataclasses.replace(cfg, input=input_path)  # records name the input absolutely
    input_keys: list[str] = []
    with open_log(outputs.records) as (handle, done):
        check_resumable(done, bundle.identity["bundle_sha256"], input_path, outputs.records)
        total = count_inputs(cfg.input, cfg.extensions)
        on_gpu = select_device(cfg.device).type != "cpu"
        sizing = auto_size(cfg, on_gpu, available_cores(), pending=max(0, total - len(done)))
        log(
            f"{total} inputs, {len(done)} already recorded in {outputs.records}; "
            f"engine {cfg.engine}, batch {sizing.batch_size}, {sizing.workers} decode workers"
        )

        def pending() -> Iterator[Sample | Skipped]:
            for item in iter_inputs(cfg.input, cfg.extensions):
                input_keys.append(item.key)
                if item.key not in done:
                    yield item

        written = set(done)
        bar = tqdm(
            total=total, initial=len(done), unit="img", smoothing=0.05, disable=not cfg.progress
        )
        with bar:
            for records in ENGINES[cfg.engine](pending(), cfg, bundle, sizing):
                # An engine that retries work (Ray) could hand a key back twice: keep the first.
                fresh = [r for r in records if r["key"] not in written]
                written.update(r["key"] for r in fresh)
                append_records(handle, fresh)
                bar.update(len(fresh))
        return finish(cfg, bundle, outputs, input_keys, input_path, log)


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
    summary = summarise(records, input_keys, bundle, input_path)
    write_summary(outputs.summary, summary)
    if cfg.report:
        from wildlens.review import write_review_pages

        write_review_pages(records, cfg, outputs.review)
        log(f"review pages: {outputs.review / 'index.html'}")
    if summary["missing"] or summary["not_in_input"]:
        log(
            f"warning: {len(summary['missing'])} inputs have no record and "
            f"{len(summary['not_in_input'])} records are of files no longer in the input"
        )
    return summary


def dry_run(cfg: InferConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Count what a run would do, reading no photo: inputs, already recorded, to classify."""
    done = read_records(Outputs(Path(cfg.out)).records)
    counts: Counter[str] = Counter()
    for item in iter_inputs(cfg.input, cfg.extensions):
        if item.key in done:
            counts["already recorded"] += 1
        elif isinstance(item, Skipped):
            counts[f"not read: {item.reason}"] += 1
        else:
            counts["to classify"] += 1
    summary = {"inputs": sum(counts.values()), **dict(sorted(counts.items()))}
    log(", ".join(f"{key} {value}" for key, value in summary.items()))
    return summary

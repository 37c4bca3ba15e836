"""The two stages of a batch run, shared by every engine (local workers, Ray): decode one input
into model-ready pixels (`prepare_input`, in worker processes; `wildlens.pipeline.decode`, which
imports no model library), then run the model over a group of them and make one record per input
(`records_for`, where the model lives).

    prepared = prepare_input(sample, predictor.preparer)
    records = records_for([prepared, ...], predictor, provenance)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from wildlens.common.parallel import available_cores
from wildlens.model.serving.predictor import Predictor
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.decode import Prepared, prepare_input
from wildlens.pipeline.records import RunProvenance, failed_record, ok_record, skipped_record

__all__ = [
    "MAX_GROUP_BATCHES",
    "Prepared",
    "Sizing",
    "auto_size",
    "available_cores",
    "groups",
    "in_background",
    "prepare_input",
    "records_for",
]

T = TypeVar("T")
_SET_UP = ThreadPoolExecutor(max_workers=1, thread_name_prefix="set-up")

# Records of failed and skipped inputs wait for at most this many batches' worth before being
# written, so an archive of mostly non-photos still writes (and resumes) as it goes.
MAX_GROUP_BATCHES = 4


@dataclass(frozen=True)
class Sizing:
    workers: int  # decode worker processes; 0 decodes in the main process
    batch_size: int  # photos per model call
    threads: int  # CPU threads of the model; 0 lets the library choose


def auto_size(cfg: InferConfig, on_gpu: bool, cores: int, pending: int) -> Sizing:
    """Batch size, decode workers and model threads: the config's, or sized for this machine.

    On a CPU, decoding a phone photo at 1/8 scale costs more core time than the ONNX model (see
    docs/benchmarks.md, "Batch classification"), and both share the cores: one decode worker
    per core keeps the cores busy while the model runs in the main process with one thread (its
    spare cycles go to the workers). On a GPU the model is nearly free and every core but the
    feeding one decodes. A run with at most one batch to do decodes in-process: workers would
    only add their start-up time.
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


def in_background(function: Callable[..., T], *args: Any) -> Future[T]:
    """Run `function(*args)` in the set-up thread; its result (or error) comes through the future.

    For set-up (the model, the shift guard: imports, an ONNX Runtime session) that can run while
    the decode workers start and decode the first photos. Set-up tasks run one after another,
    in the order submitted: two threads importing the same libraries at once could meet in a
    circular import.
    """
    return _SET_UP.submit(function, *args)


def records_for(
    group: list[Prepared], predictor: Predictor, provenance: RunProvenance
) -> list[dict[str, Any]]:
    """One record per prepared input (or item of one, with its item fields), in order; the
    decoded ones go through the model at once."""
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
            record = skipped_record(p.skipped, provenance)
        elif p.error is not None:
            record = failed_record(p.key, *p.error, provenance)
        else:
            record = ok_record(p.key, p.facts, by_key[p.key], provenance)
        records.append(record if p.item is None else {**record, **p.item})
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

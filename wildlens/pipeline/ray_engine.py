"""The batch pipeline on Ray Data: decode tasks, then an actor pool holding the predictor.

    for records in classify_on_ray(items, cfg, bundle, sizing): ...   # via run_batch, engine=ray

The stages and the records are the local engine's (`prepare_input`, `records_for`); only the
scheduling differs. Inputs go to Ray in chunks, so the driver never holds a whole archive and
the resumable log grows as each chunk's records stream back. On a cluster (`address=`), the
bundle folder and input files must be readable at the same paths on every node (archive members
travel as bytes), and every node needs WildLens installed (`pip install "wildlens[ray]"`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import ray

from wildlens.data.images import ImageFacts
from wildlens.data.quality import ImageQuality
from wildlens.data.sources import Sample, Skipped
from wildlens.model.bundle.format import Bundle
from wildlens.model.serving.predictor import ImagePreparer, Predictor
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.decode import Prepared, prepare_input
from wildlens.pipeline.records import RunProvenance, dumps
from wildlens.pipeline.stages import Sizing, records_for

# Inputs per Ray dataset: large enough to amortise an actor pool's start, small enough that a
# chunk of archive members (held as bytes in the object store) stays well below its memory.
CHUNK_ITEMS = 4096
CHUNK_BYTES = 1 << 30


def classify_on_ray(
    items: Iterator[Sample | Skipped], cfg: InferConfig, bundle: Bundle, sizing: Sizing
) -> Iterator[list[dict[str, Any]]]:
    """Records of `items`, computed on Ray (an existing cluster at `cfg.address`, or local)."""
    started = connect(cfg.address)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        for chunk in chunks(items):
            for batch in chunk_dataset(chunk, cfg, bundle, sizing).iter_batches(
                batch_size=None, batch_format="numpy"
            ):
                yield [json.loads(text) for text in batch["record"]]
    finally:
        if started:
            ray.shutdown()


def connect(address: str) -> bool:
    """Join the cluster at `address`, or start a local Ray; True if this call started one."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
        return False
    # Local workers run this interpreter, so they import the same installed wildlens.
    ray.init(include_dashboard=False, log_to_driver=False)
    return True


def chunks(items: Iterator[Sample | Skipped]) -> Iterator[list[dict[str, Any]]]:
    """Rows for `ray.data.from_items`, in chunks bounded by count and by archive bytes."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for item in items:
        chunk.append(to_row(item))
        size += len(chunk[-1]["data"])
        if len(chunk) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def to_row(item: Sample | Skipped) -> dict[str, Any]:
    """A Ray row: the key, and a path or an archive member's bytes, or the skip reason."""
    row = {"key": item.key, "path": "", "data": b"", "skip_reason": "", "skip_detail": ""}
    if isinstance(item, Skipped):
        return {**row, "skip_reason": item.reason, "skip_detail": item.detail}
    if isinstance(item.source, bytes):
        return {**row, "data": item.source}
    return {**row, "path": str(item.source)}


def from_row(key: str, path: str, data: bytes, reason: str, detail: str) -> Sample | Skipped:
    if reason:
        return Skipped(key, reason, detail)
    return Sample(key=key, source=Path(path) if path else bytes(data))


def chunk_dataset(chunk: list[dict[str, Any]], cfg: InferConfig, bundle: Bundle, sizing: Sizing):
    """Decode tasks, then the model actors. With GPUs the stages run apart (tasks on CPUs, actors
    on GPUs); on CPUs alone Ray fuses them, so each actor decodes and classifies its batches and
    the actors run side by side, one per CPU by default."""
    gpus = int(ray.cluster_resources().get("GPU", 0))
    on_gpu = cfg.device == "cuda" or (cfg.device == "auto" and gpus > 0)
    actors = cfg.actors or (gpus if on_gpu else int(ray.cluster_resources().get("CPU", 1)))
    return (
        ray.data.from_items(chunk)
        .map_batches(
            prepare_rows,
            fn_kwargs={"preparer": ImagePreparer(bundle.preprocessing)},
            batch_size=sizing.batch_size,
            batch_format="numpy",
        )
        .map_batches(
            RecordActor,
            fn_constructor_kwargs={
                "bundle": str(bundle.path.resolve()),
                "cfg": cfg,
                "threads": sizing.threads,
            },
            batch_size=sizing.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=max(1, actors)),
            num_gpus=1 if on_gpu else 0,
        )
    )


def prepare_rows(batch: dict[str, np.ndarray], preparer: ImagePreparer) -> dict[str, np.ndarray]:
    """The decode stage as a Ray task: model-ready pixels, or the reason there are none."""
    prepared = [
        prepare_input(from_row(*row), preparer)
        for row in zip(
            *(batch[c] for c in ("key", "path", "data", "skip_reason", "skip_detail")), strict=True
        )
    ]
    size = preparer.preprocessing.input_size
    pixels = np.zeros((len(prepared), 3, size, size), np.float32)
    for i, p in enumerate(prepared):
        if p.pixels is not None:
            pixels[i] = p.pixels
    return {
        "pixels": pixels,
        "decoded": np.array([p.pixels is not None for p in prepared]),
        "outcome": np.array([json.dumps(outcome(p)) for p in prepared], dtype=object),
    }


def outcome(p: Prepared) -> dict[str, Any]:
    """Everything of a Prepared but its pixels, as JSON."""
    return {
        "key": p.key,
        "facts": None if p.facts is None else {**vars(p.facts)},
        "quality": None if p.quality is None else p.quality.to_dict(),
        "error": p.error,
        "skipped": None if p.skipped is None else [p.skipped.reason, p.skipped.detail],
    }


def prepared_from(text: str, pixels: np.ndarray, decoded: bool) -> Prepared:
    data = json.loads(text)
    facts = data["facts"]
    if facts is not None:
        facts = ImageFacts(
            **{
                **facts,
                "original_size": tuple(facts["original_size"]),
                "decoded_size": tuple(facts["decoded_size"]),
            }
        )
    skipped = data["skipped"]
    return Prepared(
        key=data["key"],
        pixels=pixels if decoded else None,
        facts=facts,
        quality=ImageQuality(**data["quality"]) if data["quality"] else None,
        error=tuple(data["error"]) if data["error"] else None,
        skipped=Skipped(data["key"], *skipped) if skipped else None,
    )


class RecordActor:
    """Holds one predictor; turns prepared batches into JSON records."""

    def __init__(self, bundle: str, cfg: InferConfig, threads: int):
        self.predictor = Predictor.from_bundle(
            bundle,
            device=cfg.device,
            top_k=cfg.top_k,
            backend=cfg.backend,
            precision=cfg.precision,
            threads=threads,
        )
        self.provenance = RunProvenance.of(self.predictor, cfg.input)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        group = [
            prepared_from(text, pixels, bool(decoded))
            for text, pixels, decoded in zip(
                batch["outcome"], batch["pixels"], batch["decoded"], strict=True
            )
        ]
        records = records_for(group, self.predictor, self.provenance)
        return {"record": np.array([dumps(r) for r in records], dtype=object)}

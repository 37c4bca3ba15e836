"""Batch speed: `infer.py` end to end against a plain loop, and each pipeline stage alone.

    python bench/batch.py [--count 480] [--plain-count 96] [--folder runs/bench-photos]

All rows read the same generated 4000x3000 phone-like JPEGs (`bench/photos.py`) with an
untrained 8-class `tf_efficientnet_lite0` bundle at 224 px (ImageNet features, random head:
speed does not depend on the head), built once into `runs/bench-bundle`.

- plain loop: what timm's inference script does in one process: PIL full decode, timm's eval
  transform (`create_transform`), eager PyTorch fp32 with every core, batch 32.
- infer.py: the command as an analyst runs it, in a subprocess, start-up and output included,
  automatic sizing (batch, decode workers, model threads).
- decode stage alone: `prepare_input` (draft decode + the shared eval transform) over every
  photo with infer.py's decode workers, no model.
- model stage alone: `Predictor.forward` (ONNX Runtime) on ready batches with infer.py's
  batch size and threads, no decoding.
- shared-core bound: the rate the two stages can reach together when they share the cores:
  cores / (core-seconds per photo of decoding + of the model).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from PIL import Image

import wildlens  # noqa: F401  (offline defaults)
from bench.photos import write_photos
from data.parallel import parallel_map
from data.synthetic import CLASSES
from data.transforms import Preprocessing
from model.backbones import build_model
from model.bundle import META_FILE, load_bundle, save_bundle
from model.catalogue import load_catalogue
from model.export import export_to_bundle
from model.predictor import Predictor
from model.routing import RoutingPolicy
from wildlens.batch import auto_size, available_cores, prepare_input
from wildlens.config import InferConfig
from wildlens.paths import DEFAULT_CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = "tf_efficientnet_lite0"


def bench_bundle(folder: Path) -> Path:
    """An untrained 8-class lite0 bundle at 224 px with its ONNX export (made once)."""
    if (folder / META_FILE).is_file():
        load_bundle(folder)
        return folder
    model = build_model(ARCHITECTURE, len(CLASSES), weights="package").eval()
    classes = sorted(CLASSES)
    n = len(classes)
    meta = {
        "name": "bench",
        "version": "0",
        "description": "benchmark only: random classifier head",
        "demo": True,
        "architecture": ARCHITECTURE,
        "preprocessing": Preprocessing.from_model(model).to_dict(),
        "class_ids": classes,
        "catalogue": load_catalogue(DEFAULT_CATALOGUE).for_classes(classes, 0.95).to_dict(),
        "temperature": 1.0,
        "routing": RoutingPolicy(
            tuple(classes), (float("inf"),) * n, (False,) * n, (0.95,) * n, 10
        ).to_dict(),
        "unknown": None,
    }
    bundle = save_bundle(folder, model, meta, overwrite=True)
    export_to_bundle(bundle, model)
    return folder


def plain_loop(paths: list[Path], batch_size: int = 32) -> float:
    """Images/second of a timm-style loop: full decode, timm eval transform, eager fp32."""
    from timm.data import create_transform, resolve_data_config

    model = build_model(ARCHITECTURE, len(CLASSES), weights="package").eval()
    transform = create_transform(**resolve_data_config({}, model=model))
    torch.set_num_threads(available_cores())
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(paths), batch_size):
            batch = [transform(Image.open(p).convert("RGB")) for p in paths[i : i + batch_size]]
            model(torch.stack(batch))
    return len(paths) / (time.perf_counter() - start)


def infer_end_to_end(bundle: Path, folder: Path, count: int) -> tuple[float, float]:
    """Images/second of `infer.py` as a user runs it, and its wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable,
            str(ROOT / "infer.py"),
            f"bundle={bundle}",
            f"input={folder}",
            f"out={Path(scratch) / 'predictions.csv'}",
            "progress=false",
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
        wall = time.perf_counter() - start
    return count / wall, wall


def decode_stage(predictor: Predictor, paths: list[Path], workers: int) -> float:
    """Images/second of the decode stage alone, with infer.py's decode workers."""
    from data.sources import Sample

    samples = [Sample(key=p.name, source=p) for p in paths]
    prepare = partial(prepare_input, preparer=predictor.preparer)
    # Start the workers (spawn + imports) before the clock, as the pipeline overlaps them too.
    list(parallel_map(prepare, samples[:workers], workers, chunksize=1))
    start = time.perf_counter()
    for _ in parallel_map(prepare, samples, workers, chunksize=4, prefetch=8):
        pass
    return len(paths) / (time.perf_counter() - start)


def model_stage(predictor: Predictor, count: int, batch_size: int) -> float:
    """Images/second of the model stage alone on ready batches."""
    size = predictor.preprocessing.input_size
    batch = np.random.default_rng(0).standard_normal((batch_size, 3, size, size), np.float32)
    predictor.forward(batch)
    rounds = max(1, count // batch_size)
    start = time.perf_counter()
    for _ in range(rounds):
        predictor.decide(predictor.forward(batch))
    return rounds * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=480)
    parser.add_argument("--plain-count", type=int, default=96)
    parser.add_argument("--folder", default="runs/bench-photos")
    parser.add_argument("--bundle", default="runs/bench-bundle")
    args = parser.parse_args()
    folder = Path(args.folder)
    paths = write_photos(folder, args.count)
    # infer.py classifies the whole folder: keep only this run's photos in it.
    extra = sorted(set(folder.glob("*.jpg")) - set(paths))
    if extra:
        sys.exit(f"{folder} holds {len(extra)} more photos than --count; use another --folder")
    bundle = bench_bundle(Path(args.bundle))
    cores = available_cores()
    sizing = auto_size(InferConfig(), on_gpu=False, cores=cores, pending=len(paths))
    predictor = Predictor.from_bundle(bundle, device="cpu", threads=sizing.threads)
    size_mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6

    plain = plain_loop(paths[: args.plain_count])
    pipeline, wall = infer_end_to_end(bundle, folder, len(paths))
    decode = decode_stage(predictor, paths, sizing.workers)
    model = model_stage(predictor, len(paths), sizing.batch_size)
    slower = min(decode, model)
    bound = cores / (max(1, sizing.workers) / decode + max(1, sizing.threads) / model)

    print(
        f"{len(paths)} JPEGs, 4000x3000, {size_mb:.1f} MB each; {cores} cores; infer.py sizing: "
        f"batch {sizing.batch_size}, {sizing.workers} decode workers, {sizing.threads} model "
        f"thread(s); infer.py wall time {wall:.1f} s\n"
    )
    print("| row | images/s | vs plain loop |")
    print("|---|---:|---:|")
    rows = [
        (f"plain loop (timm-style, {args.plain_count} photos)", plain),
        ("infer.py end to end", pipeline),
        ("decode stage alone", decode),
        ("model stage alone", model),
        ("shared-core bound of the two stages", bound),
    ]
    for name, value in rows:
        print(f"| {name} | {value:.1f} | {value / plain:.2f}x |")
    print(
        f"\ninfer.py: {pipeline / plain:.1f}x the plain loop; {pipeline / slower:.0%} of the "
        f"slower stage alone; {pipeline / bound:.0%} of the shared-core bound"
    )


if __name__ == "__main__":
    main()

"""Batch speed: `infer.py` end to end against a plain loop, and each pipeline stage alone.

    python bench/batch.py [--count 480] [--repeat 4] [--plain-count 96]

The archive: `--count` generated 4000x3000 phone-like JPEGs (`bench/photos.py`, kept in
`runs/bench-photos`), each hard-linked `--repeat` times into `runs/bench-archive` (generating a
photo takes over a second; decoding a link costs the same as decoding a copy, and nothing in the
pipeline caches by content). The model: an untrained 8-class `tf_efficientnet_lite0` bundle at
224 px (ImageNet features, random head: speed does not depend on the head), built once into
`runs/bench-bundle`.

- plain loop: what timm's inference script does in one process: PIL full decode, timm's eval
  transform (`create_transform`), eager PyTorch fp32 with every core, batch 32.
- infer.py end to end: the command as an analyst runs it, in a subprocess, start-up and output
  included, automatic sizing (batch, decode workers, model threads).
- infer.py marginal: (N - N/4) / (wall time of all N - wall time of the first N/4, given as a
  CSV file list): the rate of a long run, start-up excluded.
- decode stage alone: `prepare_input` (draft decode + the shared eval transform) with infer.py's
  decode workers, no model, from the first finished chunk on.
- model stage alone: `Predictor.forward` + `decide` (ONNX Runtime) on ready batches with
  infer.py's batch size and threads, no decoding.
- shared-core bound: the rate the two stages can reach together when they share the cores:
  cores / (core-seconds per photo of decoding + of the model), from the two rows above.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
from wildlens.data.parallel import parallel_map
from wildlens.data.synthetic import CLASSES
from wildlens.data.transforms import Preprocessing
from wildlens.model.backbones import build_model
from wildlens.model.bundle import META_FILE, BundleMeta, load_bundle, save_bundle
from wildlens.model.catalogue import default_catalogue
from wildlens.model.export import export_to_bundle
from wildlens.model.predictor import Predictor
from wildlens.model.routing import fit_policy
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.stages import auto_size, available_cores, prepare_input

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
    meta = BundleMeta(
        name="bench",
        version="0",
        description="benchmark only: random classifier head",
        demo=True,
        architecture=ARCHITECTURE,
        preprocessing=Preprocessing.from_model(model).to_dict(),
        class_ids=classes,
        catalogue=default_catalogue().for_classes(classes, 0.95).to_dict(),
        temperature=1.0,
        # No calibration photos: every class is reviewed (insufficient_calibration).
        routing=fit_policy(
            np.zeros((0, n)), np.zeros(0, int), np.zeros(0), classes, [0.95] * n, [False] * n
        ).to_dict(),
        unknown={"score": "energy", "file": None},
        data={},
        metrics={},
        config={},
    )
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


def infer_wall_time(bundle: Path, source: Path, scratch: Path) -> float:
    """Seconds `infer.py` takes over `source` (a folder or a CSV file list), as a user runs it."""
    out = scratch / f"{source.stem}.csv"
    command = [
        sys.executable,
        str(ROOT / "infer.py"),
        f"bundle={bundle}",
        f"input={source}",
        f"out={out}",
        "progress=false",
    ]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"infer.py failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def link_archive(photos: list[Path], folder: Path, repeat: int) -> list[Path]:
    """`repeat` hard links of every photo in `folder` (a copy where links are not possible)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for r in range(repeat):
        for photo in photos:
            path = folder / f"{photo.stem}_r{r}.jpg"
            if not path.exists():
                try:
                    os.link(photo, path)
                except OSError:
                    shutil.copyfile(photo, path)
            paths.append(path)
    return sorted(paths)


def decode_stage(predictor: Predictor, paths: list[Path], workers: int) -> float:
    """Images/second of the decode stage alone with infer.py's decode workers, after start-up
    (from the first finished chunk to the last, as for infer.py)."""
    from wildlens.data.sources import Sample

    samples = [Sample(key=p.name, source=p) for p in paths]
    prepare = partial(prepare_input, preparer=predictor.preparer)
    chunksize = 4
    first = None
    for i, _ in enumerate(parallel_map(prepare, samples, workers, chunksize, prefetch=8)):
        if i == chunksize - 1:
            first = time.perf_counter()
    return (len(paths) - chunksize) / (time.perf_counter() - first)


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
    parser.add_argument("--count", type=int, default=480, help="distinct generated photos")
    parser.add_argument("--repeat", type=int, default=4, help="links of each photo in the archive")
    parser.add_argument("--plain-count", type=int, default=96, help="photos for the plain loop")
    parser.add_argument("--photos", default="runs/bench-photos")
    parser.add_argument("--archive", default="runs/bench-archive")
    parser.add_argument("--bundle", default="runs/bench-bundle")
    args = parser.parse_args()
    photos = write_photos(args.photos, args.count)
    archive = Path(args.archive)
    paths = link_archive(photos, archive, args.repeat)
    extra = sorted(set(archive.glob("*")) - set(paths))
    if extra:  # infer.py classifies the whole folder
        sys.exit(f"{archive} holds {len(extra)} files of another --count/--repeat; remove it")
    bundle = bench_bundle(Path(args.bundle))
    cores = available_cores()
    sizing = auto_size(InferConfig(), on_gpu=False, cores=cores, pending=len(paths))
    predictor = Predictor.from_bundle(bundle, device="cpu", threads=sizing.threads)
    size_mb = sum(p.stat().st_size for p in photos) / len(photos) / 1e6

    plain = plain_loop(photos[: args.plain_count])
    with tempfile.TemporaryDirectory() as scratch:
        quarter = Path(scratch) / "quarter.csv"
        quarter.write_text("path\n" + "".join(f"{p.resolve()}\n" for p in paths[::4]))
        wall = infer_wall_time(bundle, archive, Path(scratch))
        wall_quarter = infer_wall_time(bundle, quarter, Path(scratch))
    pipeline = len(paths) / wall
    marginal = (len(paths) - len(paths[::4])) / (wall - wall_quarter)
    decode = decode_stage(predictor, paths, sizing.workers)
    model = model_stage(predictor, len(paths), sizing.batch_size)
    slower = min(decode, model)
    bound = cores / (max(1, sizing.workers) / decode + max(1, sizing.threads) / model)

    print(
        f"{len(paths)} inputs ({len(photos)} generated 4000x3000 JPEGs of {size_mb:.1f} MB, "
        f"{args.repeat} links each); {cores} cores; infer.py sizing: batch {sizing.batch_size}, "
        f"{sizing.workers} decode workers, {sizing.threads} model thread(s); infer.py wall time "
        f"{wall:.1f} s, {wall_quarter:.1f} s for the first quarter\n"
    )
    print("| row | images/s | vs plain loop |")
    print("|---|---:|---:|")
    rows = [
        (f"plain loop (timm-style, {args.plain_count} photos)", plain),
        ("infer.py end to end", pipeline),
        ("infer.py marginal (start-up excluded)", marginal),
        ("decode stage alone", decode),
        ("model stage alone", model),
        ("shared-core bound of the two stages", bound),
    ]
    for name, value in rows:
        print(f"| {name} | {value:.1f} | {value / plain:.2f}x |")
    print(
        f"\ninfer.py end to end: {pipeline / plain:.1f}x the plain loop, {pipeline / slower:.0%} "
        f"of the slower stage alone, {pipeline / bound:.0%} of the shared-core bound; marginal: "
        f"{marginal / plain:.1f}x, {marginal / slower:.0%}, {marginal / bound:.0%}"
    )


if __name__ == "__main__":
    main()

"""Batch speed and memory: `infer.py` against a plain timm-style loop, both as whole processes.

    python bench/batch.py [--count 96] [--sizes 96 480 1920] [--runs 3] [--start-up] [--stages]
        [--results docs/results]

The inputs: `--count` generated 4000x3000 phone-like JPEGs (`bench/photos.py`, about 2.2 MB
each, kept in `runs/bench-photos`), hard-linked into one folder per size (`runs/bench-inputs/N`:
N / count links of each photo; generating a photo takes over a second, decoding a link costs
what decoding a copy does, and neither side caches by content). The model: a fast-mode 8-class
`tf_efficientnet_lite0` bundle at 224 px trained on synthetic photos (its calibration, routing,
kNN banks and ONNX export as train.py makes them), built once into `runs/bench-bundle`.

Each size runs both commands in turn, `--runs` times, each in a fresh process, start-up and
output included:
- plain loop: `bench/plain_loop.py` (torch and timm, full-size PIL decode, timm's eval transform,
  eager PyTorch fp32 on every core, batch 32, a CSV);
- infer.py: `python infer.py bundle=... input=FOLDER out=...csv progress=false`, as an analyst
  runs it, sized automatically.

Measured for each run: wall time; the peak memory of the whole process tree (the command and
every process it starts), sampled every 0.1 s from /proc: the sum of PSS (proportional set
size: shared pages divided among the processes sharing them, so the sum is the tree's physical
memory) and the sum of RSS (shared pages counted once per process, an upper bound); and the
time from launch until the first photo's bytes have been read (inotify: the file closed after
reading), which is where its decoding starts. The table gives medians. `--start-up` also times
both on a single photo, the table's first row (start-up, decode, model, outputs: an upper bound
on the start-up to the first photo decoded). `--stages` adds each stage's rate alone in this
process (decode with infer.py's workers, no model; the model on ready batches, no decoding).
The tables are saved through `bench/results.py` as docs/results/batch-whole-process-SIZES.json
(e.g. batch-whole-process-1-96-480 for `--start-up --sizes 96 480`) and batch-stages.json.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import select
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import wildlens  # noqa: F401  (offline defaults)
from bench.photos import write_photos
from bench.results import RESULTS, publish
from wildlens.common.parallel import parallel_map
from wildlens.model.bundle.format import META_FILE, load_bundle
from wildlens.pipeline.config import InferConfig
from wildlens.pipeline.decode import prepare_input
from wildlens.pipeline.stages import auto_size, available_cores

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = "tf_efficientnet_lite0"
PAGE = os.sysconf("SC_PAGE_SIZE")
IN_CLOSE_NOWRITE = 0x10


def bench_bundle(folder: Path) -> Path:
    """A fast-mode `tf_efficientnet_lite0` bundle at 224 px, trained by `train()` on synthetic
    photos (made once, about a minute): calibration, routing, kNN banks and ONNX export as
    every bundle has them."""
    if (folder / META_FILE).is_file():
        load_bundle(folder)
        return folder
    from wildlens.common.config_loader import load_config
    from wildlens.data.synthetic import write_dataset
    from wildlens.model.config import TrainConfig
    from wildlens.model.workflows.train import train

    data = write_dataset(folder.with_name(f"{folder.name}-data"), {"train": 16, "val": 6}, 320)
    options = [f"data={data}", f"out={folder}", "mode=fast", f"architecture={ARCHITECTURE}"]
    train(load_config(TrainConfig, options), progress=False, log=lambda _: None)
    return folder


def link_inputs(photos: list[Path], folder: Path, count: int) -> list[Path]:
    """`count` inputs in `folder`: hard links of `photos` in turn (copies where links fail)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        photo = photos[i % len(photos)]
        path = folder / f"{photo.stem}_r{i // len(photos)}.jpg"
        if not path.exists():
            try:
                os.link(photo, path)
            except OSError:
                shutil.copyfile(photo, path)
        paths.append(path)
    extra = sorted(set(folder.iterdir()) - set(paths))
    if extra:  # both commands read the whole folder
        sys.exit(f"{folder} holds {len(extra)} other files; remove it")
    return paths


class TreeMemory:
    """Peak memory of a process and all its descendants, sampled from /proc in a thread."""

    def __init__(self, root: int, interval: float = 0.1, rescan: float = 0.3):
        self.root, self.interval, self.rescan = root, interval, rescan
        self.peak_pss = self.peak_rss = 0
        self.processes = 0  # the most processes seen in the tree at once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    def _sample(self) -> None:
        tree, scanned = [self.root], 0.0
        while not self._stop.is_set():
            if time.perf_counter() - scanned >= self.rescan:
                tree, scanned = self._tree(), time.perf_counter()
            pss = rss = alive = 0
            for pid in tree:
                try:
                    with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                        rollup = handle.read().split(b"\n")
                except OSError:
                    continue
                fields = {line.split(b":")[0]: line.split()[1] for line in rollup[1:] if line}
                if b"Rss" not in fields:
                    continue
                rss += int(fields[b"Rss"]) * 1024
                pss += int(fields[b"Pss"]) * 1024
                alive += 1
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self.processes = max(self.processes, alive)
            self._stop.wait(self.interval)


class FirstRead:
    """When the first file of `folder` has been read and closed, by any process (inotify)."""

    def __init__(self, folder: Path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if (
            self.fd < 0
            or self.libc.inotify_add_watch(self.fd, os.fsencode(folder), IN_CLOSE_NOWRITE) < 0
        ):
            raise OSError(ctypes.get_errno(), "inotify")
        self.time: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        while not self._stop.is_set() and self.time is None:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            when = time.perf_counter()
            data, offset = os.read(self.fd, 65536), 0
            while offset < len(data):
                _, _, _, length = struct.unpack_from("iIII", data, offset)
                offset += 16 + length
                if length and self.time is None:  # a file in the folder, not the folder itself
                    self.time = when

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.fd)


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, launch to exit
    first_read: float  # seconds, launch to the first photo read
    cpu: float  # user + system seconds of the command and every process it waited for
    peak_pss: int  # bytes, the process tree's sum
    peak_rss: int
    processes: int


def measure(command: list[str], folder: Path) -> Run:
    """Run `command` to its end, measuring its wall time, CPU time, memory and first photo
    read."""
    first = FirstRead(folder)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        memory = TreeMemory(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        memory.stop()
        first.stop()
        if process.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")[-3000:]
            sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{message}")
    read = first.time - start if first.time is not None else float("nan")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, read, cpu, memory.peak_pss, memory.peak_rss, memory.processes)


def plain_command(bundle: Path, folder: Path, out: Path) -> list[str]:
    script = ROOT / "bench" / "plain_loop.py"
    return [sys.executable, str(script), str(bundle), str(folder), str(out)]


def infer_command(bundle: Path, folder: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "infer.py"),
        f"bundle={bundle}",
        f"input={folder}",
        f"out={out}",
        "progress=false",
    ]


def rows_of(csv_path: Path) -> int:
    return len(csv_path.read_text().splitlines()) - 1


def compare(bundle: Path, folder: Path, n: int, runs: int, scratch: Path) -> dict[str, list[Run]]:
    """`runs` of each command on `folder`, in turn; checks each wrote one row per photo."""
    results: dict[str, list[Run]] = {"plain": [], "infer": []}
    for r in range(runs):
        for name, command in (("plain", plain_command), ("infer", infer_command)):
            out = scratch / f"{name}-{n}-{r}" / "out.csv"
            out.parent.mkdir(parents=True)
            run = measure(command(bundle, folder, out), folder)
            if rows_of(out) != n:
                sys.exit(f"{name} wrote {rows_of(out)} rows for {n} photos")
            results[name].append(run)
            print(
                f"  {n} photos, {name} run {r + 1}: {run.wall:.2f} s ({run.cpu:.1f} CPU s), "
                f"first photo read at {run.first_read:.2f} s, peak PSS "
                f"{run.peak_pss / 1e6:.0f} MB, RSS {run.peak_rss / 1e6:.0f} MB over "
                f"{run.processes} processes",
                flush=True,
            )
    return results


def decode_stage(bundle: Path, paths: list[Path], workers: int) -> float:
    """Images/second of the decode stage alone with infer.py's decode workers, after start-up."""
    from wildlens.data.sources import Sample
    from wildlens.model.serving.preparer import ImagePreparer

    samples = [Sample(key=p.name, source=p) for p in paths]
    prepare = partial(prepare_input, preparer=ImagePreparer(load_bundle(bundle).preprocessing))
    chunksize, first = 4, None
    for i, _ in enumerate(parallel_map(prepare, samples, workers, chunksize, prefetch=8)):
        if i == chunksize - 1:
            first = time.perf_counter()
    return (len(paths) - chunksize) / (time.perf_counter() - first)


def model_stage(bundle: Path, count: int, batch_size: int, threads: int) -> float:
    """Images/second of the model stage alone (ONNX Runtime forward + decisions)."""
    from wildlens.model.serving.predictor import Predictor

    predictor = Predictor.from_bundle(bundle, device="cpu", threads=threads)
    size = predictor.preprocessing.input_size
    batch = np.random.default_rng(0).standard_normal((batch_size, 3, size, size), np.float32)
    predictor.decide(predictor.forward(batch))
    rounds = max(1, count // batch_size)
    start = time.perf_counter()
    for _ in range(rounds):
        predictor.decide(predictor.forward(batch))
    return rounds * batch_size / (time.perf_counter() - start)


def median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=96, help="distinct generated photos")
    parser.add_argument("--sizes", type=int, nargs="+", default=[96, 480, 1920])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command per size")
    parser.add_argument("--start-up", action="store_true", help="also time a one-photo run")
    parser.add_argument("--stages", action="store_true", help="also time each stage alone")
    parser.add_argument("--photos", default="runs/bench-photos")
    parser.add_argument("--inputs", default="runs/bench-inputs")
    parser.add_argument("--bundle", default="runs/bench-bundle")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    command = shlex.join(["python", "bench/batch.py", *sys.argv[1:]])
    photos = write_photos(args.photos, args.count)
    bundle = bench_bundle(Path(args.bundle)).resolve()
    size_mb = sum(p.stat().st_size for p in photos) / len(photos) / 1e6
    cores = available_cores()
    load_before = os.getloadavg()[0]
    print(
        f"{len(photos)} generated 4000x3000 JPEGs of {size_mb:.1f} MB, hard-linked; {cores} "
        f"cores; load average before: {load_before:.2f}",
        flush=True,
    )
    table = []
    with tempfile.TemporaryDirectory() as scratch:
        if args.start_up:
            one = Path(args.inputs) / "1"
            link_inputs(photos, one, 1)
            results = compare(bundle, one.resolve(), 1, args.runs, Path(scratch))
            print(
                f"\none photo, whole process (median of {args.runs}): infer.py "
                f"{median(results['infer'], 'wall'):.2f} s (its photo read at "
                f"{median(results['infer'], 'first_read'):.2f} s), plain loop "
                f"{median(results['plain'], 'wall'):.2f} s\n",
                flush=True,
            )
            table.append((1, results))
        for n in args.sizes:
            folder = Path(args.inputs) / str(n)
            link_inputs(photos, folder, n)
            results = compare(bundle, folder.resolve(), n, args.runs, Path(scratch))
            table.append((n, results))
    load_after = os.getloadavg()[0]
    print(f"\nload average after: {load_after:.2f}")
    rows = []
    for n, results in table:
        plain, infer = results["plain"], results["infer"]
        speed = median(plain, "wall") / median(infer, "wall")
        rows.append(
            [
                f"{n:,}",
                f"{median(plain, 'wall'):.1f}",
                f"{median(infer, 'wall'):.1f}",
                f"{speed:.2f}x",
                f"{median(plain, 'cpu'):.1f} / {median(infer, 'cpu'):.1f}",
                f"{median(plain, 'first_read'):.2f} / {median(infer, 'first_read'):.2f}",
                f"{median(plain, 'peak_pss') / 1e6:.0f} / {median(infer, 'peak_pss') / 1e6:.0f}",
                f"{median(plain, 'peak_rss') / 1e6:.0f} / {median(infer, 'peak_rss') / 1e6:.0f}",
            ]
        )
    publish(
        "batch-whole-process-" + "-".join(str(n) for n, _ in table),
        command,
        [
            "photos",
            "plain loop s",
            "infer.py s",
            "speed-up",
            "CPU s, plain / infer.py",
            "first photo read, plain / infer.py s",
            "peak PSS, plain / infer.py MB",
            "peak RSS sum, plain / infer.py MB",
        ],
        rows,
        f"Medians of {args.runs} run(s); {len(photos)} distinct photos of {size_mb:.1f} MB, "
        f"hard-linked; {cores} cores, load average {load_before:.2f} before, "
        f"{load_after:.2f} after.",
        args.results,
    )
    if args.stages:
        paths = link_inputs(photos, Path(args.inputs) / str(max(args.sizes)), max(args.sizes))
        sizing = auto_size(InferConfig(), on_gpu=False, cores=cores, pending=len(paths))
        decode = decode_stage(bundle, paths[: 4 * len(photos)], sizing.workers)
        model = model_stage(bundle, 4 * len(photos), sizing.batch_size, sizing.threads)
        bound = cores / (max(1, sizing.workers) / decode + max(1, sizing.threads) / model)
        publish(
            "batch-stages",
            command,
            ["stage", "images/s"],
            [
                [f"decode alone ({sizing.workers} workers)", f"{decode:.1f}"],
                [
                    f"model alone (batch {sizing.batch_size}, {sizing.threads} thread)",
                    f"{model:.1f}",
                ],
                ["shared-core bound of the two (estimate)", f"{bound:.1f}"],
            ],
            f"{4 * len(photos)} photos per stage, in this process; {cores} cores.",
            args.results,
        )


if __name__ == "__main__":
    main()

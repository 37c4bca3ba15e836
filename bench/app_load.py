"""The app's answer time for one 12-megapixel phone photo, and a load test on localhost.

    python bench/app_load.py [--clients 10] [--seconds 60] [--requests 30] [--results docs/results]

- handler: `wildlens.ui.identify.identify` called in this process (decode, predict, heat map,
  result tables): the app's own work for one photo, without HTTP.
- round trip: one gradio_client against `app.py` running in another process on localhost:
  upload of the photo, queue, answer, download of the shown image (what a browser waits for).
- load: `--clients` gradio_client sessions in threads, each identifying photos back to back for
  `--seconds` (heat map on, the app's default); every answer and every error is counted.

Photos: `bench/photos.py` 4000x3000 phone-like JPEGs (kept in runs/bench-photos). Model: a
fast-mode bundle of `tf_efficientnet_lite0` at its own 224 px, trained once on synthetic photos
into runs/bench-app-bundle (real calibration, routing and ONNX export; its accuracy is beside
the point). Results: the table saved through `bench/results.py` as docs/results/app-load.json
(and printed), the raw measurements written to runs/bench-app-load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import wildlens  # noqa: F401  (offline defaults before any library import)
from bench.photos import write_photos
from bench.results import RESULTS, publish
from wildlens.data.synthetic import CLASSES, write_dataset
from wildlens.model.bundle.format import META_FILE, load_bundle
from wildlens.model.config import TrainConfig
from wildlens.ui.config import AppConfig
from wildlens.ui.warmup import READY_LINE

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs"


def bench_bundle(folder: Path) -> Path:
    """A fast-mode lite0 bundle at 224 px on synthetic photos (trained once, then reused)."""
    if (folder / META_FILE).is_file():
        load_bundle(folder)
        return folder
    from wildlens.model.workflows.train import train

    with tempfile.TemporaryDirectory() as scratch:
        data = write_dataset(
            Path(scratch) / "data",
            {"train": 12, "val": 4, "calibration": 12},
            size=160,
            seed=3,
            classes=CLASSES,
        )
        cfg = TrainConfig(
            data=str(data),
            out=str(folder),
            mode="fast",
            name="bench-app",
            fast_views=0,
            workers=0,
            overwrite=True,
        )
        train(cfg, progress=False, log=lambda _: None)
    return folder


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50_s": percentile(latencies, 50),
        "p95_s": percentile(latencies, 95),
        "max_s": max(latencies) if latencies else float("nan"),
        "mean_s": statistics.fmean(latencies) if latencies else float("nan"),
    }


def handler_latency(bundle: Path, photos: list[Path], requests: int, heat_map: bool) -> dict:
    """The app's identify handler in this process, one photo per call."""
    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState
    from wildlens.ui.identify import identify

    with tempfile.TemporaryDirectory() as data_dir:
        cfg = AppConfig(data_dir=data_dir, device="cpu")  # app defaults otherwise (threads)
        predictor = Predictor.from_bundle(bundle, device="cpu", threads=cfg.threads)
        state = AppState(cfg, predictor, bundle)
        for photo in photos[:3]:  # warm-up: ONNX session, Grad-CAM network, caches
            identify(state, [str(photo)], heat_map, "en")
        latencies = []
        for i in range(requests):
            start = time.perf_counter()
            identify(state, [str(photos[i % len(photos)])], heat_map, "en")
            latencies.append(time.perf_counter() - start)
    return summary(latencies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(
    bundle: Path, data_dir: Path, warm: bool = True, keys: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    """`app.py` in its own process (as users run it), with `keys` (key=value) added; returns
    it and its URL once it answers and, with `warm`, once its warm-up (`wildlens.ui.warmup`) is
    done."""
    port = free_port()
    command = [
        sys.executable,
        str(ROOT / "app.py"),
        f"bundle={bundle}",
        f"port={port}",
        f"data_dir={data_dir}",
        "device=cpu",
        *keys,
    ]
    log = open(data_dir / "app.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while not answers(port):
        wait_for(process, data_dir, deadline)
    if warm:
        wait_warm(process, data_dir, deadline)
    return process, f"http://127.0.0.1:{port}/"


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_warm(process: subprocess.Popen, data_dir: Path, deadline: float) -> str:
    """Until the app has printed `READY_LINE` in its log; the seconds the warm-up said it took."""
    while READY_LINE not in (log := (data_dir / "app.log").read_text()):
        wait_for(process, data_dir, deadline)
    return log.split(READY_LINE + " in ", 1)[1].split(" s", 1)[0]


def wait_for(process: subprocess.Popen, data_dir: Path, deadline: float) -> None:
    if process.poll() is not None:
        sys.exit(f"app.py exited:\n{(data_dir / 'app.log').read_text()[-3000:]}")
    if time.monotonic() > deadline:
        process.kill()
        sys.exit("app.py did not start within 180 s")
    time.sleep(0.5)


def identify_call(client, photo: Path, heat_map: bool) -> None:
    from gradio_client import handle_file

    client.predict([handle_file(str(photo))], heat_map, "en", api_name="/identify")


def round_trip_latency(url: str, photos: list[Path], requests: int, heat_map: bool) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for photo in photos[:3]:
        identify_call(client, photo, heat_map)
    latencies = []
    for i in range(requests):
        start = time.perf_counter()
        identify_call(client, photos[i % len(photos)], heat_map)
        latencies.append(time.perf_counter() - start)
    return summary(latencies)


def load_test(url: str, photos: list[Path], clients: int, seconds: float) -> dict:
    """`clients` sessions identifying back to back for `seconds`; latencies and errors."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def run(index: int) -> None:
        client = Client(url, verbose=False)
        ready.wait()
        i = index
        while time.monotonic() < deadline[0]:
            start = time.perf_counter()
            try:
                identify_call(client, photos[i % len(photos)], True)
            except Exception as error:  # every failure is a finding, counted and reported
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
            else:
                with lock:
                    latencies.append(time.perf_counter() - start)
            i += clients

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    ready.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answers": len(latencies),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "answers_per_s": len(latencies) / elapsed,
        **summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=30, help="per latency row")
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()

    photos = write_photos(RUNS / "bench-photos", args.photos)
    bundle = bench_bundle(RUNS / "bench-app-bundle")
    print(f"photos: {len(photos)} x 4000x3000 JPEG, {photos[0].stat().st_size / 1e6:.1f} MB each")
    load_before = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    results = {
        "handler_heat_off": handler_latency(bundle, photos, args.requests, False),
        "handler_heat_on": handler_latency(bundle, photos, args.requests, True),
    }
    with tempfile.TemporaryDirectory() as scratch:
        # Every client here is 127.0.0.1: the hourly upload budget of one address (600 photos,
        # 1000 MB) is for one person; ten officers at ten devices each have their own.
        budget = ("max_session_files=1000000", "max_session_mb=1000000")
        process, url = start_app(bundle, Path(scratch), keys=budget)
        try:
            results["round_trip_heat_off"] = round_trip_latency(url, photos, args.requests, False)
            results["round_trip_heat_on"] = round_trip_latency(url, photos, args.requests, True)
            results["load"] = load_test(url, photos, args.clients, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)
    results["load_average_after"] = os.getloadavg()
    (RUNS / "bench-app-load.json").write_text(json.dumps(results, indent=1) + "\n")

    rows = []
    for key, label in (
        ("handler_heat_off", "handler, heat map off"),
        ("handler_heat_on", "handler, heat map on"),
        ("round_trip_heat_off", "round trip (gradio_client), heat map off"),
        ("round_trip_heat_on", "round trip (gradio_client), heat map on"),
        ("load", f"load: {args.clients} clients for {args.seconds:g} s, heat map on"),
    ):
        row = results[key]
        rows.append(
            [
                label,
                str(row["n"]),
                f"{row['p50_s']:.3f}",
                f"{row['p95_s']:.3f}",
                f"{row['max_s']:.3f}",
            ]
        )
    load = results["load"]
    summary = (
        f"Load test: {load['answers']} answers, {load['errors']} errors, "
        f"{load['answers_per_s']:.1f} answers/s; load average {load_before:.1f} before."
    )
    publish(
        "app-load",
        shlex.join(["python", "bench/app_load.py", *sys.argv[1:]]),
        ["measurement", "requests", "p50 s", "p95 s", "max s"],
        rows,
        summary,
        args.results,
    )
    if load["errors"]:
        print(f"errors: {load['error_examples']}")


if __name__ == "__main__":
    main()

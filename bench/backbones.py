"""Backbone trade-off: accuracy and speed of tf_efficientnet_lite0/1/2 in fast mode, one run.

    python bench/backbones.py [DATA] [--results docs/results]

DATA defaults to ../shared/datasets/clothing-small.

For each architecture: parameters, input size, forward speed on a batch of 32 (eager PyTorch,
fp32, this machine's threads), and `train.py mode=fast` end to end on DATA from a cold feature
cache: wall time, test accuracy, macro-F1 and ECE after calibration. The table is saved through
`bench/results.py` as docs/results/backbones.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

import wildlens  # noqa: F401  (offline defaults)
from bench.results import RESULTS, publish
from wildlens.common.config_loader import load_config
from wildlens.data.transforms import Preprocessing
from wildlens.model.config import TrainConfig
from wildlens.model.network.backbones import build_model
from wildlens.model.workflows.train import train

ARCHITECTURES = ("tf_efficientnet_lite0", "tf_efficientnet_lite1", "tf_efficientnet_lite2")


def forward_rate(architecture: str) -> tuple[int, int, float]:
    model = build_model(architecture, 10).eval()
    size = Preprocessing.from_model(model).input_size
    batch = torch.randn(32, 3, size, size)
    with torch.inference_mode():
        model(batch)
        started = time.perf_counter()
        for _ in range(3):
            model(batch)
    rate = 3 * 32 / (time.perf_counter() - started)
    return sum(p.numel() for p in model.parameters()), size, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="../shared/datasets/clothing-small")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    data = Path(args.data)
    rows = []
    for architecture in ARCHITECTURES:
        parameters, size, rate = forward_rate(architecture)
        with tempfile.TemporaryDirectory() as scratch:
            os.environ["WILDLENS_CACHE"] = str(Path(scratch) / "cache")
            cfg = load_config(
                TrainConfig,
                [
                    f"data={data}",
                    f"out={scratch}/bundle",
                    "mode=fast",
                    f"architecture={architecture}",
                ],
            )
            started = time.perf_counter()
            bundle = train(cfg, progress=False, log=lambda _: None)
            seconds = time.perf_counter() - started
            metrics = json.loads((bundle.path / "report" / "metrics.json").read_text())[
                "calibrated"
            ]
        rows.append((architecture, parameters, size, rate, seconds, metrics))
        print(f"{architecture}: done in {seconds:.0f} s", flush=True)
    header = [
        "backbone",
        "parameters",
        "input",
        "forward, img/s",
        "fast mode wall time",
        "test accuracy",
        "macro-F1",
        "ECE",
    ]
    publish(
        "backbones",
        shlex.join(["python", "bench/backbones.py", *sys.argv[1:]]),
        header,
        [
            [
                architecture,
                f"{parameters / 1e6:.1f} M",
                str(size),
                f"{rate:.0f}",
                f"{seconds:.0f} s",
                f"{m['accuracy']:.3f}",
                f"{m['macro_f1']:.3f}",
                f"{m['ece']:.3f}",
            ]
            for architecture, parameters, size, rate, seconds, m in rows
        ],
        "Forward: eager PyTorch fp32, batch 32; fast mode from a cold feature cache; test split.",
        args.results,
    )


if __name__ == "__main__":
    main()

"""The plain loop `bench/batch.py` measures infer.py against: what timm's inference script does.

    python bench/plain_loop.py BUNDLE FOLDER OUT.csv [--batch-size 32]

One process, no WildLens code: torch and timm imported, the bundle's network built with
`timm.create_model` and its `model.safetensors` loaded, then every photo of FOLDER (sorted) opened
with `Image.open().convert("RGB")` at full size, timm's eval transform (`create_transform` of
`resolve_data_config`), eager PyTorch fp32 on every core in batches, and one CSV row per photo
(path, top class, its softmax probability).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

# Offline as every bench (no WildLens import here: the plain loop stays plain).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import timm
import torch
from PIL import Image
from safetensors.torch import load_file
from timm.data import create_transform, resolve_data_config

EXTENSIONS = {".jpg", ".jpeg", ".png"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("folder")
    parser.add_argument("out")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    meta = json.loads((Path(args.bundle) / "bundle.json").read_text())
    classes = meta["class_ids"]
    model = timm.create_model(meta["architecture"], pretrained=False, num_classes=len(classes))
    model.load_state_dict(load_file(str(Path(args.bundle) / "model.safetensors")))
    model.eval()
    transform = create_transform(**resolve_data_config({}, model=model))
    paths = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in EXTENSIONS)
    with open(args.out, "w", newline="") as handle, torch.inference_mode():
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "probability"])
        for start in range(0, len(paths), args.batch_size):
            chunk = paths[start : start + args.batch_size]
            batch = torch.stack([transform(Image.open(p).convert("RGB")) for p in chunk])
            probs = model(batch).softmax(dim=1)
            top, index = probs.max(dim=1)
            for path, p, i in zip(chunk, top.tolist(), index.tolist(), strict=True):
                writer.writerow([str(path), classes[i], f"{p:.6f}"])


if __name__ == "__main__":
    main()

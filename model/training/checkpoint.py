"""Resume checkpoints: tensors in safetensors files, everything else in JSON. No pickle.

A checkpoint folder holds `model.safetensors`, `ema.safetensors` (if EMA is on),
`optimizer.safetensors` (per-parameter state, flattened) and `state.json` (epoch, history,
optimizer hyper-parameters, scheduler and scaler state, and the fingerprint of the run it belongs
to). It is replaced atomically at every epoch end.

    save_checkpoint(folder, model=model, ema=ema, optimizer=optimizer, state={...})
    state = load_checkpoint(folder, model=model, ema=ema, optimizer=optimizer)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

STATE_FILE = "state.json"
# Config keys that change where or how fast a run goes, not what it computes.
NON_SEMANTIC_KEYS = ("out", "overwrite", "workers", "resume", "name", "version", "description")


def run_fingerprint(config: dict[str, Any], data_fingerprint: str) -> str:
    """What a resume checkpoint must match: the semantic part of the config, and the data."""
    semantic = {k: v for k, v in config.items() if k not in NON_SEMANTIC_KEYS}
    text = json.dumps({"config": semantic, "data": data_fingerprint}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in state.items()}


def _flatten_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Tensors of the optimizer state as `state/<param index>/<name>`, the rest as JSON."""
    full = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in full["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state/{index}/{name}"] = value
            else:
                scalars[f"{index}/{name}"] = value
    groups = [
        {k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
        for g in full["param_groups"]
    ]
    return tensors, {"param_groups": groups, "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, index, name = key.split("/", 2)
        state.setdefault(int(index), {})[name] = value
    for key, value in meta["scalars"].items():
        index, name = key.split("/", 1)
        state.setdefault(int(index), {})[name] = value
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in meta["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    folder: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
    ema: torch.nn.Module | None = None,
    tensors: dict[str, dict[str, torch.Tensor]] | None = None,
) -> None:
    """Write the checkpoint beside `folder`, then swap it in (a crash leaves the previous one).

    `tensors` holds more named sets of tensors (e.g. the best weights so far), each saved as
    `<name>.safetensors` and read back with `load_tensors`.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        save_file(_contiguous(model.state_dict()), str(staging / "model.safetensors"))
        if ema is not None:
            save_file(_contiguous(ema.state_dict()), str(staging / "ema.safetensors"))
        flat, optimizer_meta = _flatten_optimizer(optimizer)
        save_file(_contiguous(flat), str(staging / "optimizer.safetensors"))
        for name, named in (tensors or {}).items():
            save_file(_contiguous(named), str(staging / f"{name}.safetensors"))
        document = {**state, "optimizer": optimizer_meta}
        (staging / STATE_FILE).write_text(json.dumps(document, indent=1))
        old = folder.with_name(folder.name + ".old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_checkpoint_state(folder: str | Path) -> dict[str, Any] | None:
    """The JSON state of a checkpoint, or None if there is no complete checkpoint."""
    path = Path(folder) / STATE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def load_tensors(folder: str | Path, name: str) -> dict[str, torch.Tensor] | None:
    """A named set of tensors saved with the checkpoint, or None."""
    path = Path(folder) / f"{name}.safetensors"
    return load_file(str(path)) if path.is_file() else None


def load_checkpoint(
    folder: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    ema: torch.nn.Module | None = None,
) -> dict[str, Any]:
    """Restore model, EMA and optimizer in place; returns the JSON state."""
    folder = Path(folder)
    state = read_checkpoint_state(folder)
    if state is None:
        raise FileNotFoundError(f"no checkpoint in {folder}")
    model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
    if ema is not None:
        ema.load_state_dict(load_file(str(folder / "ema.safetensors")), strict=True)
    optimizer_state = _unflatten_optimizer(
        load_file(str(folder / "optimizer.safetensors")), state.pop("optimizer")
    )
    optimizer.load_state_dict(optimizer_state)
    return state

"""Device and numeric precision: which hardware runs the network, and in which float format.

device = select_device("auto")
dtype = resolve_precision("auto", device)          # torch.bfloat16 / float16 / None (fp32)
with autocast(device, dtype): loss = model(x)       # a no-op context for fp32
"""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def select_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple MPS, then CPU; an explicit device must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda was requested but no CUDA GPU is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("device=mps was requested but Apple MPS is not available")
    return torch.device(name)


@cache
def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX); Linux only."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device`; None means plain fp32.

    `auto`: bf16 on GPUs that support it (else fp16), bf16 on CPUs with native bf16 (measured
    1.5-2.5x faster training of tf_efficientnet_lite0 here, see docs/benchmarks.md), else fp32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32" or device.type == "mps":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_bf16() else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Mixed precision for the forward pass; does nothing for fp32 (dtype None)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)

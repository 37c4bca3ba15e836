"""Device and numeric precision: which hardware runs the network, and in which float format.

device = select_device("auto")
dtype = resolve_precision("auto", device)          # torch.bfloat16 / float16 / None (fp32)
with autocast(device, dtype): loss = model(x)       # a no-op context for fp32
name = device_name("auto")                          # "cpu" without importing torch on a CPU box

torch is imported by the functions that need it: an ONNX Runtime run on a CPU never loads it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import platform
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# Vendor ids of the GPUs torch can run on (NVIDIA CUDA, AMD ROCm), as Linux lists PCI devices.
_GPU_VENDORS = ("0x10de", "0x1002")
# What a loaded GPU driver leaves behind: NVIDIA, AMD ROCm, WSL's GPU bridge.
_GPU_DRIVER_PATHS = (
    "/dev/nvidiactl",
    "/dev/nvidia0",
    "/proc/driver/nvidia",
    "/dev/kfd",
    "/dev/dxg",
)


def device_name(name: str = "auto") -> str:
    """The device `select_device(name)` picks, as its name ("cpu", "cuda", "cuda:1", "mps").

    Without importing torch (seconds) where the answer is sure: `cpu` asked, or `auto` on a
    machine with no GPU torch could use (`gpu_may_be_present`). Otherwise torch decides.
    """
    if name == "cpu" or (name == "auto" and not gpu_may_be_present()):
        return "cpu"
    return str(select_device(name))


def gpu_may_be_present() -> bool:
    """False only where no GPU can be used by torch: torch not installed, or on Linux no GPU
    driver loaded and no NVIDIA or AMD display controller on the PCI bus (a driver CUDA would
    load on first use). True where it cannot be told cheaply (Windows, Apple silicon)."""
    if importlib.util.find_spec("torch") is None:
        return False
    if sys.platform == "darwin":
        return platform.machine() == "arm64"  # MPS
    if not sys.platform.startswith("linux"):
        return True
    if any(Path(path).exists() for path in _GPU_DRIVER_PATHS):
        return True
    for device in Path("/sys/bus/pci/devices").glob("*"):
        try:
            vendor = (device / "vendor").read_text().strip()
            kind = (device / "class").read_text().strip()
        except OSError:
            continue
        if vendor in _GPU_VENDORS and kind.startswith("0x03"):  # display / 3D controller
            return True
    return False


def select_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple MPS, then CPU; an explicit device must be available."""
    import torch

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

    `auto`: bf16 on GPUs that support it (else fp16), bf16 on CPUs with native bf16 (faster
    training there than fp32), else fp32.
    """
    import torch

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
    import torch

    return torch.autocast(device.type, dtype=dtype)

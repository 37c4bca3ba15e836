"""Backends that run a bundle's network: PyTorch (GPU, or CPU fallback) and ONNX Runtime (CPU).

Every backend takes a (N, 3, H, W) float32 array and returns `ModelOutputs` (logits and pooled
features), so the predictor's decision code never knows which one ran.

    backend = select_backend(bundle, "cpu")   # ONNX Runtime if the bundle has it
    outputs = backend(batch)

torch and timm are imported only when the PyTorch backend is built: an ONNX Runtime process
(infer.py and the app on a CPU) never loads them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from wildlens.model.bundle.format import Bundle, BundleError

if TYPE_CHECKING:
    import torch

ONNX_FILE = "model.onnx"
ONNX_INPUT = "input"
ONNX_OUTPUTS = ("logits", "features")

BackendName = Literal["auto", "onnx", "torch"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]


@dataclass(frozen=True)
class ModelOutputs:
    logits: np.ndarray  # (N, C) float32
    features: np.ndarray  # (N, D) float32, pooled features before the classifier


def logits_and_features(
    model: torch.nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The one forward pass: logits (N, C) and the pooled features before the classifier (N, D),
    what every backend returns and the unknown-item scores read."""
    features = model.forward_head(model.forward_features(x), pre_logits=True)
    return model.get_classifier()(features), features


class TorchBackend:
    """Runs the bundle's network with PyTorch: channels-last and autocast on CUDA."""

    def __init__(
        self,
        model: torch.nn.Module,
        device: torch.device,
        precision: Precision = "auto",
        threads: int = 0,
    ):
        import torch

        self.device = device
        self.dtype = autocast_dtype(device, precision)
        # Channels-last lets cuDNN pick its tensor-core kernels; on CPU it only adds copies.
        self.memory_format = (
            torch.channels_last if device.type == "cuda" else torch.contiguous_format
        )
        self.model = model.eval().to(device, memory_format=self.memory_format)
        if threads > 0 and device.type == "cpu":
            torch.set_num_threads(threads)
        precision_name = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}
        self.name = f"torch/{device.type}/{precision_name[self.dtype]}"
        self.file = "model.safetensors"

    def __call__(self, batch: np.ndarray) -> ModelOutputs:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(batch).to(self.device, non_blocking=True)
            x = x.contiguous(memory_format=self.memory_format)
            with torch.autocast(
                self.device.type,
                dtype=self.dtype or torch.float32,
                enabled=self.dtype is not None,
            ):
                logits, features = logits_and_features(self.model, x)
        return ModelOutputs(logits.float().cpu().numpy(), features.float().cpu().numpy())


def autocast_dtype(device: torch.device, precision: Precision) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device`; None means plain fp32.

    `auto` is bf16 on a CUDA GPU that has it (same range as fp32, no overflow), fp16 on older
    GPUs, and fp32 elsewhere: reduced precision on a CPU is slower, not faster, for this model.
    """
    import torch

    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]


class OnnxBackend:
    """Runs the bundle's ONNX export with ONNX Runtime on the CPU."""

    def __init__(self, model_bytes: bytes, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: ONNX Runtime's default, one per core
        options.inter_op_num_threads = 1
        # Idle ONNX Runtime threads spin by default, burning the cores the decode workers need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Memory patterns pre-plan one block for a whole batch's activations: more peak memory,
        # no faster here, same outputs (see docs/benchmarks.md, "Batch classification").
        options.enable_mem_pattern = False
        self.session = ort.InferenceSession(
            model_bytes, options, providers=["CPUExecutionProvider"]
        )
        self.name = "onnx/cpu/fp32"
        self.file = ONNX_FILE

    def __call__(self, batch: np.ndarray) -> ModelOutputs:
        logits, features = self.session.run(list(ONNX_OUTPUTS), {ONNX_INPUT: batch})
        return ModelOutputs(logits, features)


def select_backend(
    bundle: Bundle,
    device: str | torch.device,
    backend: BackendName = "auto",
    precision: Precision = "auto",
    threads: int = 0,
) -> TorchBackend | OnnxBackend:
    """The backend for `bundle` on `device`.

    Args:
        bundle: a loaded (hash-checked) bundle.
        device: where to run (`"cpu"`, `"cuda"`, ... or a torch.device); ONNX Runtime runs only
            on the CPU here.
        backend: `auto` is ONNX on the CPU when the bundle has `model.onnx`, else PyTorch.
        precision: PyTorch autocast precision (see `autocast_dtype`).
        threads: CPU threads for the model; 0 lets the library choose.
    Raises:
        BundleError: `onnx` asked for a bundle without `model.onnx`.
        ValueError: `onnx` asked on a GPU.
    """
    has_onnx = ONNX_FILE in bundle.meta.files
    on_cpu = str(device).split(":")[0] == "cpu"
    if backend == "auto":
        backend = "onnx" if on_cpu and has_onnx else "torch"
    if backend == "onnx":
        if not on_cpu:
            raise ValueError("backend=onnx runs on the CPU; use device=cpu or backend=torch")
        if not has_onnx:
            raise BundleError(
                f"{bundle.path} has no {ONNX_FILE}; add one with `wildlens export "
                f"bundle={bundle.path}` or use backend=torch"
            )
        return OnnxBackend(read_verified(bundle, ONNX_FILE), threads)
    # Imported here: torch and timm take seconds to import, and ONNX runs need neither.
    import torch

    from wildlens.model.network.backbones import network_from_bundle

    return TorchBackend(network_from_bundle(bundle), torch.device(device), precision, threads)


def read_verified(bundle: Bundle, name: str) -> bytes:
    """A bundle file's bytes, checked against bundle.json again as they are used."""
    data = (bundle.path / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != bundle.meta.files[name]:
        raise BundleError(f"{bundle.path}: {name} does not match its sha256 in bundle.json")
    return data

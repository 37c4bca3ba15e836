"""ONNX export of a bundle's network, added to the bundle: one file, logits and pooled features.

    bundle = export_to_bundle(bundle)          # end of training: from the saved weights
    bundle = export_to_bundle("runs/train")    # an older bundle (`wildlens export bundle=...`)

Exporting from the bundle's own weights file (not a network held in memory, which may be an EMA
copy or carry training-only state) makes model.onnx provably the same network as
model.safetensors, whose hash every record carries.

Exporter: the TorchScript ("legacy", `dynamo=False`) exporter at opset 17. On this model it
matches PyTorch as closely as the dynamo exporter (both about 1e-5) but takes a fraction of its
time (it runs at the end of every training and of every test that trains), writes a
single file without an `external_data` step, and needs no onnxscript. Its DeprecationWarning is
silenced here only; `check_parity` guards whichever exporter this module uses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import warnings
from pathlib import Path

import numpy as np
import torch

from wildlens.common.files import cache_dir, write_atomically
from wildlens.model.bundle.format import META_FILE, Bundle, BundleError, load_bundle, sha256_file
from wildlens.model.network.backbones import network_from_bundle
from wildlens.model.network.backends import (
    ONNX_FILE,
    ONNX_INPUT,
    ONNX_OUTPUTS,
    OnnxBackend,
    logits_and_features,
    read_verified,
)

OPSET = 17
# Largest difference from PyTorch accepted at export (logits and features, float32), relative to
# the output's largest magnitude when that is above 1: float32 rounding grows with the values (a
# fast-mode head folds its feature standardisation into weights of several hundred), while a
# broken export differs by the outputs' own order of magnitude.
PARITY_TOLERANCE = 1e-4


class LogitsAndFeatures(torch.nn.Module):
    """A timm classifier returning (logits, pooled features): what every backend must give."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return logits_and_features(self.model, x)


def export_onnx(model: torch.nn.Module, input_size: int) -> bytes:
    """The ONNX file of `model` (CPU, eval mode) with a dynamic batch dimension.

    Fast mode retrains only the classifier on a frozen backbone, so every workshop model of one
    backbone is the same graph with other classifier weights: the export of a network whose
    every other parameter and buffer is the same is kept in the cache (`template_key`), and a
    later export only writes the new classifier weights into it (milliseconds instead of
    seconds). The caller's parity check guards both paths alike.
    """
    model = model.eval().cpu()
    key = template_key(model, input_size)
    path = cache_dir() / "onnx-templates" / f"{key}.onnx"
    if path.is_file():
        reused = _with_classifier(path.read_bytes(), model)
        if reused is not None:
            return reused
    onnx_bytes = _export(model, input_size)
    with contextlib.suppress(OSError):  # a read-only cache only costs time
        write_atomically(path, onnx_bytes)
    return onnx_bytes


def _export(model: torch.nn.Module, input_size: int) -> bytes:
    # The exporter puts the module it is given back into that module's own mode afterwards; a
    # fresh wrapper is in training mode, which would leave the caller's network in training mode.
    wrapper = LogitsAndFeatures(model).eval()
    example = torch.zeros(2, 3, input_size, input_size)
    buffer = io.BytesIO()
    batch = {0: "batch"}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        torch.onnx.export(
            wrapper,
            (example,),
            buffer,
            input_names=[ONNX_INPUT],
            output_names=list(ONNX_OUTPUTS),
            dynamic_axes={name: batch for name in (ONNX_INPUT, *ONNX_OUTPUTS)},
            opset_version=OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def _classifier_names(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The classifier's parameters by their name in the exported graph (the wrapper's `model.`)."""
    classifier = model.get_classifier()
    mine = {id(p) for p in classifier.parameters()}
    return {f"model.{n}": p for n, p in model.named_parameters() if id(p) in mine}


def template_key(model: torch.nn.Module, input_size: int) -> str:
    """sha256 of everything the exported graph depends on except the classifier's values: the
    architecture, every other parameter and buffer (names, shapes, bytes), the classifier's
    shapes, the input size, the opset and the torch version."""
    classifier = {name.removeprefix("model.") for name in _classifier_names(model)}
    digest = hashlib.sha256(
        f"{type(model).__name__}|{input_size}|{OPSET}|{torch.__version__}".encode()
    )
    for name, tensor in model.state_dict().items():
        digest.update(f"|{name}|{tuple(tensor.shape)}|{tensor.dtype}".encode())
        if name not in classifier:
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _with_classifier(template: bytes, model: torch.nn.Module) -> bytes | None:
    """`template` with the model's classifier weights written in; None if they are not there."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_from_string(template)
    wanted = _classifier_names(model)
    found = {init.name: init for init in graph.graph.initializer if init.name in wanted}
    if found.keys() != wanted.keys():
        return None
    for name, initializer in found.items():
        value = wanted[name].detach().cpu().numpy()
        if tuple(initializer.dims) != value.shape:
            return None
        initializer.CopyFrom(numpy_helper.from_array(value, name))
    return graph.SerializeToString()


def parity_error(
    model: torch.nn.Module, onnx_bytes: bytes, input_size: int, n: int = 3
) -> tuple[float, float]:
    """(largest |ONNX - PyTorch|, that relative to the output's largest |value| when above 1),
    over logits and features on a seeded random batch.

    The batch size differs from the export's example, so this also checks the dynamic batch.
    """
    x = np.random.default_rng(0).standard_normal((n, 3, input_size, input_size), np.float32)
    with torch.inference_mode():
        expected = LogitsAndFeatures(model.eval().cpu()).eval()(torch.from_numpy(x))
    got = OnnxBackend(onnx_bytes, threads=1)(x)
    absolute, relative = 0.0, 0.0
    for ours, theirs in ((got.logits, expected[0].numpy()), (got.features, expected[1].numpy())):
        error = float(np.abs(ours - theirs).max())
        absolute = max(absolute, error)
        relative = max(relative, error / max(1.0, float(np.abs(theirs).max())))
    return absolute, relative


def export_to_bundle(bundle: Bundle | str | Path, model: torch.nn.Module | None = None) -> Bundle:
    """Add `model.onnx` to a bundle and list its sha256 in bundle.json.

    Args:
        bundle: a bundle, or its folder (loaded and hash-checked).
        model: the bundle's network; built from the bundle's weights when not given.
    Returns:
        The bundle with the ONNX file; unchanged if it already had one.
    Raises:
        BundleError: the export differs from PyTorch by more than PARITY_TOLERANCE (relative to
            the outputs' magnitude above 1).
    """
    if not isinstance(bundle, Bundle):
        bundle = load_bundle(bundle)
    if ONNX_FILE in bundle.meta.files:
        read_verified(bundle, ONNX_FILE)
        return bundle
    if model is None:
        model = network_from_bundle(bundle)
    size = bundle.preprocessing.input_size
    onnx_bytes = export_onnx(model, size)
    error, relative = parity_error(model, onnx_bytes, size)
    if not relative <= PARITY_TOLERANCE:
        raise BundleError(
            f"ONNX export differs from PyTorch by {error:.2e} ({relative:.2e} of the outputs' "
            f"scale, > {PARITY_TOLERANCE})"
        )
    # The ONNX file first, then bundle.json: a crash between the two leaves an unlisted file
    # that loading ignores and the next export replaces.
    write_atomically(bundle.path / ONNX_FILE, onnx_bytes)
    meta = dataclasses.replace(
        bundle.meta,
        files={**bundle.meta.files, ONNX_FILE: sha256_file(bundle.path / ONNX_FILE)},
        onnx={
            "file": ONNX_FILE,
            "opset": OPSET,
            "exporter": f"torch.onnx TorchScript exporter, torch {torch.__version__}",
            "input": ONNX_INPUT,
            "outputs": list(ONNX_OUTPUTS),
            "parity_max_abs_error": error,
            "parity_relative_error": relative,
        },
    )
    write_atomically(bundle.path / META_FILE, meta.to_json().encode("utf-8"))
    return Bundle(bundle.path, meta)

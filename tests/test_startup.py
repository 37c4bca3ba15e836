"""An ONNX Runtime run never loads torch, timm or albumentations: not infer.py's main process
after its set-up and its run, not its decode workers, not the app's answer path (heat maps
apart). Each is checked in a fresh interpreter, where `sys.modules` says what was imported."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wildlens.model.network import device

TRAINING_ONLY = ("torch", "timm", "albumentations")

# Run as a script, so its decode workers (spawned) re-import it as infer.py's workers re-import
# infer.py: only `wildlens.cli` at the top, the rest under the main guard.
PROBE = textwrap.dedent(
    """
    import json
    import sys

    from wildlens.cli import infer_main

    TRAINING_ONLY = {modules!r}


    def loaded():
        return sorted(m for m in TRAINING_ONLY if m in sys.modules)


    def decode_in_worker(sample, preparer):
        from wildlens.pipeline.decode import prepare_input

        prepared = prepare_input(sample, preparer)
        return prepared.pixels is not None, loaded()


    if __name__ == "__main__":
        from functools import partial
        from pathlib import Path

        bundle, photos, out = sys.argv[1:4]
        report = {{}}

        from wildlens.common.config_loader import load_config
        from wildlens.model.bundle.format import load_bundle
        from wildlens.pipeline.batch import model_for
        from wildlens.pipeline.config import InferConfig
        from wildlens.pipeline.stages import Sizing

        cfg = load_config(InferConfig, [f"bundle={{bundle}}", f"input={{photos}}"])
        predictor, _ = model_for(load_bundle(bundle), cfg, Sizing(2, 32, 1))
        report["set-up"] = [predictor.backend.name, loaded()]

        # A whole run with two decode workers.
        code = infer_main([f"bundle={{bundle}}", f"input={{photos}}", f"out={{out}}",
                           "workers=2", "batch_size=4", "progress=false"])
        report["run"] = [code, loaded()]

        from wildlens.common.parallel import parallel_map
        from wildlens.data.sources import Sample

        first = sorted(Path(photos).glob("*.jpg"))[0]
        task = partial(decode_in_worker, preparer=predictor.preparer)
        # The first chunk runs in this process while the worker starts; the second in the worker.
        samples = [Sample(key=key, source=first) for key in "ab"]
        _, report["worker"] = parallel_map(task, samples, workers=1, chunksize=1)

        # The app's answer: decode, predict the item, provenance (no heat map).
        from wildlens.model.serving.provenance import Provenance

        item = predictor.predict_item([predictor.load(first).image])
        Provenance.of(predictor).fields()
        report["answer"] = [item.combined.decision, loaded()]

        # The app itself: its modules, its state around that predictor (no heat map asked).
        import tempfile

        import wildlens.ui.app  # noqa: F401
        from wildlens.ui.config import AppConfig
        from wildlens.ui.state import AppState

        state = AppState(AppConfig(data_dir=tempfile.mkdtemp()), predictor, bundle)
        state.model.provenance()
        report["app"] = loaded()
        print(json.dumps(report))
    """
)


@pytest.mark.slow
def test_onnx_runs_and_their_decode_workers_never_import_torch(tiny_bundle, tiny_dataset, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in sorted((tiny_dataset / "val").rglob("*.jpg"))[:10]:
        (photos / f"{path.parent.name}-{path.name}").write_bytes(path.read_bytes())
    script = tmp_path / "probe.py"
    script.write_text(PROBE.format(modules=TRAINING_ONLY))
    result = subprocess.run(
        [sys.executable, str(script), str(tiny_bundle), str(photos), str(tmp_path / "out.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["set-up"] == ["onnx/cpu/fp32", []]
    assert report["run"] == [0, []]
    assert report["worker"] == [True, []]  # decoded, and still no torch in the worker
    assert report["answer"][1] == []
    assert report["app"] == []
    records = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(records) == 10 and all('"status":"ok"' in r for r in records)


def test_a_machine_without_a_gpu_is_known_without_torch(monkeypatch):
    assert device.device_name("cpu") == "cpu"
    monkeypatch.setattr(device, "gpu_may_be_present", lambda: False)
    assert device.device_name("auto") == "cpu"
    # Where a GPU may be present, torch decides (here: none, so the CPU).
    monkeypatch.setattr(device, "gpu_may_be_present", lambda: True)
    assert device.device_name("auto") == str(device.select_device("auto"))


def test_no_gpu_without_torch(monkeypatch):
    monkeypatch.setattr(device.importlib.util, "find_spec", lambda name: None)
    assert not device.gpu_may_be_present()


def test_the_decode_stage_imports_no_model_library():
    """What a decode worker imports to run `prepare_input`: no ONNX Runtime, scipy, sklearn
    either (a worker is ready in a fraction of a second)."""
    code = (
        "import sys, wildlens.cli, wildlens.pipeline.decode; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'timm', 'albumentations', 'onnxruntime', 'scipy', 'sklearn', 'gradio'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert result.stdout.strip() == "[]"

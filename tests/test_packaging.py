"""The package as a user installs it: a wheel that holds only `wildlens` (with its YAML files),
works from any folder, and sets its offline defaults before timm or huggingface_hub load."""

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from wildlens.data.synthetic import write_dataset

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_VARIABLES = (
    "HF_HUB_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "NO_ALBUMENTATIONS_UPDATE",
    "GRADIO_ANALYTICS_ENABLED",
)


def build_wheel(out: Path) -> Path:
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    [wheel] = out.glob("wildlens-*.whl")
    return wheel


def fresh_environment(folder: Path) -> Path:
    """A new virtual environment whose dependencies come from this one (not WildLens itself):
    a .pth file points at a folder of links to every installed distribution but wildlens."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = folder / "deps"
    deps.mkdir()
    for packages in site.getsitepackages():
        for entry in Path(packages).iterdir():
            name = entry.name.lower()
            if name.startswith(("wildlens", "__editable__", "_wildlens")) or name.endswith(".pth"):
                continue
            if not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    (Path(target) / "development-dependencies.pth").write_text(f"{deps}\n")
    return python


@pytest.mark.slow
def test_the_wheel_installs_one_package_that_works_from_another_folder(tmp_path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [top_level] = [n for n in names if n.endswith("top_level.txt")]
        assert archive.read(top_level).decode().split() == ["wildlens"]
    assert {n.split("/")[0] for n in names if not n.startswith("wildlens-")} == {"wildlens"}
    for yaml in ("default.yaml", "catalogue.yaml", "demo.yaml"):
        assert f"wildlens/configs/{yaml}" in names

    python = fresh_environment(tmp_path / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    # A module named like the old top-level packages no longer shadows anything.
    (work / "model.py").write_text("raise SystemExit('the wrong model module was imported')\n")
    (work / "data.py").write_text("raise SystemExit('the wrong data module was imported')\n")
    env = {**os.environ, "WILDLENS_CACHE": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    bin_dir = python.parent

    def run(*command: str) -> str:
        done = subprocess.run(
            command, cwd=work, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    where = run(str(python), "-c", "import wildlens.data, wildlens.model; print(wildlens.__file__)")
    assert Path(where.strip()).is_relative_to(tmp_path / "venv")
    assert "usage: wildlens" in run(str(bin_dir / "wildlens"), "--help")
    assert "usage: wildlens" in run(str(python), "-m", "wildlens", "--help")
    assert "usage: wildlens" in run(str(python), "-m", "wildlens.cli", "--help")
    train_help = run(str(bin_dir / "wildlens"), "train", "--help")
    assert "cross_fit_folds:" in train_help and "unknown_keep:" in train_help  # default.yaml

    data = write_dataset(
        work / "photos", {"train": 6, "val": 4}, size=64, seed=3, classes=["bone", "rosewood"]
    )
    run(
        str(bin_dir / "wildlens"),
        "train",
        f"data={data}",
        "out=bundle",
        "mode=fast",
        "image_size=64",
        "workers=0",
    )
    assert (work / "bundle" / "model.onnx").is_file()
    run(
        str(bin_dir / "wildlens-infer"),
        "bundle=bundle",
        f"input={data / 'val'}",
        "out=predictions.csv",
        "progress=false",
    )
    rows = (work / "predictions.csv").read_text().splitlines()
    assert len(rows) == 1 + 8 and rows[0].startswith("path,sha256,status")


def check_offline_defaults(
    script: str, run_name: str = "import_only"
) -> subprocess.CompletedProcess:
    """Run `script`'s top level with none of the offline variables set, and fail as soon as a
    library that reads one is imported before WildLens has set it."""
    watcher = (
        "import os, runpy, sys\n"
        "READS = {'huggingface_hub': 'HF_HUB_OFFLINE', 'timm': 'HF_HUB_OFFLINE',\n"
        "         'albumentations': 'NO_ALBUMENTATIONS_UPDATE',\n"
        "         'gradio': 'GRADIO_ANALYTICS_ENABLED'}\n"
        "def hook(event, args):\n"
        "    if event == 'import' and READS.get(args[0]) and READS[args[0]] not in os.environ:\n"
        "        print(f'{args[0]} imported before {READS[args[0]]} was set', file=sys.stderr)\n"
        "        os._exit(3)\n"
        "sys.addaudithook(hook)\n"
        f"sys.argv = [{script!r}, '--help']\n"
        f"runpy.run_path({script!r}, run_name={run_name!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", watcher], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "script", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bench").glob("*.py"))
)
def test_benches_set_offline_defaults_before_timm_loads(script):
    done = check_offline_defaults(script)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("entry", ["train.py", "infer.py", "app.py"])
def test_entry_points_set_offline_defaults_before_any_library(entry):
    done = check_offline_defaults(entry, run_name="__main__")  # `--help`: the keys, then exit
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_importing_any_module_sets_offline_defaults_first():
    code = (
        "import wildlens.model.network.backbones, huggingface_hub.constants as c, os;"
        "print(c.HF_HUB_OFFLINE, os.environ['NO_ALBUMENTATIONS_UPDATE'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_VARIABLES}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "1"]

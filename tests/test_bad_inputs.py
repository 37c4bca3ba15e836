"""Every entry point against bad inputs: one line `error: ...` naming the thing and what to do,
exit status 2, never a traceback, and nothing the user wrote is changed."""

import io
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from wildlens.cli import main

ROOT = Path(__file__).resolve().parent.parent


class RunsCode:
    """A pickle that would touch a marker file if it were ever unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@dataclass
class World:
    tmp: Path
    bundle: Path
    dataset: Path
    photos: Path

    def file(self, name: str, content: bytes | str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        return path


def pickled_code(w: World) -> list[str]:
    path = w.file("evil.pth", pickle.dumps({"conv.weight": RunsCode(w.tmp / "ran")}))
    return ["train", f"data={w.dataset}", f"out={w.tmp / 'b'}", f"weights={path}"]


def torch_list(w: World) -> list[str]:
    buffer = io.BytesIO()
    torch.save([torch.zeros(2), torch.ones(2)], buffer)
    path = w.file("list.pth", buffer.getvalue())
    return ["train", f"data={w.dataset}", f"out={w.tmp / 'b'}", f"weights={path}"]


def garbage_safetensors(w: World) -> list[str]:
    path = w.file("garbage.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all")
    return ["train", f"data={w.dataset}", f"out={w.tmp / 'b'}", f"weights={path}"]


def infer(w: World, *args: str, out: str = "") -> list[str]:
    out = out or str(w.tmp / "run.csv")
    return ["infer", f"bundle={w.bundle}", f"input={w.photos}", f"out={out}", "workers=0", *args]


def log_with(content: bytes):
    def case(w: World) -> list[str]:
        w.file("run.jsonl", content)
        return infer(w)

    return case


def list_not_utf8(w: World) -> list[str]:
    photo = next(w.photos.iterdir())
    path = w.file("list.csv", f"path\n{photo}\n".encode() + "caf\xe9.jpg\n".encode("latin-1"))
    return [*infer(w)[:2], f"input={path}", f"out={w.tmp / 'run.csv'}", "workers=0"]


def out_is_the_input_list(w: World) -> list[str]:
    photo = next(w.photos.iterdir())
    path = w.file("list.csv", f"path\n{photo}\n")
    return ["infer", f"bundle={w.bundle}", f"input={path}", f"out={path}"]


def empty_folder(w: World) -> list[str]:
    (w.tmp / "empty").mkdir()
    return ["infer", f"bundle={w.bundle}", f"input={w.tmp / 'empty'}", f"out={w.tmp / 'r.csv'}"]


def store_missing(w: World) -> list[str]:
    return ["verify-store", f"data_dir={w.tmp / 'nowhere'}"]


def not_a_key(w: World) -> list[str]:
    return ["sign", f"bundle={w.bundle}", f"key={w.file('key.pem', 'not a key')}"]


def an_untrusted_key_file(w: World) -> list[str]:
    return infer(w, f"trusted_keys={w.file('trusted.pub', 'garbage')}")


def regular_file(w: World) -> Path:
    return w.file("notes.txt", "the user's notes")


# (name, argv builder, words the message must hold)
CASES = [
    ("unknown key", lambda w: ["infer", "colour=red"], "colour"),
    ("wrong type", lambda w: infer(w, "top_k=three"), "top_k"),
    ("top_k out of range", lambda w: infer(w, "top_k=0"), "top_k"),
    ("batch_size out of range", lambda w: infer(w, "batch_size=-1"), "batch_size"),
    ("train data missing", lambda w: ["train", f"data={w.tmp / 'none'}"], "none"),
    (
        "train share out of range",
        lambda w: ["train", f"data={w.dataset}", f"out={w.tmp / 'b'}", "lookalike_rate=0"],
        "lookalike_rate",
    ),
    (
        "train delta out of range",
        lambda w: ["train", f"data={w.dataset}", f"out={w.tmp / 'b'}", "routing_delta=1"],
        "routing_delta",
    ),
    ("train weights run code", pickled_code, "evil.pth"),
    ("train weights a list", torch_list, "list.pth"),
    ("train weights garbage", garbage_safetensors, "garbage.safetensors"),
    (
        "train weights missing",
        lambda w: ["train", f"data={w.dataset}", "weights=/no/w.pth"],
        "w.pth",
    ),
    (
        "train out under a file",
        lambda w: ["train", f"data={w.dataset}", f"out={regular_file(w)}/bundle", "epochs=1"],
        "notes.txt",
    ),
    ("infer input missing", lambda w: [*infer(w)[:2], f"input={w.tmp / 'gone'}"], "gone"),
    ("infer input empty", empty_folder, "empty"),
    ("infer input wrong type", lambda w: [*infer(w)[:2], f"input={regular_file(w)}"], "notes.txt"),
    ("infer list not UTF-8", list_not_utf8, "UTF-8"),
    ("infer out is the log", lambda w: infer(w, out=str(w.tmp / "run.jsonl")), "run.jsonl"),
    ("infer out is the input", out_is_the_input_list, "over the input"),
    ("infer out under a file", lambda w: infer(w, out=f"{regular_file(w)}/r.csv"), "notes.txt"),
    ("infer out unwritable", lambda w: infer(w, out="/proc/wildlens/r.csv"), "/proc/wildlens"),
    (
        "infer log with NUL bytes",
        log_with(b'{"key": "a"}\n\x00\x00\x00\n{"key": "b"}\n'),
        "run.jsonl:2",
    ),
    ("infer log with {}", log_with(b"{}\n"), "run.jsonl:1"),
    ("infer log not UTF-8", log_with(b'{"key": "\xff"}\n'), "run.jsonl:1"),
    (
        "infer bundle missing",
        lambda w: infer(w)[:1] + infer(w)[2:] + ["bundle=/no/bundle"],
        "/no/bundle",
    ),
    (
        "infer bundle without bundle.json",
        lambda w: [*infer(w), f"bundle={w.photos}"],
        "bundle.json",
    ),
    ("infer trusted key garbage", an_untrusted_key_file, "trusted.pub"),
    ("evaluate data missing", lambda w: ["evaluate", f"bundle={w.bundle}", "data=/no/d"], "/no/d"),
    (
        "evaluate split missing",
        lambda w: ["evaluate", f"bundle={w.bundle}", f"data={w.dataset}", "split=x"],
        "split",
    ),
    ("audit data missing", lambda w: ["audit", "data=/no/d", f"out={w.tmp / 'a'}"], "/no/d"),
    ("export bundle missing", lambda w: ["export", "bundle=/no/bundle"], "/no/bundle"),
    ("app bundle missing", lambda w: ["app", "bundle=/no/bundle"], "/no/bundle"),
    ("sign key missing", lambda w: ["sign", f"bundle={w.bundle}", "key=/no/k.key"], "/no/k.key"),
    ("sign key garbage", not_a_key, "key.pem"),
    ("sign without key", lambda w: ["sign", f"bundle={w.bundle}"], "key="),
    ("verify-store without store", store_missing, "nowhere"),
]


@pytest.fixture
def world(tiny_bundle, tiny_dataset, tmp_path) -> World:
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in sorted((tiny_dataset / "val").rglob("*.jpg"))[:3]:
        shutil.copy(path, photos / path.name)
    return World(tmp_path, tiny_bundle, tiny_dataset, photos)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("name", "build", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(name, build, words, world, capsys):
    argv = build(world)
    before = snapshot(world.tmp)
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and "\n" not in err, err
    assert words in err, err
    assert snapshot(world.tmp).items() <= {**before, **snapshot(world.tmp)}.items()
    for path, content in before.items():  # nothing the user wrote is changed
        assert Path(path).read_bytes() == content, path
    assert not (world.tmp / "ran").exists()  # no code from a pickle ran


def test_the_scripts_print_no_traceback(world):
    """The thin entry points, as a user runs them: one line on stderr, exit 2."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    for args in (pickled_code(world)[1:], ["data=/no/d"]):
        result = subprocess.run(
            [sys.executable, str(ROOT / "train.py"), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 2
        assert result.stderr.strip().startswith("error: ") and "Traceback" not in result.stderr


def test_evaluate_counts_a_photo_it_cannot_use(world, tmp_path, capsys):
    data = tmp_path / "eval"
    shutil.copytree(world.dataset / "val", data / "val")
    good = next((data / "val" / "bone").glob("*.jpg")).read_bytes()
    (data / "val" / "bone" / "cut.jpg").write_bytes(good[: len(good) // 3])
    code = main(["evaluate", f"bundle={world.bundle}", f"data={data}", f"out={tmp_path / 'r'}"])
    assert code == 0
    assert "not evaluated: 1 unreadable" in capsys.readouterr().out


def test_the_app_logs_one_line_per_user_error(world, caplog):
    import gradio as gr

    from wildlens.model.serving.predictor import Predictor
    from wildlens.ui import AppState
    from wildlens.ui.config import AppConfig
    from wildlens.ui.identify import identify

    state = AppState(
        AppConfig(data_dir=str(world.tmp / "app")),
        Predictor.from_bundle(world.bundle),
        world.bundle,
    )
    with caplog.at_level("WARNING", logger="wildlens.app"), pytest.raises(gr.Error) as raised:
        identify(state, [str(regular_file(world))], False, "en")
    assert raised.value.print_exception is False  # gradio prints no traceback for it
    [line] = [r.getMessage() for r in caplog.records if r.name == "wildlens.app"]
    assert line.startswith("user error: ") and "notes.txt" in line and "\n" not in line

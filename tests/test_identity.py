"""One bundle identity over bundle.json and every file; signed bundles; trusted keys."""

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from wildlens.cli import main
from wildlens.model.bundle.format import BundleError, load_bundle
from wildlens.model.bundle.signing import SIGNATURE_FILE, public_key_id
from wildlens.model.serving.predictor import Predictor


@pytest.fixture
def bundle(tiny_bundle, tmp_path) -> Path:
    """A copy of the tiny bundle this test may alter."""
    return Path(shutil.copytree(tiny_bundle, tmp_path / "bundle"))


@pytest.fixture
def photos(tiny_dataset, tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in sorted((tiny_dataset / "val").rglob("*.jpg"))[:5]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def edit_meta(bundle: Path, change) -> None:
    path = bundle / "bundle.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta, indent=2))


def infer(bundle: Path, photos: Path, out: Path, *extra: str) -> int:
    args = ["infer", f"bundle={bundle}", f"input={photos}", f"out={out}", "workers=0"]
    return main([*args, "progress=false", *extra])


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]


def keygen(tmp_path: Path, name: str) -> tuple[Path, Path]:
    assert main(["keygen", f"out={tmp_path / 'keys' / name}"]) == 0
    return tmp_path / "keys" / f"{name}.key", tmp_path / "keys" / f"{name}.pub"


def test_identity_covers_every_decision_parameter(bundle):
    before = load_bundle(bundle).sha256

    def set_temperature(meta):
        meta["temperature"] = 5.0

    edit_meta(bundle, set_temperature)
    after = load_bundle(bundle)
    assert after.sha256 != before
    assert after.identity["bundle_sha256"] == after.sha256


def test_identity_is_canonical(bundle):
    before = load_bundle(bundle).sha256
    meta = json.loads((bundle / "bundle.json").read_text())
    (bundle / "bundle.json").write_text(json.dumps(meta, indent=None, sort_keys=False))
    assert load_bundle(bundle).sha256 == before


def test_a_resumed_run_refuses_a_log_of_another_identity(bundle, photos, tmp_path, capsys):
    out = tmp_path / "run.csv"
    assert infer(bundle, photos, out) == 0
    first = records(out)
    assert {r["bundle_sha256"] for r in first} == {load_bundle(bundle).sha256}
    edit_meta(bundle, lambda meta: meta.update(temperature=5.0))
    log = out.with_suffix(".jsonl").read_bytes()
    capsys.readouterr()
    assert infer(bundle, photos, out) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert "another bundle identity" in err
    assert out.with_suffix(".jsonl").read_bytes() == log  # nothing overwritten


def test_keygen_never_overwrites_a_key(tmp_path, capsys):
    private, _ = keygen(tmp_path, "centre")
    assert private.stat().st_mode & 0o777 == 0o600
    content = private.read_bytes()
    assert main(["keygen", f"out={tmp_path / 'keys' / 'centre'}"]) == 2
    assert "exists" in capsys.readouterr().err
    assert private.read_bytes() == content


def test_signed_bundle_runs_under_its_trusted_key(bundle, photos, tmp_path):
    private, public = keygen(tmp_path, "centre")
    assert main(["sign", f"bundle={bundle}", f"key={private}"]) == 0
    key = public_key_id(public)
    loaded = load_bundle(bundle, trusted_keys={key})
    assert loaded.signer == key and loaded.identity["bundle_signer"] == key
    out = tmp_path / "run.csv"
    assert infer(bundle, photos, out, f"trusted_keys={public}") == 0
    assert {r["bundle_signer"] for r in records(out)} == {key}
    with open(out, newline="") as handle:
        assert {row["bundle_signer"] for row in csv.DictReader(handle)} == {key}
    # A folder of public keys is a trust list too.
    assert Predictor.from_bundle(bundle, trusted_keys={key}).bundle.signer == key


def test_signing_does_not_change_the_identity(bundle, tmp_path):
    private, _ = keygen(tmp_path, "centre")
    before = load_bundle(bundle).sha256
    assert main(["sign", f"bundle={bundle}", f"key={private}"]) == 0
    assert load_bundle(bundle).sha256 == before


def test_a_bundle_changed_after_signing_is_refused(bundle, tmp_path):
    private, _ = keygen(tmp_path, "centre")
    assert main(["sign", f"bundle={bundle}", f"key={private}"]) == 0
    edit_meta(bundle, lambda meta: meta["routing"].update(global_threshold=0.0))
    with pytest.raises(BundleError, match="changed after it was signed"):
        load_bundle(bundle)


def test_a_damaged_signature_is_refused(bundle, tmp_path):
    private, _ = keygen(tmp_path, "centre")
    assert main(["sign", f"bundle={bundle}", f"key={private}"]) == 0
    sig = json.loads((bundle / SIGNATURE_FILE).read_text())
    other_private, _ = keygen(tmp_path, "other")
    other = tmp_path / "other-bundle"
    shutil.copytree(bundle, other)
    assert main(["sign", f"bundle={other}", f"key={other_private}"]) == 0
    # Someone else's signature with this bundle's key id claimed: does not verify.
    forged = json.loads((other / SIGNATURE_FILE).read_text())
    forged.update(public_key=sig["public_key"], key_id=sig["key_id"])
    (bundle / SIGNATURE_FILE).write_text(json.dumps(forged))
    with pytest.raises(BundleError, match="does not verify"):
        load_bundle(bundle)
    (bundle / SIGNATURE_FILE).write_text("{not json")
    with pytest.raises(BundleError, match="damaged"):
        load_bundle(bundle)


@pytest.mark.parametrize("case", ["unsigned", "other key"])
def test_trusted_keys_refuse_unsigned_and_untrusted_bundles(case, bundle, photos, tmp_path, capsys):
    _, trusted = keygen(tmp_path, "centre")
    if case == "other key":
        other_private, _ = keygen(tmp_path, "other")
        assert main(["sign", f"bundle={bundle}", f"key={other_private}"]) == 0
    with pytest.raises(BundleError, match="not signed" if case == "unsigned" else "untrusted"):
        load_bundle(bundle, trusted_keys={public_key_id(trusted)})
    capsys.readouterr()
    out = tmp_path / "run.csv"
    assert infer(bundle, photos, out, f"trusted_keys={trusted}") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "trusted_keys" in err
    assert not out.exists()


def test_trusted_keys_refuse_the_unsigned_demo(photos, tmp_path, capsys):
    _, trusted = keygen(tmp_path, "centre")
    capsys.readouterr()
    code = main(
        ["infer", f"input={photos}", f"out={tmp_path / 'r.csv'}", f"trusted_keys={trusted}"]
    )
    assert code == 2 and "bundle=PATH" in capsys.readouterr().err


def test_a_trust_list_folder_holds_public_keys(tmp_path):
    from wildlens.model.bundle.signing import SigningError, trusted_key_ids

    _, first = keygen(tmp_path, "a")
    _, second = keygen(tmp_path, "b")
    assert trusted_key_ids([str(tmp_path / "keys")]) == {
        public_key_id(first),
        public_key_id(second),
    }
    assert trusted_key_ids([]) is None
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SigningError, match=r"no \*\.pub"):
        trusted_key_ids([str(empty)])
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("not a key")
    with pytest.raises(SigningError, match="not a PEM public key"):
        trusted_key_ids([str(garbage)])


def test_app_records_carry_the_identity_and_signer(bundle, tiny_dataset, tmp_path):
    from wildlens.ui import AppState
    from wildlens.ui.config import AppConfig
    from wildlens.ui.identify import identify, save_record

    private, public = keygen(tmp_path, "centre")
    assert main(["sign", f"bundle={bundle}", f"key={private}"]) == 0
    predictor = Predictor.from_bundle(bundle, trusted_keys={public_key_id(public)})
    state = AppState(AppConfig(data_dir=str(tmp_path / "app")), predictor, str(bundle))
    photo = str(next((tiny_dataset / "val").rglob("*.jpg")))
    *_, analysis = identify(state, [photo], False, "en")
    _, saved = save_record(state, [photo], "CASE-1", "Boten", "Officer A", analysis, "en")
    view = state.store.record(saved.record_id)
    assert view.bundle["bundle_sha256"] == predictor.bundle.sha256
    assert view.bundle["bundle_signer"] == public_key_id(public)


def test_unsigned_records_say_so(bundle, photos, tmp_path):
    out = tmp_path / "run.csv"
    assert infer(bundle, photos, out) == 0
    assert {r["bundle_signer"] for r in records(out)} == {None}
    assert os.path.exists(out)

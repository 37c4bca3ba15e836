"""Sources: folders, manifests, and hostile zip/tar archives (read in place, never extracted)."""

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from wildlens.data.images import load_image
from wildlens.data.sources import (
    DatasetError,
    Sample,
    Skipped,
    dataset_splits,
    image_folder,
    iter_archive,
    open_source,
    read_manifest,
)

pytestmark = [
    pytest.mark.filterwarnings("error"),
    pytest.mark.usefixtures("collected_garbage"),
]


def jpeg(color="red", size=(16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_image_folder_labels_and_splits(tmp_path):
    for key in ("train/bone/a.jpg", "train/ivory/b.jpg", "val/bone/c.jpg", "train/.hidden/d.jpg"):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(jpeg())
    (tmp_path / "train" / "bone" / "notes.txt").write_text("not an image")
    samples = image_folder(tmp_path)
    assert [(s.key, s.split, s.label) for s in samples] == [
        ("train/bone/a.jpg", "train", "bone"),
        ("train/ivory/b.jpg", "train", "ivory"),
        ("val/bone/c.jpg", "val", "bone"),
    ]


def test_mixed_split_and_no_split_is_refused(tmp_path):
    for key in ("train/bone/a.jpg", "bone/b.jpg"):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(jpeg())
    with pytest.raises(DatasetError, match="some images have a split"):
        dataset_splits(tmp_path)


def test_manifest(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "1.jpg").write_bytes(jpeg())
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "path,label,group,split\n"
        "photos/1.jpg,elephant_ivory,case-7,train\n"
        "photos/missing.jpg,bone,case-8,validation\n"
    )
    first, missing = read_manifest(manifest)
    assert first == Sample(
        "photos/1.jpg", tmp_path / "photos" / "1.jpg", "elephant_ivory", "case-7", "train"
    )
    assert missing.split == "val"  # canonical name
    assert load_image(first.source).image.size == (16, 16)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("file,label\nx.jpg,a\n", "needs a 'path' column"),
        ("path,label,colour\nx.jpg,a,red\n", "unknown manifest columns"),
        ("path,label\nx.jpg,a\nx.jpg,b\n", "listed twice"),
        ("path,split\nx.jpg,holdout\n", "unknown split"),
    ],
)
def test_bad_manifests(tmp_path, content, message):
    path = tmp_path / "m.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_manifest(path)


def hostile_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("train/bone/good.jpg", jpeg())
        archive.writestr("../evil.jpg", jpeg())
        archive.writestr("/abs/evil.jpg", jpeg())
        archive.writestr("train/bone/inner.zip", b"PK\x03\x04 nested")
        archive.writestr("train/bone/huge.jpg", b"\xff" * 5000)
        archive.writestr("__MACOSX/train/bone/._good.jpg", b"resource fork")
        archive.writestr("train/bone/readme.txt", b"hello")
        link = zipfile.ZipInfo("train/bone/link.jpg")
        link.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(link, "/etc/passwd")
    return path


def test_hostile_zip_members_are_skipped_with_reasons(tmp_path):
    before = set(os.listdir(tmp_path))
    path = hostile_zip(tmp_path / "seizure.zip")
    items = list(iter_archive(path, max_member_bytes=4000))
    samples = [i for i in items if isinstance(i, Sample)]
    reasons = {i.key: i.reason for i in items if isinstance(i, Skipped)}
    assert [s.key for s in samples] == ["train/bone/good.jpg"]
    assert (samples[0].split, samples[0].label) == ("train", "bone")
    assert load_image(samples[0].source).image.size == (16, 16)
    assert reasons == {
        "../evil.jpg": "parent_reference",
        "/abs/evil.jpg": "absolute_path",
        "train/bone/inner.zip": "nested_archive",
        "train/bone/huge.jpg": "too_large",
        "__MACOSX/train/bone/._good.jpg": "hidden",
        "train/bone/readme.txt": "not_an_image_extension",
        "train/bone/link.jpg": "link",
    }
    # Nothing was written anywhere: not beside the archive, not in its parent.
    assert set(os.listdir(tmp_path)) == before | {"seizure.zip"}
    assert not (tmp_path.parent / "evil.jpg").exists()


def _tar_add(archive, name, data=b"", kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), linkname
    archive.addfile(info, io.BytesIO(data) if data else None)


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_hostile_tar_members_are_skipped_with_reasons(tmp_path, mode):
    path = tmp_path / ("s.tar" if mode == "w" else "s.tar.gz")
    with tarfile.open(path, mode) as archive:
        _tar_add(archive, "ivory/good.jpg", jpeg())
        _tar_add(archive, "../../evil.jpg", jpeg())
        _tar_add(archive, "/tmp/evil.jpg", jpeg())
        _tar_add(archive, "ivory/sym.jpg", kind=tarfile.SYMTYPE, linkname="/etc/passwd")
        _tar_add(archive, "ivory/hard.jpg", kind=tarfile.LNKTYPE, linkname="ivory/good.jpg")
        _tar_add(archive, "ivory/fifo.jpg", kind=tarfile.FIFOTYPE)
        _tar_add(archive, "ivory/big.jpg", b"\xff" * 5000)
        _tar_add(archive, "ivory/nested.tar.gz", b"\x1f\x8b")
    items = list(iter_archive(path, max_member_bytes=4000))
    assert [i.key for i in items if isinstance(i, Sample)] == ["ivory/good.jpg"]
    assert {i.key: i.reason for i in items if isinstance(i, Skipped)} == {
        "../../evil.jpg": "parent_reference",
        "/tmp/evil.jpg": "absolute_path",
        "ivory/sym.jpg": "link",
        "ivory/hard.jpg": "link",
        "ivory/fifo.jpg": "not_a_file",
        "ivory/big.jpg": "too_large",
        "ivory/nested.tar.gz": "nested_archive",
    }
    assert not (tmp_path.parent.parent / "evil.jpg").exists()


def test_archive_budget(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(4):
            archive.writestr(f"bone/{i}.jpg", jpeg())
    size = len(jpeg())
    items = list(iter_archive(path, max_archive_bytes=2 * size))
    assert [type(i).__name__ for i in items] == ["Sample", "Sample", "Skipped", "Skipped"]
    assert items[-1].reason == "archive_budget_exceeded"


def test_damaged_archive_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DatasetError, match="damaged"):
        list(iter_archive(path))


def test_open_source_dispatch(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        list(open_source(tmp_path / "nothing"))
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(DatasetError, match="expected a folder"):
        list(open_source(tmp_path / "x.pdf"))
    splits, skipped = dataset_splits(hostile_zip(tmp_path / "d.zip"))
    assert [s.key for s in splits["train"]] == ["train/bone/good.jpg", "train/bone/huge.jpg"]
    assert len(skipped) == 6


def test_parallel_map_keeps_order_and_runs_in_workers():
    """The first chunk runs here while the workers start, the rest in the workers; results in
    input order whatever finished first."""
    import os

    from wildlens.common.parallel import parallel_map

    results = list(parallel_map(_pid_and_square, range(23), workers=2, chunksize=3, prefetch=2))
    assert [square for _, square in results] == [i * i for i in range(23)]
    pids = [pid for pid, _ in results]
    assert set(pids[:3]) == {os.getpid()}
    assert os.getpid() not in pids[3:]


def test_in_thread_keeps_order_raises_where_it_failed_and_stops_with_the_consumer():
    import threading

    from wildlens.common.parallel import in_thread

    assert list(in_thread(iter(range(50)), depth=3)) == list(range(50))

    def failing():
        yield 1
        yield 2
        raise DatasetError("photo 3 is damaged")

    got = []
    with pytest.raises(DatasetError, match="photo 3"):
        for item in in_thread(failing()):
            got.append(item)
    assert got == [1, 2]

    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    before = threading.active_count()
    for item in in_thread(endless(), depth=2):
        if item == 5:
            break
    assert len(produced) <= 5 + 1 + 2 + 1  # at most depth (+ one in hand) past the last taken
    assert threading.active_count() == before  # the thread has ended


def test_threaded_map_keeps_order_bounds_calls_in_flight_and_raises_at_its_item():
    import threading
    import time

    from wildlens.common.parallel import threaded_map

    started = []

    def slow_square(i: int) -> int:
        started.append(i)
        time.sleep(0.02 if i % 3 == 0 else 0.0)  # later items often finish first
        return i * i

    assert list(threaded_map(slow_square, range(30), workers=3, ahead=2)) == [
        i * i for i in range(30)
    ]
    workers = {t.name for t in threading.enumerate() if t.name.startswith("threaded-map")}
    assert not workers  # the pool has ended

    started.clear()
    taken = threaded_map(slow_square, range(1000), workers=2, ahead=2)
    assert [next(taken) for _ in range(3)] == [0, 1, 4]
    assert len(started) <= 3 + 2 * 2  # never the whole input ahead of the consumer
    taken.close()

    def damaged_at_5(i: int) -> int:
        if i == 5:
            raise DatasetError("photo 5 is damaged")
        return i

    got = []
    with pytest.raises(DatasetError, match="photo 5"):
        for value in threaded_map(damaged_at_5, range(10), workers=2):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]
    assert list(threaded_map(str, [1, 2], workers=1)) == ["1", "2"]  # in this thread


def _pid_and_square(i: int) -> tuple[int, int]:
    import os

    return os.getpid(), i * i


def test_decode_workers_exit_when_their_parent_is_killed(tmp_path):
    """A killed batch run must not leave worker processes behind."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from wildlens.common.parallel import parallel_map\n"
        "def main():\n"
        "    for _ in parallel_map(time.sleep, [0.2] * 1000, workers=1, chunksize=1):\n"
        "        print(os.getpid(), flush=True)\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as parent:
        parent.stdout.readline()  # the pool is running
        children = subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True, text=True)
        worker_pids = [int(p) for p in children.stdout.split()]
        assert worker_pids
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() for pid in worker_pids):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in worker_pids)

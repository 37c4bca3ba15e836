"""Where photos come from: ImageFolder trees, CSV manifests, and zip/tar archives read in place.

Every source yields `Sample`s (key, bytes-or-path, label, group, split) and, for what it refuses,
`Skipped` records with a reason, so nothing is lost silently. Archives are streamed member by
member into memory and never extracted, so a hostile member name cannot write anywhere.

    for item in open_source("seizure-2026-03.zip"):
        ...  # Sample or Skipped
    splits = dataset_splits("photos/")   # {"train": [...], "val": [...]} or {"all": [...]}
"""

from __future__ import annotations

import csv
import io
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from wildlens.data.images import IMAGE_EXTENSIONS

# Folder names accepted for each split; the key is the split's canonical name.
SPLIT_FOLDERS = {
    "train": ("train",),
    "val": ("val", "valid", "validation"),
    "calibration": ("calibration", "calib"),
    "test": ("test",),
}
SPLIT_NAMES = {name: split for split, names in SPLIT_FOLDERS.items() for name in names}
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
NESTED_ARCHIVE_SUFFIXES = (*ARCHIVE_SUFFIXES, ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst")
DEFAULT_MAX_MEMBER_BYTES = 100 * 1024 * 1024  # far above any phone photo
DEFAULT_MAX_ARCHIVE_BYTES = 20 * 1024 * 1024 * 1024
# A zip member that unpacks to more than this many times its packed size (and past a megabyte) is
# no photo (photos barely compress): a zip bomb's members are refused before a byte is read.
DEFAULT_MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
# Reasons a member or file is skipped (stable strings: they appear in reports).
SKIP_REASONS = (
    "absolute_path",
    "parent_reference",
    "link",
    "not_a_file",
    "nested_archive",
    "too_large",
    "too_compressed",
    "archive_budget_exceeded",
    "encrypted",
    "hidden",
    "not_an_image_extension",
    "unreadable_member",
)


class DatasetError(ValueError):
    """A dataset that cannot be used as given; the message says what to change."""


@dataclass(frozen=True)
class Sample:
    key: str  # stable identity inside its source: path relative to the root, or member name
    source: Path | bytes = field(repr=False)  # what `load_image` reads
    label: str | None = None
    group: str | None = None  # seizure / case / item id: photos of one item stay together
    split: str | None = None  # train / val / calibration / test, when the source says


@dataclass(frozen=True)
class Skipped:
    key: str
    reason: str  # one of SKIP_REASONS
    detail: str = ""


def is_archive(path: str | Path) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def list_images(root: str | Path, extensions: Iterable[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Every file under `root` (recursive, sorted, hidden files skipped) with an image extension."""
    root = Path(root)
    wanted = {e.lower() for e in extensions}
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in wanted
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def labels_from_key(key: str) -> tuple[str | None, str | None]:
    """(split, label) from a relative path: `[split/]label/.../image`; images at the top: None."""
    parts = PurePosixPath(key).parts[:-1]
    split = SPLIT_NAMES.get(parts[0].lower()) if parts else None
    if split:
        parts = parts[1:]
    return split, (parts[0] if parts else None)


def image_folder(root: str | Path, extensions: Iterable[str] = IMAGE_EXTENSIONS) -> list[Sample]:
    """Samples of a folder: labels and splits from `[split/]<class>/**/<image>` paths."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    samples = []
    for path in list_images(root, extensions):
        key = path.relative_to(root).as_posix()
        split, label = labels_from_key(key)
        samples.append(Sample(key=key, source=path, label=label, split=split))
    return samples


def read_manifest(path: str | Path) -> list[Sample]:
    """Samples of a CSV manifest with columns `path` [, `label`, `group`, `split`].

    Relative paths are relative to the manifest's folder. A missing file is still a sample: its
    decode fails with `unreadable` and is reported, never dropped.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DatasetError(f"cannot read manifest {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"{path} is not UTF-8 text (byte {error.start}); save the CSV as UTF-8 and retry"
        ) from error
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    if "path" not in columns:
        raise DatasetError(f"{path}: a manifest needs a 'path' column (found {sorted(columns)})")
    unknown = columns - {"path", "label", "group", "split"}
    if unknown:
        raise DatasetError(f"{path}: unknown manifest columns {sorted(unknown)}")
    samples, seen = [], set()
    for line, row in enumerate(reader, start=2):
        key = (row.get("path") or "").strip()
        if not key:
            raise DatasetError(f"{path}:{line}: empty path")
        if key in seen:
            raise DatasetError(f"{path}:{line}: {key} is listed twice")
        seen.add(key)
        split = (row.get("split") or "").strip().lower() or None
        if split is not None and split not in SPLIT_NAMES:
            raise DatasetError(
                f"{path}:{line}: unknown split {split!r}; use {sorted(SPLIT_FOLDERS)}"
            )
        file_path = Path(key) if Path(key).is_absolute() else path.parent / key
        samples.append(
            Sample(
                key=key,
                source=file_path,
                label=(row.get("label") or "").strip() or None,
                group=(row.get("group") or "").strip() or None,
                split=SPLIT_NAMES[split] if split else None,
            )
        )
    return samples


def iter_archive(
    path: str | Path,
    extensions: Iterable[str] = IMAGE_EXTENSIONS,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
    member_order: list[int] | None = None,
) -> Iterator[Sample | Skipped]:
    """Stream the members of a zip or tar archive as Samples holding their bytes.

    `member_order` (zip only): the indices of the members that are not folders, in the
    archive's listing, in the order to read them. A zip's repeated names are numbered
    (`name#n`, `RepeatNumbering`) in listed order, whatever the order read.

    Skipped, with a reason: absolute names, names with `..`, links, devices and other non-files,
    nested archives, members over `max_member_bytes`, zip members packed more than `max_ratio`
    to one, everything after `max_archive_bytes` have been read, encrypted members, hidden
    files, and non-image extensions.
    """
    path = Path(path)
    wanted = {e.lower() for e in extensions}
    budget = _Budget(max_archive_bytes)
    if path.suffix.lower() == ".zip":
        members = _zip_members(path, max_member_bytes, max_ratio, member_order)
    else:
        members = _tar_members(path, max_member_bytes)
    try:
        for name, refusal, read, unique in members:
            key = name.replace("\\", "/")
            reason = refusal or _name_refusal(key, wanted)
            key = unique or key  # the n-th repeat of a name, numbered in listed order
            if reason:
                yield Skipped(key, reason)
                continue
            if budget.exhausted:
                yield Skipped(key, "archive_budget_exceeded")
                continue
            data = read()
            if data is None:
                yield Skipped(key, "too_large", f"over {max_member_bytes:,} bytes")
                continue
            budget.spend(len(data))
            split, label = labels_from_key(key)
            yield Sample(key=key, source=data, label=label, split=split)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{path}: the archive is damaged ({error})") from error


@dataclass
class _Budget:
    remaining: int

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def spend(self, n: int) -> None:
        self.remaining -= n


def _name_refusal(key: str, wanted: set[str]) -> str | None:
    posix = PurePosixPath(key)
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        return "absolute_path"
    if ".." in posix.parts:
        return "parent_reference"
    if any(part.startswith(".") or part == "__MACOSX" for part in posix.parts):
        return "hidden"
    lower = key.lower()
    if lower.endswith(NESTED_ARCHIVE_SUFFIXES):
        return "nested_archive"
    if posix.suffix.lower() not in wanted:
        return "not_an_image_extension"
    return None


def _limited_read(handle, limit: int) -> bytes | None:
    data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _too_compressed(info: zipfile.ZipInfo, max_ratio: int) -> bool:
    return info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_ratio * max(
        info.compress_size, 1
    )


def _zip_members(
    path: Path, limit: int, max_ratio: int = DEFAULT_MAX_RATIO, order: list[int] | None = None
):
    with zipfile.ZipFile(path) as archive:
        listing = [info for info in archive.infolist() if not info.is_dir()]
        number = RepeatNumbering()  # in listed order, before any reordering
        names = [number(info.filename.replace("\\", "/")) for info in listing]
        if order is not None:
            listing, names = [listing[i] for i in order], [names[i] for i in order]
        for info, unique in zip(listing, names, strict=True):
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                yield info.filename, "link", None, unique
            elif info.flag_bits & 0x1:
                yield info.filename, "encrypted", None, unique
            elif _too_compressed(info, max_ratio):  # first: a bomb is named as one
                yield info.filename, "too_compressed", None, unique
            elif info.file_size > limit:
                yield info.filename, "too_large", None, unique
            else:

                def read(info=info):
                    with archive.open(info) as handle:
                        return _limited_read(handle, limit)  # the header's size may lie

                yield info.filename, None, read, unique


class RepeatNumbering:
    """Unique keys for names that may repeat: the n-th repeat of `name` becomes `name#n` (an
    archive may hold one name twice, and also a member named `name#2`)."""

    def __init__(self):
        self.emitted: set[str] = set()

    def __call__(self, name: str) -> str:
        key, n = name, 1
        while key in self.emitted:
            n += 1
            key = f"{name}#{n}"
        self.emitted.add(key)
        return key


def _tar_members(path: Path, limit: int):
    # "r|*": a pure stream (any compression), members read in order, never seeking back.
    with tarfile.open(path, mode="r|*") as archive:
        for member in archive:
            if member.isdir():
                continue
            if member.issym() or member.islnk():
                yield member.name, "link", None, None
            elif not member.isfile():
                yield member.name, "not_a_file", None, None
            elif member.size > limit:
                yield member.name, "too_large", None, None
            else:
                handle = archive.extractfile(member)
                data = _limited_read(handle, limit) if handle else None
                yield (
                    member.name,
                    None if handle else "unreadable_member",
                    lambda data=data: data,
                    None,
                )


def open_source(
    path: str | Path, extensions: Iterable[str] = IMAGE_EXTENSIONS
) -> Iterator[Sample | Skipped]:
    """Samples (and skips) of a folder, a CSV manifest, or a zip/tar archive."""
    path = Path(path)
    if path.is_dir():
        yield from image_folder(path, extensions)
    elif path.suffix.lower() == ".csv":
        yield from read_manifest(path)
    elif is_archive(path):
        yield from iter_archive(path, extensions)
    elif not path.exists():
        raise DatasetError(f"{path} does not exist")
    else:
        raise DatasetError(f"{path}: expected a folder, a .csv manifest or a zip/tar archive")


def dataset_splits(path: str | Path) -> tuple[dict[str, list[Sample]], list[Skipped]]:
    """Labelled samples grouped by the split their source gives them (`all` when none does).

    Raises:
        DatasetError: no labelled images, or some samples have a split and others do not.
    """
    samples, skipped = [], []
    for item in open_source(path):
        (samples if isinstance(item, Sample) else skipped).append(item)
    unlabelled = [s.key for s in samples if s.label is None]
    if unlabelled:
        raise DatasetError(
            f"{path}: {len(unlabelled)} images have no class (e.g. {unlabelled[0]}); "
            "put each image in a <class>/ folder or give a label column"
        )
    if not samples:
        raise DatasetError(f"{path} holds no labelled images (<class>/<image> or a manifest)")
    with_split = {s.split for s in samples}
    if None in with_split and len(with_split) > 1:
        raise DatasetError(f"{path}: some images have a split (train/, val/, ...) and some do not")
    splits: dict[str, list[Sample]] = {}
    for sample in samples:
        splits.setdefault(sample.split or "all", []).append(sample)
    return splits, skipped

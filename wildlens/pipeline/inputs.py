"""What a batch run classifies: a folder (recursive), a CSV file list, or a zip/tar archive.

Built on `data.sources`: every file or member becomes one `Sample` or one `Skipped`, with a key
that is unique within the input (a name repeated inside an archive gets `#2`, `#3`, ... in the
order the archive holds them), so each can get exactly one record.

    for item in iter_inputs("seizure.zip", extensions):   # Sample | Skipped, in input order
        ...
    total = count_inputs("seizure.zip", extensions)        # without reading any photo
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from wildlens.data.sources import (
    DatasetError,
    RepeatNumbering,
    Sample,
    Skipped,
    is_archive,
    iter_archive,
    list_images,
    read_manifest,
)

# Skip reasons that are filters (what a folder's extension and hidden-file filters drop
# silently); every other reason means a member that may be a photo could not be classified.
FILTERED_REASONS = frozenset({"hidden", "not_an_image_extension"})


def input_kind(path: str | Path) -> str:
    """`folder`, `manifest` or `archive`; raises DatasetError for anything else."""
    path = Path(path)
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise DatasetError(f"input {path} does not exist")
    if path.suffix.lower() == ".csv":
        return "manifest"
    if is_archive(path):
        return "archive"
    raise DatasetError(f"input {path}: expected a folder, a .csv file list or a zip/tar archive")


def iter_inputs(
    path: str | Path, extensions: Iterable[str], shuffle_seed: int | None = None
) -> Iterator[Sample | Skipped]:
    """Every input of `path` once, with unique keys: in a stable order, or with `shuffle_seed`
    in a seeded random order (the same seed, the same order of the same listing). Keys are given
    in the listed order first, so a repeated name gets the same `#n` either way. A tar archive
    is a stream: it is always read as listed (`is_shuffled` says which)."""
    path = Path(path)
    kind = input_kind(path)
    if kind == "folder":
        # Plain Samples without labels: folder names mean nothing to inference.
        items: Iterable[Sample | Skipped] = (
            Sample(key=p.relative_to(path).as_posix(), source=p)
            for p in list_images(path, extensions)
        )
    elif kind == "manifest":
        items = read_manifest(path)
    else:
        members = None if shuffle_seed is None else shuffled_zip_order(path, shuffle_seed)
        items = iter_archive(path, extensions, member_order=members)
    items = unique_keys(items)
    if kind == "archive":  # a zip is read in its shuffled order already; a tar is a stream
        return items
    if shuffle_seed is None:
        return items
    listed = list(items)  # paths or manifest rows: no photo is read yet
    order = np.random.default_rng(shuffle_seed).permutation(len(listed))
    return iter([listed[i] for i in order])


def is_shuffled(path: str | Path, order: str) -> bool:
    """Whether `order` ("shuffled" or "input") shuffles this input (tar archives never are)."""
    return order == "shuffled" and not (
        input_kind(path) == "archive" and Path(path).suffix.lower() != ".zip"
    )


def shuffled_zip_order(path: Path, seed: int) -> list[int] | None:
    """A seeded permutation of a zip's members other than folders (their indices in its
    listing of them), or None for a tar archive, which is read as a stream."""
    if Path(path).suffix.lower() != ".zip":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            count = sum(not info.is_dir() for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise DatasetError(f"{path}: the archive is damaged ({error})") from error
    return [int(i) for i in np.random.default_rng(seed).permutation(count)]


def unique_keys(items: Iterable[Sample | Skipped]) -> Iterator[Sample | Skipped]:
    """Rename the n-th repeat of a key to `key#n` (`RepeatNumbering`)."""
    number = RepeatNumbering()
    for item in items:
        key = number(item.key)
        yield item if key == item.key else replace(item, key=key)


def count_inputs(path: str | Path, extensions: Iterable[str]) -> int:
    """How many items `iter_inputs` yields, cheaply: no photo is read or decompressed to decode.

    Archives yield one item per member that is not a folder, so their count is their listing.
    """
    path = Path(path)
    kind = input_kind(path)
    if kind == "folder":
        return len(list_images(path, extensions))
    if kind == "manifest":
        return len(read_manifest(path))  # the one reader, and its clear errors
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                return sum(1 for info in archive.infolist() if not info.is_dir())
        # Uncompressed tars seek past member data; compressed ones are decompressed, not decoded.
        with tarfile.open(path, mode="r:*") as archive:
            return sum(1 for member in archive if not member.isdir())
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise DatasetError(f"{path}: the archive is damaged ({error})") from error

"""Where photos come from: image folders (ImageFolder trees) and plain folders to classify.

samples = image_folder("photos/train")      # photos/train/<class>/**/<image>
splits = dataset_splits("photos")            # {"train": [...], "val": [...]} or {"all": [...]}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from data.images import IMAGE_EXTENSIONS

# Folder names accepted for each split of an ImageFolder tree.
SPLIT_FOLDERS = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}


class DatasetError(ValueError):
    """A dataset folder that cannot be used as given; the message says what to change."""


@dataclass(frozen=True)
class Sample:
    key: str  # stable identity inside its source: the path relative to the dataset root
    path: Path
    label: str | None = None
    group: str | None = None  # seizure / case / item id: photos of one item stay together


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


def image_folder(root: str | Path, base: str | Path | None = None) -> list[Sample]:
    """Samples of an ImageFolder tree: `root/<class>/**/<image>`, labelled by class folder."""
    root = Path(root)
    base = Path(base) if base else root
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    samples = []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in list_images(class_dir):
            samples.append(
                Sample(key=path.relative_to(base).as_posix(), path=path, label=class_dir.name)
            )
    if not samples:
        raise DatasetError(f"{root} holds no images in class folders (<class>/<image>)")
    return samples


def dataset_splits(root: str | Path) -> dict[str, list[Sample]]:
    """The splits of a dataset folder: `train/`, `val/` (and `test/`) if present, else `all`."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    found = {}
    for split, names in SPLIT_FOLDERS.items():
        folder = next((root / name for name in names if (root / name).is_dir()), None)
        if folder is not None:
            found[split] = image_folder(folder, base=root)
    if not found:
        return {"all": image_folder(root)}
    if "train" not in found:
        raise DatasetError(f"{root} has {sorted(found)} folders but no train/ folder")
    return found

"""The catalogue: the classes a model may name, their names in three languages, and routing policy.

catalogue = default_catalogue()     # or load_catalogue("my-catalogue.yaml")
entry = catalogue["elephant_ivory"]; entry.name("zh"); entry.always_review
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wildlens.common.files import config_path

LANGUAGES = ("en", "zh", "lo")
GROUPS = ("ivory", "keratin", "timber", "lookalike", "other")
CITES_APPENDICES = ("I", "II", "III", "none")
# A class id is a dataset's folder name: lowercase letters, digits, "_" and "-" (cattle_horn,
# t-shirt); it appears in file names, CSV columns and URLs, so nothing else.
CLASS_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the entry and the field."""


def check_class_id(class_id: Any) -> str:
    """`class_id` if it is a valid class id, else a CatalogueError saying what is allowed."""
    if not isinstance(class_id, str) or not CLASS_ID_PATTERN.match(class_id):
        raise CatalogueError(
            f"class id {class_id!r} must be 1-64 lowercase letters, digits, '_' or '-', starting "
            "with a letter or digit (e.g. cattle_horn, t-shirt); rename the class folder or "
            "label"
        )
    return class_id


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    names: dict[str, str]
    taxon: str = "unknown"
    cites_appendix: str = "none"
    group: str = "other"
    lookalikes: tuple[str, ...] = ()
    features: str = ""
    # A target of the class's own: its auto-accept threshold then comes from its own photos
    # (stricter than the pooled target, e.g. for look-alikes, whose wrong answer clears an item).
    # None: the class shares the pooled threshold and guarantee (train key target_precision).
    target_precision: float | None = None
    always_review: bool = False

    def name(self, language: str = "en") -> str:
        """Display name in `language`, falling back to English, then the id."""
        return self.names.get(language) or self.names.get("en") or self.id

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lookalikes"] = list(self.lookalikes)
        data["routing"] = (
            {"always_review": True}
            if self.always_review
            else {"target_precision": self.target_precision}
            if self.target_precision is not None
            else {}
        )
        del data["target_precision"], data["always_review"]
        return data


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, CatalogueEntry] = field(default_factory=dict)

    def __getitem__(self, class_id: str) -> CatalogueEntry:
        return self.entries[class_id]

    def __contains__(self, class_id: object) -> bool:
        return class_id in self.entries

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def ids(self) -> list[str]:
        return list(self.entries)

    def for_classes(self, class_ids: Iterable[str]) -> Catalogue:
        """The entries of `class_ids`, in that order; a class missing here gets a plain entry
        (its id as its name, the pooled guarantee)."""
        entries = {}
        for class_id in map(check_class_id, class_ids):
            entries[class_id] = self.entries.get(class_id) or CatalogueEntry(
                id=class_id, names={lang: class_id.replace("_", " ") for lang in LANGUAGES}
            )
        return Catalogue(entries)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "classes": [entry.to_dict() for entry in self]}


def default_catalogue() -> Catalogue:
    """The catalogue WildLens ships (configs/catalogue.yaml): default classes and look-alikes."""
    return load_catalogue(config_path("catalogue.yaml"))


def load_catalogue(path: str | Path) -> Catalogue:
    """Read and validate a catalogue YAML file (lookalikes must name entries of the same file)."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogueError(f"cannot read catalogue {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise CatalogueError(f"catalogue {path} is not valid YAML: {error}") from error
    catalogue = catalogue_from_dict(document, source=str(path))
    for entry in catalogue:
        unknown = [other for other in entry.lookalikes if other not in catalogue]
        if unknown:
            raise CatalogueError(f"{path}: {entry.id}: unknown lookalikes {unknown}")
    return catalogue


def catalogue_from_dict(document: Any, source: str = "catalogue") -> Catalogue:
    """Validate a catalogue document (file contents or a bundle's snapshot)."""
    if not isinstance(document, dict) or not isinstance(document.get("classes"), list):
        raise CatalogueError(f"{source}: expected a mapping with a 'classes' list")
    entries: dict[str, CatalogueEntry] = {}
    for raw in document["classes"]:
        entry = _entry_from_dict(raw, source)
        if entry.id in entries:
            raise CatalogueError(f"{source}: duplicate class id {entry.id!r}")
        entries[entry.id] = entry
    return Catalogue(entries)


def _entry_from_dict(raw: Any, source: str) -> CatalogueEntry:
    if not isinstance(raw, dict) or "id" not in raw:
        raise CatalogueError(f"{source}: every class needs an 'id'")
    class_id = raw["id"]
    where = f"{source}: {class_id}"
    try:
        check_class_id(class_id)
    except CatalogueError as error:
        raise CatalogueError(f"{source}: {error}") from None
    names = raw.get("names") or {}
    missing = [lang for lang in LANGUAGES if not isinstance(names.get(lang), str)]
    if missing:
        raise CatalogueError(f"{where}: names missing for {missing}")
    if raw.get("cites_appendix", "none") not in CITES_APPENDICES:
        raise CatalogueError(f"{where}: cites_appendix must be one of {CITES_APPENDICES}")
    if raw.get("group", "other") not in GROUPS:
        raise CatalogueError(f"{where}: group must be one of {GROUPS}")
    routing = raw.get("routing") or {}
    always_review = routing.get("always_review", False) is True
    target = routing.get("target_precision")
    if always_review and target is not None:
        raise CatalogueError(f"{where}: routing takes target_precision or always_review, not both")
    if target is not None and not (isinstance(target, int | float) and 0 < target <= 1):
        raise CatalogueError(f"{where}: target_precision must be a number in (0, 1]")
    return CatalogueEntry(
        id=class_id,
        names={lang: names[lang] for lang in names},
        taxon=str(raw.get("taxon", "unknown")),
        cites_appendix=raw.get("cites_appendix", "none"),
        group=raw.get("group", "other"),
        lookalikes=tuple(raw.get("lookalikes") or ()),
        features=str(raw.get("features", "")).strip(),
        target_precision=None if target is None else float(target),
        always_review=always_review,
    )

"""The review store: saved identifications, their photos and the experts' verdicts, in SQLite.

Pure Python and sqlite3 (no Gradio): the app, scripts and tests use it alike.

    store = ReviewStore("runs/app/review.sqlite3", "runs/app/photos")
    record_id = store.add_record(new_record)
    store.confirm(record_id, reviewer="Dr Vong", comment="Schreger lines visible")
    store.correct(record_id, reviewer="Dr Vong", label="bone", comment="Haversian canals")

Records, photos and events are append-only, enforced by SQLite triggers; a record's current label
and status are those of its latest event. Photos are stored once, by the sha256 of their bytes.
"""

from wildlens.review.store import (
    NOT_IN_CATALOGUE,
    ConflictError,
    Event,
    NewItem,
    NewPhoto,
    NewRecord,
    RecordView,
    ReviewStore,
    StoreError,
)

__all__ = [
    "NOT_IN_CATALOGUE",
    "ConflictError",
    "Event",
    "NewItem",
    "NewPhoto",
    "NewRecord",
    "RecordView",
    "ReviewStore",
    "StoreError",
]

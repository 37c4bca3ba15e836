"""The review store's SQLite schema: tables, and the triggers that make them append-only.

Every table is insert-only. The triggers enforce it in the database itself, so no code path (ours,
a script, the sqlite3 shell) can rewrite history by accident: UPDATE and DELETE abort, and so does
an INSERT that would replace an existing row (INSERT OR REPLACE deletes without firing delete
triggers unless recursive triggers are on). A record's current label and status are its latest
event's; each event names the values it replaces, and a trigger checks that those are the
record's current ones, so the chain of events has no gaps. Someone with write access to the file
can still drop the triggers: the event chain hash (`events.chain`) makes that detectable.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

TABLES = """
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    num_bytes INTEGER NOT NULL,
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    file TEXT NOT NULL,              -- relative to the photo folder: ab/<sha256>.<ext>
    added TEXT NOT NULL
);

CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,           -- UTC, ISO 8601 with milliseconds
    case_id TEXT NOT NULL,
    location TEXT NOT NULL,
    officer TEXT NOT NULL,
    account TEXT NOT NULL,           -- the login that saved it ('' without login)
    decision TEXT NOT NULL CHECK (decision IN ('identified', 'review', 'unknown')),
    predicted_label TEXT NOT NULL,
    confidence REAL NOT NULL,
    reasons TEXT NOT NULL,           -- JSON list of reason codes
    shortlist TEXT NOT NULL,         -- JSON list of class ids
    prediction TEXT NOT NULL,        -- JSON: the item's combined prediction, as shown
    bundle_name TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    code_version TEXT NOT NULL
);
CREATE INDEX records_by_case ON records (case_id);

CREATE TABLE record_photos (
    record_id INTEGER NOT NULL REFERENCES records (id),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES photos (sha256),
    file_name TEXT NOT NULL,         -- as uploaded: for people only, never used to find a file
    prediction TEXT NOT NULL,        -- JSON: this photo's own prediction
    PRIMARY KEY (record_id, position)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id INTEGER NOT NULL REFERENCES records (id),
    time TEXT NOT NULL,
    actor TEXT NOT NULL,             -- the name typed by the officer or reviewer
    account TEXT NOT NULL,           -- the login, when the app has one
    action TEXT NOT NULL CHECK (action IN ('created', 'confirmed', 'corrected')),
    label TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('identified', 'pending_review', 'confirmed', 'corrected')),
    previous_label TEXT,
    previous_status TEXT,
    comment TEXT NOT NULL,
    detail TEXT NOT NULL,            -- JSON; `created` holds the record's sha256
    chain TEXT NOT NULL UNIQUE       -- sha256(previous event's chain + this event's JSON)
);
CREATE INDEX events_by_record ON events (record_id, id);
"""

_APPEND_ONLY = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'append-only table {table}: rows are never changed'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, 'append-only table {table}: rows are never deleted'); END;
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} WHERE {key})
BEGIN SELECT RAISE(ABORT, 'append-only table {table}: this row exists already'); END;
"""
_KEYS = {
    "photos": "sha256 = NEW.sha256",
    "records": "id = NEW.id",
    "record_photos": "record_id = NEW.record_id AND position = NEW.position",
    "events": "id = NEW.id OR chain = NEW.chain",
}

EVENT_CHAIN_RULES = """
CREATE TRIGGER events_previous_is_current BEFORE INSERT ON events
WHEN NEW.previous_label IS NOT
        (SELECT label FROM events WHERE record_id = NEW.record_id ORDER BY id DESC LIMIT 1)
    OR NEW.previous_status IS NOT
        (SELECT status FROM events WHERE record_id = NEW.record_id ORDER BY id DESC LIMIT 1)
BEGIN SELECT RAISE(ABORT, 'an event must name the record''s current label and status'); END;
CREATE TRIGGER events_created_first BEFORE INSERT ON events
WHEN (NEW.action = 'created') = EXISTS (SELECT 1 FROM events WHERE record_id = NEW.record_id)
BEGIN SELECT RAISE(ABORT, 'a record has exactly one created event, and it comes first'); END;
"""


def schema_script() -> str:
    """The whole schema, as one script for `executescript`."""
    triggers = "".join(_APPEND_ONLY.format(table=t, key=k) for t, k in _KEYS.items())
    return TABLES + triggers + EVENT_CHAIN_RULES + f"PRAGMA user_version = {SCHEMA_VERSION};\n"

"""Records, photos and the append-only event log of expert verdicts, in one SQLite file.

    store = ReviewStore(Path("runs/app/review.sqlite3"), Path("runs/app/photos"))
    record_id = store.add_record(NewRecord(case_id="C-17", ..., photos=[NewPhoto(...)]))
    store.queue(case_id="C-17")                     # pending review, oldest first
    store.correct(record_id, "Dr Vong", "bone", "Haversian canals", expected_event=1)
    store.add_records([NewRecord(..., item=NewItem(1, 3, [x0, y0, x1, y1], overview)), ...])

A photo of several items on a table is saved as one record per item (`NewItem`), all in one
transaction: each names the photo (its sha256 stays the evidence key), its number and box, and the
overview (the photo with every item's numbered box, a derived JPEG kept beside the photos, never
among them), in its `created` event, so boxes are in the hash-chained audit trail.

Each call opens its own connection (SQLite serialises writers; WAL lets readers go on), so one
store is safe to share between the app's threads. Writes are single transactions taken with
BEGIN IMMEDIATE, so an event's "previous" values are read and written without a race.
See `review.schema` for the tables and the triggers that make them append-only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wildlens.model.bundle.catalogue import CatalogueError, check_class_id
from wildlens.review.anchor import Head, HeadLog
from wildlens.review.photos import PhotoError, PhotoFiles
from wildlens.review.schema import SCHEMA_VERSION, schema_script

# The label of an item the expert judges to be outside the catalogue (and of `unknown` answers).
NOT_IN_CATALOGUE = "not_in_catalogue"
IDENTIFIED, PENDING, CONFIRMED, CORRECTED = "identified", "pending_review", "confirmed", "corrected"
TEXT_LIMIT = 2000  # characters of a name, id or comment: enough for people, not for abuse
DIGEST_VERSION = 2  # 2: a record's digest also covers its photos' rows (size, format, pixels)


class StoreError(ValueError):
    """A request the store refuses (missing name, unknown record, bad label); says why."""


class ConflictError(StoreError):
    """The record changed since the reviewer opened it; reload it and decide again."""


@dataclass(frozen=True)
class NewPhoto:
    data: bytes
    sha256: str  # of `data`, as the decoder computed it when the photo was analysed
    file_name: str  # as uploaded, for people
    format: str  # the decoder's format name (JPEG, PNG, HEIF, ...)
    width: int
    height: int
    prediction: dict[str, Any]  # this photo's own Prediction.to_dict()


@dataclass(frozen=True)
class NewItem:
    """One item of a photo of several (`wildlens.model.serving.items`): the record's photo is the
    whole photo; the item is where its box is."""

    index: int  # 1-based: the number drawn on the overview
    count: int  # the items found on the photo
    box: Sequence[int]  # [x0, y0, x1, y1] in pixels of the upright photo
    overview: bytes  # JPEG: the photo with every item's numbered box, as the officer saw it


@dataclass(frozen=True)
class NewRecord:
    case_id: str
    location: str
    officer: str
    prediction: dict[str, Any]  # the item's combined Prediction.to_dict(), bundle identity included
    photos: Sequence[NewPhoto]
    code_version: str
    account: str = ""
    item: NewItem | None = None  # one item of a photo of several (one photo: the whole one)


@dataclass(frozen=True)
class Event:
    id: int
    record_id: int
    time: str
    actor: str
    account: str
    action: str  # created | confirmed | corrected
    label: str
    status: str  # identified | pending_review | confirmed | corrected
    previous_label: str | None
    previous_status: str | None
    comment: str
    detail: dict[str, Any]
    chain: str


@dataclass(frozen=True)
class StoredPhoto:
    position: int
    sha256: str
    file_name: str
    format: str
    width: int
    height: int
    file: str  # relative to the photo folder
    prediction: dict[str, Any]


@dataclass(frozen=True)
class RecordView:
    """A record as stored, with its photos and its whole event history."""

    id: int
    created: str
    case_id: str
    location: str
    officer: str
    account: str
    decision: str
    predicted_label: str
    confidence: float
    reasons: list[str]
    shortlist: list[str]
    prediction: dict[str, Any]
    bundle: dict[str, str]
    code_version: str
    photos: list[StoredPhoto] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def item(self) -> dict[str, Any] | None:
        """One item of a photo of several: index, count, box, photo_sha256, overview_sha256
        (from the created event, hash-chained); None for a record of a whole item."""
        return self.events[0].detail.get("item") if self.events else None

    @property
    def label(self) -> str:
        """The current label: the latest event's."""
        return self.events[-1].label

    @property
    def status(self) -> str:
        return self.events[-1].status

    @property
    def last_event(self) -> int:
        return self.events[-1].id


@dataclass(frozen=True)
class QueueItem:
    """One line of the review queue."""

    id: int
    created: str
    case_id: str
    location: str
    officer: str
    decision: str
    label: str
    confidence: float
    reasons: list[str]
    photos: int
    last_event: int
    item: dict[str, Any] | None = None  # `RecordView.item`


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ReviewStore:
    """The SQLite file and the photo folder of one app installation."""

    def __init__(
        self,
        database: Path,
        photo_folder: Path,
        head_log: Path | None = None,
        site_key: str | Path = "",
        sign_every: int = 20,
        start_anchor: bool = True,
    ):
        """`head_log`: the anchor (default: beside the database, `<stem>.heads.jsonl`);
        `site_key`: the Ed25519 private key that signs heads (none: unsigned heads);
        `start_anchor`: start a head log for a store that has none yet (False when only
        checking: a deleted log must be reported, not replaced)."""
        self.database = Path(database)
        self.photos = PhotoFiles(Path(photo_folder))
        # Overviews of photos of several items: derived images, beside the photos, never mixed
        # with them (exports and reports take photos only from the photos folder).
        self.overviews = PhotoFiles(Path(photo_folder).with_name("overviews"))
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.heads = HeadLog(
            Path(head_log) if head_log else self.database.with_suffix(".heads.jsonl"),
            site_key,
            sign_every,
        )
        with self._connection() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                db.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
                db.executescript(schema_script())
            elif version != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.database}: review store schema {version}, this WildLens reads "
                    f"{SCHEMA_VERSION}"
                )
            head = db.execute("SELECT id, chain FROM events ORDER BY id DESC LIMIT 1").fetchone()
        if start_anchor and head is not None and not self.heads.exists():
            self.heads.start(head["id"], head["chain"])  # anchored from now on

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA recursive_triggers = ON")  # REPLACE then fires the delete triggers
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------------

    def add_record(self, record: NewRecord) -> int:
        """Store the photos (by sha256) and the record, with its `created` event; its id."""
        return self.add_records([record])[0]

    def add_records(self, records: Sequence[NewRecord]) -> list[int]:
        """Store several records in one transaction (the items of one photo: all or none);
        their ids, in order."""
        for record in records:
            _required(record.case_id, "case or seizure id")
            _required(record.officer, "officer's name")
            _bounded(record.location, "location")
            if not record.photos:
                raise StoreError("a record needs at least one photo")
        files = [[self.photos.put(p.data, p.sha256, p.format) for p in r.photos] for r in records]
        overviews = [self._put_overview(record.item) for record in records]
        created = now()  # records saved together share their time
        with self._transaction() as db:
            return [
                self._insert(db, record, record_files, overview, created)
                for record, record_files, overview in zip(records, files, overviews, strict=True)
            ]

    def _put_overview(self, item: NewItem | None) -> str:
        """Store an item's overview JPEG (content-addressed); its sha256 ('' without one)."""
        if item is None:
            return ""
        digest = hashlib.sha256(item.overview).hexdigest()
        self.overviews.put(item.overview, digest, "JPEG")
        return digest

    def _insert(
        self,
        db: sqlite3.Connection,
        record: NewRecord,
        files: list[str],
        overview: str,
        created: str,
    ) -> int:
        prediction = record.prediction
        row = {
            "created": created,
            "case_id": _required(record.case_id, "case or seizure id"),
            "location": _bounded(record.location, "location"),
            "officer": _required(record.officer, "officer's name"),
            "account": record.account,
            "decision": prediction["decision"],
            "predicted_label": prediction["label"],
            "confidence": float(prediction["confidence"]),
            "reasons": canonical_json(list(prediction["reasons"])),
            "shortlist": canonical_json(list(prediction["shortlist"])),
            "prediction": canonical_json(prediction),
            "bundle_name": prediction.get("bundle_name", ""),
            "bundle_version": prediction.get("bundle_version", ""),
            "bundle_sha256": prediction.get("bundle_sha256", ""),
            "code_version": record.code_version,
        }
        for photo, file in zip(record.photos, files, strict=True):
            if not db.execute("SELECT 1 FROM photos WHERE sha256 = ?", (photo.sha256,)).fetchone():
                db.execute(
                    "INSERT INTO photos VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        photo.sha256,
                        len(photo.data),
                        photo.format,
                        photo.width,
                        photo.height,
                        file,
                        created,
                    ),
                )
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = db.execute(f"INSERT INTO records ({columns}) VALUES ({marks})", list(row.values()))
        record_id = int(cursor.lastrowid)
        photo_rows = [
            (
                record_id,
                i,
                p.sha256,
                _bounded(p.file_name, "file name"),
                canonical_json(p.prediction),
            )
            for i, p in enumerate(record.photos)
        ]
        db.executemany("INSERT INTO record_photos VALUES (?, ?, ?, ?, ?)", photo_rows)
        decision = prediction["decision"]
        label = NOT_IN_CATALOGUE if decision == "unknown" else prediction["label"]
        status = IDENTIFIED if decision == "identified" else PENDING
        digest = record_digest({"id": record_id, **row}, photo_rows, _photo_facts(db, record_id))
        detail: dict[str, Any] = {"record_sha256": digest, "digest": DIGEST_VERSION}
        if record.item is not None:  # where the item lies on its photo: in the audit trail
            detail["item"] = {
                "index": int(record.item.index),
                "count": int(record.item.count),
                "box": [int(v) for v in record.item.box],
                "photo_sha256": record.photos[0].sha256,
                "overview_sha256": overview,
            }
        self._append(
            db, record_id, row["officer"], record.account, "created", label, status, "", detail
        )
        return record_id

    def confirm(
        self,
        record_id: int,
        reviewer: str,
        comment: str = "",
        account: str = "",
        expected_event: int | None = None,
    ) -> Event:
        """The expert agrees with the record's current label."""
        reviewer = _required(reviewer, "reviewer's name")
        comment = _bounded(comment, "comment")
        with self._transaction() as db:
            current = self._current(db, record_id, expected_event)
            return self._append(
                db,
                record_id,
                reviewer,
                account,
                "confirmed",
                current["label"],
                CONFIRMED,
                comment,
                {},
            )

    def correct(
        self,
        record_id: int,
        reviewer: str,
        label: str,
        comment: str,
        account: str = "",
        expected_event: int | None = None,
    ) -> Event:
        """The expert gives the right label (a class id, or NOT_IN_CATALOGUE), and says why."""
        reviewer = _required(reviewer, "reviewer's name")
        comment = _required(comment, "comment (why the label is corrected)")
        label = (label or "").strip()
        try:
            check_class_id(label)
        except CatalogueError as error:
            raise StoreError(f"label: {error}") from None
        with self._transaction() as db:
            current = self._current(db, record_id, expected_event)
            if label == current["label"]:
                raise StoreError(f"{label} is already the record's label: confirm it instead")
            return self._append(
                db, record_id, reviewer, account, "corrected", label, CORRECTED, comment, {}
            )

    def _current(self, db: sqlite3.Connection, record_id: int, expected: int | None) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM events WHERE record_id = ? ORDER BY id DESC LIMIT 1", (record_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"there is no record {record_id}")
        if expected is not None and row["id"] != expected:
            raise ConflictError(
                f"record {record_id} changed since it was opened ({row['action']} by "
                f"{row['actor']} at {row['time']}): reload it and decide again"
            )
        return row

    def _append(
        self,
        db: sqlite3.Connection,
        record_id: int,
        actor: str,
        account: str,
        action: str,
        label: str,
        status: str,
        comment: str,
        detail: dict[str, Any],
    ) -> Event:
        last = db.execute(
            "SELECT label, status FROM events WHERE record_id = ? ORDER BY id DESC LIMIT 1",
            (record_id,),
        ).fetchone()
        head = db.execute("SELECT chain FROM events ORDER BY id DESC LIMIT 1").fetchone()
        fields = {
            "record_id": record_id,
            "time": now(),
            "actor": actor,
            "account": account or "",
            "action": action,
            "label": label,
            "status": status,
            "previous_label": last["label"] if last else None,
            "previous_status": last["status"] if last else None,
            "comment": comment,
            "detail": canonical_json(detail),
        }
        chain = chain_hash(head["chain"] if head else "", fields)
        columns = ", ".join([*fields, "chain"])
        marks = ", ".join("?" for _ in range(len(fields) + 1))
        cursor = db.execute(
            f"INSERT INTO events ({columns}) VALUES ({marks})", [*fields.values(), chain]
        )
        self.heads.append(int(cursor.lastrowid), record_id, chain)  # before COMMIT: in order
        return Event(id=int(cursor.lastrowid), **{**fields, "detail": detail}, chain=chain)

    # -- reading ------------------------------------------------------------------------------

    def queue(self, case_id: str = "", label: str = "") -> list[QueueItem]:
        """Records waiting for an expert, oldest first; optionally of one case and/or label."""
        query = [
            "SELECT r.*, e.label AS label, e.id AS last_event,",
            "  (SELECT count(*) FROM record_photos p WHERE p.record_id = r.id) AS n_photos,",
            "  (SELECT detail FROM events c WHERE c.record_id = r.id AND c.action = 'created')",
            "    AS created_detail",
            "FROM records r JOIN events e",
            "  ON e.id = (SELECT max(id) FROM events WHERE record_id = r.id)",
            "WHERE e.status = ?",
        ]
        args: list[Any] = [PENDING]
        if case_id.strip():
            query.append("AND r.case_id = ?")
            args.append(case_id.strip())
        if label.strip():
            query.append("AND e.label = ?")
            args.append(label.strip())
        query.append("ORDER BY r.created, r.id")
        with self._connection() as db:
            rows = db.execute("\n".join(query), args).fetchall()
        return [
            QueueItem(
                id=row["id"],
                created=row["created"],
                case_id=row["case_id"],
                location=row["location"],
                officer=row["officer"],
                decision=row["decision"],
                label=row["label"],
                confidence=row["confidence"],
                reasons=json.loads(row["reasons"]),
                photos=row["n_photos"],
                last_event=row["last_event"],
                item=json.loads(row["created_detail"] or "{}").get("item"),
            )
            for row in rows
        ]

    def record(self, record_id: int) -> RecordView:
        with self._connection() as db:
            return self._record(db, record_id)

    def records(self, case_id: str | None = None) -> list[RecordView]:
        """Every record (of one case), in the order they were saved."""
        with self._connection() as db:
            if case_id is None:
                ids = db.execute("SELECT id FROM records ORDER BY id").fetchall()
            else:
                ids = db.execute(
                    "SELECT id FROM records WHERE case_id = ? ORDER BY id", (case_id.strip(),)
                ).fetchall()
            return [self._record(db, row["id"]) for row in ids]

    def reviewed(self) -> list[RecordView]:
        """Records whose current label an expert has given (confirmed or corrected)."""
        return [r for r in self.records() if r.status in (CONFIRMED, CORRECTED)]

    def cases(self) -> list[str]:
        with self._connection() as db:
            rows = db.execute("SELECT DISTINCT case_id FROM records ORDER BY case_id").fetchall()
        return [row["case_id"] for row in rows]

    def photo_bytes(self, photo: StoredPhoto) -> bytes:
        """A stored photo's bytes, verified against its sha256."""
        return self.photos.read(photo.file, photo.sha256)

    def overview_bytes(self, record: RecordView) -> bytes | None:
        """The overview JPEG of an item's record (the photo with every item's numbered box),
        verified against the sha256 its created event names; None for a whole item's record."""
        digest = (record.item or {}).get("overview_sha256")
        if not digest:
            return None
        return self.overviews.read(self.overviews.relative_path(digest, "JPEG"), digest)

    def _record(self, db: sqlite3.Connection, record_id: int) -> RecordView:
        row = db.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise StoreError(f"there is no record {record_id}")
        photos = db.execute(
            "SELECT rp.position, rp.sha256, rp.file_name, rp.prediction, p.format, p.width, "
            "p.height, p.file FROM record_photos rp JOIN photos p ON p.sha256 = rp.sha256 "
            "WHERE rp.record_id = ? ORDER BY rp.position",
            (record_id,),
        ).fetchall()
        events = db.execute(
            "SELECT * FROM events WHERE record_id = ? ORDER BY id", (record_id,)
        ).fetchall()
        return RecordView(
            id=row["id"],
            created=row["created"],
            case_id=row["case_id"],
            location=row["location"],
            officer=row["officer"],
            account=row["account"],
            decision=row["decision"],
            predicted_label=row["predicted_label"],
            confidence=row["confidence"],
            reasons=json.loads(row["reasons"]),
            shortlist=json.loads(row["shortlist"]),
            prediction=json.loads(row["prediction"]),
            bundle={
                "bundle_name": row["bundle_name"],
                "bundle_version": row["bundle_version"],
                "bundle_sha256": row["bundle_sha256"],
                # the signer's key id lives in the saved prediction (hash-chained with it)
                "bundle_signer": json.loads(row["prediction"]).get("bundle_signer") or "",
            },
            code_version=row["code_version"],
            photos=[
                StoredPhoto(
                    position=p["position"],
                    sha256=p["sha256"],
                    file_name=p["file_name"],
                    format=p["format"],
                    width=p["width"],
                    height=p["height"],
                    file=p["file"],
                    prediction=json.loads(p["prediction"]),
                )
                for p in photos
            ],
            events=[_event(e) for e in events],
        )

    # -- integrity ----------------------------------------------------------------------------

    def verify(self, case_id: str | None = None, trusted: set[str] | None = None) -> list[str]:
        """Problems found (empty: intact): a broken event chain or one that disagrees with its
        anchor (always checked whole), altered records or photo files (of one case, or of every
        record)."""
        problems = self.verify_history(trusted)
        with self._connection() as db:
            if case_id is None:
                ids = db.execute("SELECT id FROM records ORDER BY id").fetchall()
            else:
                ids = db.execute(
                    "SELECT id FROM records WHERE case_id = ? ORDER BY id", (case_id,)
                ).fetchall()
            for row in ids:
                problems += self._verify_record(db, self._record(db, row["id"]))
        return problems

    def verify_history(self, trusted: set[str] | None = None) -> list[str]:
        """The event chain and its anchor, without reading any photo (cheap: the Review tab
        checks it). `trusted`: the key ids a signed head must come from."""
        problems = []
        with self._connection() as db:
            previous = ""
            for row in db.execute("SELECT * FROM events ORDER BY id"):
                # keys(): iterating a sqlite3.Row gives its values, not its column names
                fields = {k: row[k] for k in row.keys() if k not in ("id", "chain")}  # noqa: SIM118
                if chain_hash(previous, fields) != row["chain"]:
                    problems.append(
                        f"record {row['record_id']}, event {row['id']}: the event chain is "
                        "broken here (an event was changed, removed or inserted after it was "
                        "written)"
                    )
                previous = row["chain"]
            chains = {r["id"]: r["chain"] for r in db.execute("SELECT id, chain FROM events")}
        return problems + self.heads.check(chains, trusted)

    def _verify_record(self, db: sqlite3.Connection, view: RecordView) -> list[str]:
        problems = []
        row = dict(db.execute("SELECT * FROM records WHERE id = ?", (view.id,)).fetchone())
        photo_rows = [
            tuple(r)
            for r in db.execute(
                "SELECT record_id, position, sha256, file_name, prediction FROM record_photos "
                "WHERE record_id = ? ORDER BY position",
                (view.id,),
            )
        ]
        created = view.events[0] if view.events else None
        facts = _photo_facts(db, view.id) if created and created.detail.get("digest") else None
        if created is None or created.detail.get("record_sha256") != record_digest(
            row, photo_rows, facts
        ):
            problems.append(f"record {view.id}: does not match its created event")
        for photo in view.photos:
            try:
                self.photo_bytes(photo)
            except PhotoError as error:
                problems.append(f"record {view.id}, photo {photo.position + 1}: {error}")
        try:
            self.overview_bytes(view)
        except PhotoError as error:
            problems.append(f"record {view.id}, overview of its items: {error}")
        return problems

    def head(self) -> Head | None:
        """The chain's current head (unsigned); None before the first event."""
        with self._connection() as db:
            row = db.execute("SELECT id, chain FROM events ORDER BY id DESC LIMIT 1").fetchone()
        return Head(row["id"], row["chain"]) if row else None

    def sign_head(self) -> Head | None:
        """The chain's current head, signed with the site key and logged (None: no key, or no
        event yet)."""
        head = self.head()
        return self.heads.sign(head.event, head.chain) if head else None


def _photo_facts(db: sqlite3.Connection, record_id: int) -> list[list[Any]]:
    """The photos table's rows of a record's photos (bytes, format, size, file), in order."""
    rows = db.execute(
        "SELECT p.sha256, p.num_bytes, p.format, p.width, p.height, p.file FROM record_photos rp "
        "JOIN photos p ON p.sha256 = rp.sha256 WHERE rp.record_id = ? ORDER BY rp.position",
        (record_id,),
    )
    return [list(r) for r in rows]


def chain_hash(previous: str, fields: dict[str, Any]) -> str:
    """sha256 over the previous event's chain value and this event's fields."""
    return hashlib.sha256((previous + canonical_json(fields)).encode()).hexdigest()


def record_digest(
    row: dict[str, Any],
    photo_rows: Sequence[Sequence[Any]],
    photo_facts: Sequence[Sequence[Any]] | None = None,
) -> str:
    """sha256 of a record row, its photo rows and (digest 2) the photos' own rows (bytes,
    format, width, height, file), kept in its `created` event."""
    content: dict[str, Any] = {"record": row, "photos": [list(p) for p in photo_rows]}
    if photo_facts is not None:
        content["photo_facts"] = [list(p) for p in photo_facts]
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _event(row: sqlite3.Row) -> Event:
    values = dict(row)
    values["detail"] = json.loads(values["detail"])
    return Event(**values)


def _bounded(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if len(text) > TEXT_LIMIT:
        raise StoreError(f"the {what} is too long ({len(text)} characters; at most {TEXT_LIMIT})")
    return text


def _required(text: str | None, what: str) -> str:
    text = _bounded(text, what)
    if not text:
        raise StoreError(f"the {what} is required")
    return text

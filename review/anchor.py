"""The review store's anchor outside the database: an append-only log of the event chain's head.

    heads = HeadLog(Path("runs/app/review.heads.jsonl"), site_key="/etc/wildlens/site.key")
    heads.append(event_id=42, record_id=17, chain="ab12...")   # in every write's transaction
    heads.sign(42, "ab12...")          # a signed head (case reports; every `sign_every` events)
    problems = heads.check(chains)     # {event id: chain} of the database

The database's own hash chain shows an edit in the middle of history, but not a history that was
shortened (the newest events deleted) or recomputed from an edit on (triggers dropped, every later
chain value written again): both leave a chain that is consistent with itself. This log keeps
every head the app wrote, one JSON line each, outside the SQLite file; lines that carry a
signature (Ed25519, the site key, as bundles are signed) cannot be recomputed without the private
key. `check` names events the log knows that the database lost (deletions, at the tail or not),
events whose chain differs from the logged one (rewrites), events the log never saw (written
behind the app's back), and damaged or forged lines.

What it cannot see: someone who can write both the database and this log, and who removes the
same newest events from both, leaves a consistent pair, unless a later signed head exists
elsewhere (a printed case report carries one; so does a copy of this log kept off the machine).
The site key should live outside the data folder, readable by the app's user only.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wildlens.model.bundle.signing import SigningError, sign_text, verify_text

SHOWN = 5  # event ids named in one problem line before "and N more"


@dataclass(frozen=True)
class Head:
    """One line of the log."""

    event: int
    chain: str
    record: int = 0
    time: str = ""
    start: bool = False  # the first line of a log added to a store that already had events
    signature: dict[str, str] | None = None

    def signed_text(self) -> str:
        return f"wildlens-review-head\n{self.event}\n{self.chain}\n{self.time}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _few(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


class HeadLog:
    def __init__(self, path: Path, site_key: str | Path = "", sign_every: int = 20):
        self.path = Path(path)
        self.site_key = str(site_key or "")
        self.sign_every = max(1, int(sign_every))

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def _write(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode()
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            os.write(handle, line)
            os.fsync(handle)
        finally:
            os.close(handle)

    def start(self, event: int, chain: str) -> None:
        """Anchor a store that had events before it had this log: checked from `event` on."""
        self._write({"event": event, "chain": chain, "time": _now(), "start": True})

    def append(self, event: int, record: int, chain: str) -> None:
        """Log a new head (signed every `sign_every` events when the site has a key)."""
        entry = {"event": event, "record": record, "chain": chain, "time": _now()}
        if self.site_key and event % self.sign_every == 0:
            entry["signature"] = self._signature(Head(event, chain, record, entry["time"]))
        self._write(entry)

    def sign(self, event: int, chain: str) -> Head | None:
        """A signed head, also logged (None without a site key): what case reports print."""
        if not self.site_key:
            return None
        head = Head(event, chain, time=_now())
        signature = self._signature(head)
        self._write({"event": event, "chain": chain, "time": head.time, "signature": signature})
        return Head(event, chain, time=head.time, signature=signature)

    def _signature(self, head: Head) -> dict[str, str]:
        return sign_text(self.site_key, head.signed_text())

    def heads(self) -> tuple[list[Head], list[str]]:
        """The lines, and a problem for each line that cannot be read."""
        if not self.path.is_file():
            return [], []
        heads, problems = [], []
        for number, line in enumerate(self.path.read_bytes().splitlines(), start=1):
            try:
                entry = json.loads(line)
                heads.append(
                    Head(
                        event=int(entry["event"]),
                        chain=str(entry["chain"]),
                        record=int(entry.get("record", 0)),
                        time=str(entry.get("time", "")),
                        start=bool(entry.get("start", False)),
                        signature=entry.get("signature"),
                    )
                )
            except (ValueError, KeyError, TypeError):
                problems.append(f"head log {self.path.name}, line {number}: damaged")
        return heads, problems

    def check(self, chains: Mapping[int, str], trusted: set[str] | None = None) -> list[str]:
        """What the database's events {id: chain} hide from this log; empty when they agree.

        Args:
            chains: every event id of the database and its chain value.
            trusted: key ids a signature must come from (None: any key that verifies).
        """
        heads, problems = self.heads()
        if not heads:
            if chains:
                problems.append(
                    f"no head log ({self.path.name}): deletions of the newest events and "
                    "recomputed chains cannot be detected"
                )
            return problems
        first = min((h.event for h in heads if h.start), default=0)
        missing, rewritten = [], []
        for head in heads:
            if head.signature is not None:
                try:
                    key = verify_text(head.signature, head.signed_text())
                except SigningError as error:
                    problems.append(f"head log, event {head.event}: {error} (the log was edited)")
                    continue
                if trusted is not None and key not in trusted:
                    problems.append(f"head log, event {head.event}: signed by untrusted key {key}")
            stored = chains.get(head.event)
            if stored is None:
                missing.append(head.event)
            elif stored != head.chain:
                rewritten.append(head.event)
        newest = max(chains, default=0)
        tail = sorted({e for e in missing if e > newest})
        inner = sorted({e for e in missing if e <= newest})
        if tail:
            problems.append(
                f"events {_few(tail)} are in the head log but not in the database: the newest "
                "events (verdicts or records) were deleted"
            )
        if inner:
            problems.append(f"events {_few(inner)} are in the head log but were deleted")
        if rewritten:
            rewritten = sorted(set(rewritten))
            problems.append(
                f"events {_few(rewritten)} differ from the head log: history was rewritten from "
                f"event {rewritten[0]} on"
            )
        logged = {h.event for h in heads}
        unlogged = sorted(e for e in chains if e >= first and e not in logged)
        if unlogged:
            problems.append(
                f"events {_few(unlogged)} are not in the head log: written behind the app's "
                "back, or the log was cut"
            )
        return problems

"""The shift guard over a batch run: records are checked in the order they are written, and once
the run's answers stop looking like the calibration photos' (`wildlens.model.trust.shift`), every
later answer that would have been `identified` goes to review as `shift_suspected`. A resumed run
replays its log first, so it keeps a guard that had fired.

    guard = RunGuard(policy.guard, enabled=cfg.shift_guard)
    guard.replay(done.values()); records = guard.apply(records); guard.state()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildlens.model.trust.routing import IDENTIFIED, REVIEW, suspended_reasons
from wildlens.model.trust.shift import GuardPolicy, ShiftGuard


class RunGuard:
    def __init__(self, policy: GuardPolicy, enabled: bool = True):
        self.guard = ShiftGuard(policy)
        self.enabled = enabled
        self.fired_at_key: str | None = None

    def _watch(self, record: dict[str, Any]) -> None:
        if record.get("status") != "ok" or not isinstance(record.get("signals"), dict):
            return
        was_fired = self.guard.fired
        self.guard.update(record["signals"])
        if self.guard.fired and not was_fired:
            self.fired_at_key = record["key"]

    def replay(self, records: Iterable[dict[str, Any]]) -> None:
        """Records already in the log, in log order."""
        for record in records:
            self._watch(record)

    def apply(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """New records, in the order they will be written; answers after the guard fired are
        suspended (the record that fired it was decided before and stands)."""
        out = []
        for record in records:
            suspend = self.enabled and self.guard.fired and record.get("decision") == IDENTIFIED
            if suspend:
                record = {
                    **record,
                    "decision": REVIEW,
                    "reasons": list(suspended_reasons(len(record.get("shortlist") or []))),
                }
            self._watch(record)
            out.append(record)
        return out

    def state(self) -> dict[str, Any]:
        return {**self.guard.state(), "enabled": self.enabled, "fired_at_key": self.fired_at_key}

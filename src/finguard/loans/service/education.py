"""Education campaigns: field events recorded by branches, totals, and the public pages' views."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from finguard.core.errors import FieldProblem, ImportRejected, InvalidInput, NotFound
from finguard.loans.model.education import TOPICS, FieldEvent, Topic, parse_event, totals


class EducationStore(Protocol):
    def add_events(self, events: Sequence[FieldEvent], actor: str, at: datetime) -> int: ...

    def events(self, *, branch: str | None = None, campaign: str | None = None) -> list[FieldEvent]: ...

    def count_view(self, topic: str, lang: str, day: date) -> None: ...

    def views(self) -> dict[str, dict[str, int]]: ...


class EducationService:
    def __init__(self, store: EducationStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def record(self, rows: Iterable[tuple[int, Mapping[str, Any]]], actor: str) -> int:
        """Field events, all or nothing; every bad row is reported with its line."""
        events: list[FieldEvent] = []
        problems: list[FieldProblem] = []
        for line, data in rows:
            try:
                events.append(parse_event(data, line))
            except InvalidInput as exc:
                problems.extend(exc.problems)
        if problems:
            raise ImportRejected(f"{len(problems)} problem(s); nothing was recorded", problems=problems)
        return self.store.add_events(events, actor, self.clock())

    def report(self, by: str = "branch") -> dict[str, Any]:
        events = self.store.events()
        return {"by": by, "rows": totals(events, by), "events": len(events), "leaflets": sum(e.leaflets for e in events),
                "questions": sum(e.questions for e in events), "page_views": self.store.views()}

    def view(self, slug: str, lang: str) -> Topic:
        """The topic to show, counted as one view."""
        topic = TOPICS.get(slug)
        if topic is None:
            raise NotFound(f"no education page {slug[:40]}")
        self.store.count_view(slug, lang, self.clock().date())
        return topic

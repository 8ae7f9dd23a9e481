"""Risk lists: create lists, add / modify / delist entries, read history.

Every change goes through :meth:`ListStore.apply`, which writes the entries and the
append-only change log in one transaction and returns the changes with their sequences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from finguard.core.clock import Clock, utcnow
from finguard.core.errors import InvalidInput, NotFound
from finguard.core.identifiers import IdType, normalize
from finguard.core.text import name_key
from finguard.lists.model.lists import (
    Change,
    ChangeOp,
    Entry,
    EntryDraft,
    ListKind,
    RiskLevel,
    RiskList,
    draft_from_dict,
    validate_list_code,
)


@dataclass(frozen=True, slots=True)
class EntryOp:
    """One change to apply: add a draft, replace an entry's draft, or delist an entry."""

    op: ChangeOp
    key: str
    draft: EntryDraft | None = None
    entry_id: int | None = None
    reason: str = ""


class ListStore(Protocol):
    """What the list service needs from storage."""

    def create_list(self, lst: RiskList) -> RiskList: ...
    def get_list(self, code: str) -> RiskList | None: ...
    def all_lists(self) -> list[RiskList]: ...
    def apply(self, lst: RiskList, actor: str, ops: Sequence[EntryOp], now: datetime) -> list[Change]: ...
    def entry_states(self, list_code: str) -> dict[str, tuple[int, str, bool]]: ...
    def get_entry(self, entry_id: int) -> Entry | None: ...
    def get_entries(self, entry_ids: Sequence[int]) -> list[Entry]: ...
    def list_entries(self, list_code: str, *, active_only: bool, limit: int, offset: int) -> list[Entry]: ...
    def find_by_identifier(self, id_type: str, value: str) -> list[Entry]: ...
    def find_by_name(self, key: str, limit: int) -> list[Entry]: ...
    def count_entries(self, list_code: str, *, active_only: bool) -> int: ...
    def changes_since(self, seq: int, limit: int) -> list[Change]: ...
    def changes_of_list(self, list_code: str, upto_seq: int | None) -> list[Change]: ...
    def changes_of_entry(self, entry_id: int, limit: int) -> list[Change]: ...
    def head_seq(self) -> int: ...
    def record_import(self, run: dict[str, Any]) -> None: ...




class ListService:
    def __init__(self, store: ListStore, clock: Clock = utcnow, on_change: Callable[[], object] | None = None) -> None:
        self.store = store
        self.clock = clock
        # Called after every committed change so this process sees it before the call returns.
        self.on_change = on_change

    def create_list(
        self,
        code: str,
        name: str,
        kind: str,
        owner: str,
        default_level: object = RiskLevel.HIGH,
        description: str = "",
    ) -> RiskList:
        code = validate_list_code(code)
        try:
            list_kind = ListKind(kind)
        except ValueError:
            raise InvalidInput.for_field("kind", f"unknown kind {kind!r}; accepted: {', '.join(ListKind)}") from None
        if not name or not name.strip():
            raise InvalidInput.for_field("name", "is empty")
        if not owner or not owner.strip():
            raise InvalidInput.for_field("owner", "is empty")
        level = RiskLevel.parse(default_level, "default_level")
        lst = RiskList(code, name.strip(), list_kind, owner.strip(), level, description, self.clock())
        return self.store.create_list(lst)

    def get_list(self, code: str) -> RiskList:
        lst = self.store.get_list(code)
        if lst is None:
            raise NotFound(f"no list with code {code!r}")
        return lst

    def all_lists(self) -> list[RiskList]:
        return self.store.all_lists()

    def apply(self, lst: RiskList, actor: str, ops: Sequence[EntryOp]) -> list[Change]:
        """Apply ops in one transaction and make them visible to this process before returning."""
        changes = self.store.apply(lst, actor, ops, self.clock())
        if changes and self.on_change is not None:
            self.on_change()
        return changes

    def check_addable(self, code: str, draft: EntryDraft) -> dict[str, tuple[int, str, bool]]:
        """The list's entry states; InvalidInput when an active entry already has the draft's key."""
        states = self.store.entry_states(code)
        if draft.key in states and states[draft.key][2]:
            raise InvalidInput.for_field("key", f"an active entry with key {draft.key!r} is already on list {code!r}")
        return states

    @staticmethod
    def check_delist_reason(reason: str) -> None:
        if not reason or not reason.strip():
            raise InvalidInput.for_field("reason", "a delisting needs a reason")

    def record_import(self, run: dict[str, Any]) -> None:
        """Keep an import's row in ``import_run`` (even one that changed nothing: the list was
        refreshed then, which is what its "as of" says)."""
        self.store.record_import(run)

    def add_entry(self, code: str, draft: EntryDraft, actor: str) -> Entry:
        lst = self.get_list(code)
        states = self.check_addable(code, draft)
        if draft.key in states:
            op = EntryOp(ChangeOp.MODIFY, draft.key, draft, entry_id=states[draft.key][0], reason="relisted")
        else:
            op = EntryOp(ChangeOp.ADD, draft.key, draft)
        change = self.apply(lst, actor, [op])[0]
        return self.get_entry(change.entry_id)

    def modify_entry(self, entry_id: int, changes: dict[str, Any], actor: str) -> Entry:
        entry = self.get_entry(entry_id)
        draft = self.modified_draft(entry, changes)
        if draft == entry.draft:
            return entry
        lst = self.get_list(entry.list_code)
        self.apply(lst, actor, [EntryOp(ChangeOp.MODIFY, draft.key, draft, entry_id=entry.id)])
        return self.get_entry(entry.id)

    @staticmethod
    def modified_draft(entry: Entry, changes: dict[str, Any]) -> EntryDraft:
        """The entry's draft with ``changes`` applied, every value checked; nothing is stored."""
        if entry.delisted_at is not None:
            raise InvalidInput.for_field("entry_id", "the entry is delisted; add it again to relist it")
        allowed = {"risk_level", "reason", "source", "evidence_ref", "expires_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput.for_field(sorted(unknown)[0], f"cannot be modified; modifiable: {', '.join(sorted(allowed))}")
        updates: dict[str, Any] = {}
        if "risk_level" in changes:
            updates["risk_level"] = None if changes["risk_level"] is None else RiskLevel.parse(changes["risk_level"])
        for name in ("reason", "source", "evidence_ref"):
            if name in changes:
                if not isinstance(changes[name], str):
                    raise InvalidInput.for_field(name, "must be a string")
                updates[name] = changes[name]
        if "expires_at" in changes:
            value = changes["expires_at"]
            if value is not None and not isinstance(value, datetime):
                raise InvalidInput.for_field("expires_at", "must be a date-time with a time zone")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise InvalidInput.for_field("expires_at", "must carry a time zone")
            updates["expires_at"] = value
        return replace(entry.draft, **updates)

    def delist(self, entry_id: int, reason: str, actor: str) -> Entry:
        self.check_delist_reason(reason)
        entry = self.get_entry(entry_id)
        if entry.delisted_at is not None:
            return entry
        lst = self.get_list(entry.list_code)
        self.apply(lst, actor, [EntryOp(ChangeOp.DELIST, entry.draft.key, entry_id=entry.id, reason=reason.strip())])
        return self.get_entry(entry.id)

    def get_entry(self, entry_id: int) -> Entry:
        entry = self.store.get_entry(entry_id)
        if entry is None:
            raise NotFound(f"no entry with id {entry_id}")
        return entry

    def list_entries(self, code: str, *, active_only: bool = True, limit: int = 100, offset: int = 0) -> list[Entry]:
        self.get_list(code)
        return self.store.list_entries(code, active_only=active_only, limit=limit, offset=offset)

    def find_by_identifier(self, id_type: str, raw: str) -> list[Entry]:
        value = normalize(id_type, raw, "value")
        return self.store.find_by_identifier(IdType(id_type), value)

    def find_by_name(self, raw: str, limit: int = 100) -> list[Entry]:
        """Entries whose name holds every word of ``raw`` (compared by the exact name key: case,
        accents, punctuation and word order ignored)."""
        key = name_key(raw or "")
        if not key:
            raise InvalidInput.for_field("name", "give a name with letters or digits")
        return self.store.find_by_name(key[:500], limit)

    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        if seq < 0:
            raise InvalidInput.for_field("since", "must be a non-negative sequence number")
        if not 1 <= limit <= 10_000:
            raise InvalidInput.for_field("limit", "must be between 1 and 10000")
        return self.store.changes_since(seq, limit)

    def state_at(self, code: str, seq: int, at: datetime | None = None) -> list[tuple[int, EntryDraft, RiskLevel]]:
        """Reconstruct a list's active entries as they stood right after change ``seq``.

        Replays the change log; ``at`` decides expiry (default: now). Returns
        ``(entry_id, draft, risk_level)`` sorted by entry id.
        """
        self.get_list(code)
        when = at or self.clock()
        last: dict[int, dict[str, Any]] = {}
        for change in self.store.changes_of_list(code, seq):
            last[change.entry_id] = change.snapshot
        out: list[tuple[int, EntryDraft, RiskLevel]] = []
        for entry_id in sorted(last):
            snap = last[entry_id]
            if snap.get("delisted_at"):
                continue
            draft = draft_from_dict(snap["draft"])
            if draft.expires_at is not None and draft.expires_at <= when:
                continue
            out.append((entry_id, draft, RiskLevel(snap["risk_level"])))
        return out

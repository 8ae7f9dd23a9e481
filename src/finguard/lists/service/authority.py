"""List writes by a person: the list kind's authority, and maker-checker for changes that lower outcomes.

Every adapter (API, staff pages, CLI) writes lists through :class:`ListAuthority` with the
:class:`Principal` acting. A change that cannot lower an outcome is applied at once; one that can
(see :mod:`finguard.lists.model.authority`) becomes a :class:`PendingChange`, applied only when a
second person with an approver's role approves it. ``ListService`` itself stays the trusted
library interface (imports of an owner's feed, the demo loader, tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from finguard.access.model import ChangeProposal, PendingChange, Principal
from finguard.access.service.approvals import ApprovalService
from finguard.lists.model.authority import add_lowers, approvers, check_write, delist_lowers, modify_lowers
from finguard.lists.model.lists import ChangeOp, Entry, EntryDraft, ListKind, RiskList, draft_from_dict, draft_to_dict
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importing import ImportGuards, ImportMode, ImportReport, Progress, import_rows
from finguard.lists.service.lists import EntryOp, ListService

ADD, MODIFY, DELIST, OPS = "lists.add_entry", "lists.modify_entry", "lists.delist", "lists.apply_ops"


def _level(draft: EntryDraft, lst: RiskList) -> Any:
    return draft.risk_level or lst.default_level


def _jsonable_changes(changes: dict[str, Any], draft: EntryDraft) -> dict[str, Any]:
    # Stored as the validated values, so the approver approves exactly what was checked.
    out: dict[str, Any] = {}
    for name in changes:
        value = getattr(draft, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else (int(value) if name == "risk_level" and value else value)
    return out


class ListAuthority:
    def __init__(self, lists: ListService, approvals: ApprovalService) -> None:
        self.lists = lists
        self.approvals = approvals
        approvals.register(ADD, self._apply_add)
        approvals.register(MODIFY, self._apply_modify)
        approvals.register(DELIST, self._apply_delist)
        approvals.register(OPS, self._apply_ops)

    # -- what a person asks for ---------------------------------------------------------------

    def add_entry(self, code: str, draft: EntryDraft, who: Principal) -> Entry | PendingChange:
        lst = self.lists.get_list(code)
        check_write(who.role, lst)
        if not add_lowers(lst.kind):
            return self.lists.add_entry(code, draft, who.actor)
        self.lists.check_addable(code, draft)
        level = _level(draft, lst).label
        proposal = ChangeProposal(
            ADD,
            f"{code}/{draft.key}",
            f"add {draft.key!r} to the {lst.kind.value} list {code!r} at {level}",
            {"code": code, "draft": draft_to_dict(draft)},
            approvers(lst.kind),
            draft.reason,
        )
        return self.approvals.propose(who, proposal)

    def modify_entry(self, entry_id: int, changes: dict[str, Any], who: Principal) -> Entry | PendingChange:
        entry = self.lists.get_entry(entry_id)
        lst = self.lists.get_list(entry.list_code)
        check_write(who.role, lst)
        draft = self.lists.modified_draft(entry, changes)
        if draft == entry.draft:
            return entry
        lowers = modify_lowers(lst.kind, _level(entry.draft, lst), _level(draft, lst), entry.draft.expires_at, draft.expires_at)
        if not lowers:
            return self.lists.modify_entry(entry_id, changes, who.actor)
        proposal = ChangeProposal(
            MODIFY,
            f"{lst.code}/{entry.draft.key}",
            f"modify entry {entry_id} ({entry.draft.key!r}) of the {lst.kind.value} list {lst.code!r}: "
            + ", ".join(f"{k}={v}" for k, v in _jsonable_changes(changes, draft).items()),
            {"entry_id": entry_id, "changes": _jsonable_changes(changes, draft)},
            approvers(lst.kind),
            draft.reason if "reason" in changes else "",
        )
        return self.approvals.propose(who, proposal)

    def delist(self, entry_id: int, reason: str, who: Principal) -> Entry | PendingChange:
        entry = self.lists.get_entry(entry_id)
        lst = self.lists.get_list(entry.list_code)
        check_write(who.role, lst)
        if not delist_lowers(lst.kind) or entry.delisted_at is not None:
            return self.lists.delist(entry_id, reason, who.actor)
        self.lists.check_delist_reason(reason)
        proposal = ChangeProposal(
            DELIST,
            f"{lst.code}/{entry.draft.key}",
            f"delist entry {entry_id} ({entry.draft.key!r}) from the {lst.kind.value} list {lst.code!r}",
            {"entry_id": entry_id, "reason": reason.strip()},
            approvers(lst.kind),
            reason.strip(),
        )
        return self.approvals.propose(who, proposal)

    def import_rows(
        self,
        code: str,
        rows: Iterable[ParsedRow],
        who: Principal,
        *,
        mode: ImportMode = ImportMode.SYNC,
        skip_bad_rows: bool = False,
        progress: Progress | None = None,
        guards: ImportGuards | None = None,
        fmt: str = "",
        source: str = "",
        source_date: datetime | None = None,
    ) -> ImportReport:
        """An import by ``who``: refused if the role may not write the list; the operations that
        would lower outcomes are taken out and held, together, as one pending change. ``guards``:
        how much damage the import may do before it is refused (see ``importing``)."""
        held: list[PendingChange] = []

        def hold(lst: RiskList, ops: list[EntryOp]) -> list[EntryOp]:
            check_write(who.role, lst)
            entries = {e.id: e for e in self.lists.store.get_entries([o.entry_id for o in ops if o.entry_id is not None])}
            now_ops: list[EntryOp] = []
            later: list[EntryOp] = []
            for op in ops:
                (later if self._op_lowers(lst, op, entries.get(op.entry_id or -1)) else now_ops).append(op)
            if later:
                payload = [
                    {
                        "op": op.op.value,
                        "key": op.key,
                        "entry_id": op.entry_id,
                        "reason": op.reason,
                        "draft": draft_to_dict(op.draft) if op.draft else None,
                    }
                    for op in later
                ]
                proposal = ChangeProposal(
                    OPS,
                    lst.code,
                    f"{len(later)} change(s) from an import that lower outcomes on the {lst.kind.value} list {lst.code!r}",
                    {"code": lst.code, "ops": payload},
                    approvers(lst.kind),
                    "held back from an import",
                )
                held.append(self.approvals.propose(who, proposal))
            return now_ops

        report = import_rows(
            self.lists, code, rows, actor=who.actor, mode=mode, skip_bad_rows=skip_bad_rows, progress=progress, hold=hold,
            guards=guards, fmt=fmt, source=source, source_date=source_date,
        )
        if not held:
            return report
        return replace(report, held=len(held[0].proposal.payload["ops"]), pending_change=held[0].id)

    @staticmethod
    def _op_lowers(lst: RiskList, op: EntryOp, entry: Entry | None) -> bool:
        if op.op is ChangeOp.ADD:
            return add_lowers(lst.kind)
        if op.op is ChangeOp.DELIST:
            return delist_lowers(lst.kind)
        assert op.draft is not None
        if entry is None or entry.delisted_at is not None:  # a relisting
            return add_lowers(lst.kind)
        old, new = entry.draft, op.draft
        if modify_lowers(lst.kind, _level(old, lst), _level(new, lst), old.expires_at, new.expires_at):
            return True
        # An allow entry whose identifiers or names change now clears something else.
        return lst.kind is ListKind.ALLOW and (old.identifiers != new.identifiers or old.party != new.party)

    # -- what an approval applies ---------------------------------------------------------------

    def _apply_add(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        entry = self.lists.add_entry(payload["code"], draft_from_dict(payload["draft"]), actor)
        return {"entry_id": entry.id, "version": entry.version}

    def _apply_modify(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        changes = dict(payload["changes"])
        if changes.get("expires_at"):
            changes["expires_at"] = datetime.fromisoformat(changes["expires_at"])
        entry = self.lists.modify_entry(int(payload["entry_id"]), changes, actor)
        return {"entry_id": entry.id, "version": entry.version}

    def _apply_delist(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        entry = self.lists.delist(int(payload["entry_id"]), payload["reason"], actor)
        return {"entry_id": entry.id, "version": entry.version}

    def _apply_ops(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        lst = self.lists.get_list(payload["code"])
        states = self.lists.store.entry_states(lst.code)
        ops: list[EntryOp] = []
        skipped = 0
        for raw in payload["ops"]:
            op = ChangeOp(raw["op"])
            state = states.get(raw["key"])
            draft = draft_from_dict(raw["draft"]) if raw.get("draft") else None
            # The list may have moved on since the import: apply what still makes sense.
            if op is ChangeOp.DELIST and (state is None or not state[2]):
                skipped += 1
            elif op is ChangeOp.ADD and state is not None:
                ops.append(EntryOp(ChangeOp.MODIFY, raw["key"], draft, entry_id=state[0], reason="relisted"))
            elif op is ChangeOp.MODIFY and state is None:
                ops.append(EntryOp(ChangeOp.ADD, raw["key"], draft))
            else:
                entry_id = state[0] if state is not None else None
                ops.append(EntryOp(op, raw["key"], draft, entry_id=entry_id, reason=raw.get("reason") or ""))
        changes = self.lists.apply(lst, actor, ops) if ops else []
        return {"applied": len(changes), "skipped": skipped}

"""Risk lists, the change log and imports, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from finguard.app.platform import DATA, Platform
from finguard.core.errors import Conflict, ImportRejected, InvalidInput, NotFound
from finguard.core.identifiers import IdType
from finguard.lists.model.check import CheckRequest, Outcome
from finguard.lists.model.lists import ChangeOp, EntryDraft, Identifier, SubjectKind
from finguard.lists.service.importers.tabular import export_records, parse_jsonl, write_jsonl

ACCOUNT = "6222021001122334455"


def draft(key: str, account: str, **kw: object) -> EntryDraft:
    return EntryDraft(key, SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, account),), **kw)  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_create_list_validates_and_rejects_duplicates(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    with pytest.raises(Conflict):
        platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    with pytest.raises(InvalidInput) as exc:
        platform.lists.create_list("x y", "Bad", "fraud_account", "PSB")
    assert exc.value.problems[0].field == "code"
    with pytest.raises(InvalidInput) as exc:
        platform.lists.create_list("ok", "Bad", "nonsense", "PSB")
    assert exc.value.problems[0].field == "kind"
    with pytest.raises(NotFound):
        platform.lists.get_list("missing")


def test_add_modify_delist_are_logged_in_sequence(platform: Platform) -> None:
    """Every change is one change-log row with a strictly increasing sequence and its actor."""
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    entry = platform.lists.add_entry("police", draft("a1", ACCOUNT, reason="fraud"), actor="alice")
    modified = platform.lists.modify_entry(entry.id, {"risk_level": "medium"}, actor="bob")
    delisted = platform.lists.delist(entry.id, "report withdrawn", actor="carol")
    changes = platform.lists.changes_since(0)
    assert [c.op for c in changes] == [ChangeOp.ADD, ChangeOp.MODIFY, ChangeOp.DELIST]
    assert [c.actor for c in changes] == ["alice", "bob", "carol"]
    assert changes[0].seq < changes[1].seq < changes[2].seq
    assert modified.version == 2 and modified.risk_level.label == "medium"
    assert delisted.delisted_at is not None and delisted.delist_reason == "report withdrawn"
    # Delisted entries stay in history.
    assert platform.lists.get_entry(entry.id).draft.key == "a1"


def test_state_can_be_reconstructed_at_any_sequence(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    a = platform.lists.add_entry("police", draft("a", "62220000000001"), "t")
    platform.lists.add_entry("police", draft("b", "62220000000002"), "t")
    platform.lists.delist(a.id, "wrong", "t")
    seqs = [c.seq for c in platform.lists.changes_since(0)]
    assert [d.key for _, d, _ in platform.lists.state_at("police", seqs[0])] == ["a"]
    assert [d.key for _, d, _ in platform.lists.state_at("police", seqs[1])] == ["a", "b"]
    assert [d.key for _, d, _ in platform.lists.state_at("police", seqs[2])] == ["b"]


def test_expired_and_delisted_entries_stop_matching(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    past = datetime.now(UTC) - timedelta(days=1)
    platform.lists.add_entry("police", draft("old", "62220000000001", expires_at=past), "t")
    e = platform.lists.add_entry("police", draft("live", "62220000000002"), "t")
    assert platform.checker.check(CheckRequest(account="62220000000001")).outcome is Outcome.PASS
    assert platform.checker.check(CheckRequest(account="62220000000002")).outcome is Outcome.BLOCK
    platform.lists.delist(e.id, "cleared", "t")
    assert platform.checker.check(CheckRequest(account="62220000000002")).outcome is Outcome.PASS


CSV = """key,id_type,id_value,risk_level,reason
k1,account,6222 0210 0112 2334 455,critical,telecom fraud
k2,phone,139 1234 5678,medium,fraud calls
k3,card,6228480402564890018,,mule card
"""


def test_csv_import_is_idempotent_and_applies_only_differences(platform: Platform, tmp_path: Path) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "high")
    first = platform.import_file("police", "csv", write(tmp_path, "a.csv", CSV), actor="t")
    assert (first.added, first.changed, first.delisted, first.rejected) == (3, 0, 0, ())
    again = platform.import_file("police", "csv", write(tmp_path, "a.csv", CSV), actor="t")
    assert (again.added, again.changed, again.delisted, again.unchanged) == (0, 0, 0, 3)
    assert again.first_seq is None
    changed = CSV.replace("fraud calls", "fraud calls confirmed").replace("k3,card,6228480402564890018,,mule card\n", "")
    # Dropping one of three entries is a third of the list: a sync import may do it only when allowed.
    third = platform.import_file("police", "csv", write(tmp_path, "b.csv", changed), actor="t", allow_mass_delist=True)
    assert (third.added, third.changed, third.delisted, third.unchanged) == (0, 1, 1, 1)
    assert platform.checker.check(CheckRequest(card="6228480402564890018")).outcome is Outcome.PASS


MORE = "".join(f"m{i},account,62220000000{i:05d},high,mule\n" for i in range(20))


def test_bad_row_rejects_the_whole_import_unless_skipping(platform: Platform, tmp_path: Path) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    bad = CSV + MORE + "k4,card,1234567890123,high,not luhn\nk5,teleporter,42,high,unknown type\n"
    with pytest.raises(ImportRejected) as exc:
        platform.import_file("police", "csv", write(tmp_path, "bad.csv", bad), actor="t")
    assert [(p.line, p.field) for p in exc.value.problems] == [(25, "id_value"), (26, "id_type")]
    assert platform.lists.changes_since(0) == []  # nothing changed
    report = platform.import_file("police", "csv", write(tmp_path, "bad.csv", bad), actor="t", skip_bad_rows=True)
    assert report.added == 23 and [p.line for p in report.rejected] == [25, 26]


def test_malformed_files_are_clear_errors(platform: Platform, tmp_path: Path) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    with pytest.raises(ImportRejected) as exc:
        platform.import_file("police", "csv", write(tmp_path, "h.csv", "colour,id_value\nred,1\n"), actor="t")
    assert exc.value.problems[0].field == "header"
    with pytest.raises(ImportRejected) as exc:
        platform.import_file(
            "police", "jsonl", write(tmp_path, "x.jsonl", '{"id_type": "account", "id_value": "62220000000001"}\n{oops\n'), actor="t"
        )
    assert exc.value.problems[0].line == 2
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"key,id_type\n\xff\xfe\x00bad")
    with pytest.raises(ImportRejected) as exc:
        platform.import_file("police", "csv", binary, actor="t")
    assert exc.value.problems[0].field == "file"
    with pytest.raises(InvalidInput):
        platform.import_file("police", "xls", binary, actor="t")


def test_a_failed_import_leaves_the_previous_state(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Atomicity: a crash half-way through applying rolls the whole import back."""
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    platform.import_file("police", "csv", write(tmp_path, "a.csv", CSV), actor="t")
    before = platform.lists.changes_since(0)
    store = platform.list_store
    original = store._apply_batch
    calls = {"n": 0}

    def crash(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("killed mid-import")

    monkeypatch.setattr(store, "_apply_batch", crash)
    with pytest.raises(RuntimeError):
        platform.import_file("police", "csv", write(tmp_path, "b.csv", CSV.replace("fraud calls", "changed")), actor="t")
    monkeypatch.undo()
    assert calls["n"] == 1
    assert platform.lists.changes_since(0) == before
    assert platform.lists.find_by_identifier("phone", "13912345678")[0].draft.reason == "fraud calls"


def test_export_reimports_unchanged(platform: Platform, tmp_path: Path) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    platform.import_file("police", "csv", write(tmp_path, "a.csv", CSV), actor="t")
    out = io.StringIO()
    n = write_jsonl(export_records((d, lvl) for _, d, lvl in platform.lists.state_at("police", platform.follower.seq)), out)
    assert n == 3
    assert all(r.problem is None for r in parse_jsonl(io.StringIO(out.getvalue())))
    report = platform.import_file("police", "jsonl", write(tmp_path, "e.jsonl", out.getvalue()), actor="t")
    assert (report.added, report.changed, report.delisted, report.unchanged) == (0, 0, 0, 3)
    assert json.loads(out.getvalue().splitlines()[0])["identifiers"][0]["value"] == ACCOUNT


def test_allow_list_outweighs_lower_risk_but_not_higher(platform: Platform) -> None:
    """Allow entries at level L win over risk hits of level <= L; a higher risk still wins."""
    platform.lists.create_list("watch", "Watch", "internal", "bank", "medium")
    platform.lists.create_list("verified", "Verified", "allow", "bank", "high")
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("watch", draft("w", ACCOUNT), "t")
    platform.lists.add_entry("verified", draft("v", ACCOUNT), "t")
    assert platform.checker.check(CheckRequest(account=ACCOUNT)).outcome is Outcome.PASS
    platform.lists.add_entry("police", draft("p", ACCOUNT), "t")
    result = platform.checker.check(CheckRequest(account=ACCOUNT))
    assert result.outcome is Outcome.BLOCK
    assert {h.list_code for h in result.hits} == {"watch", "verified", "police"}


def test_real_sanctions_lists_import(platform: Platform) -> None:
    platform.lists.create_list("ofac", "OFAC", "sanctions", "OFAC", "critical")
    platform.lists.create_list("un", "UN", "sanctions", "UN", "critical")
    ofac = platform.import_file("ofac", "ofac", DATA / "ofac-sdn" / "sdn.csv", actor="t")
    un = platform.import_file("un", "un", DATA / "un-consolidated.xml", actor="t")
    assert ofac.added == 8976 and not ofac.rejected
    assert un.added == 1003 and not un.rejected
    # 9,979 entries: let the follower apply them before checking (a check while it is still behind
    # answers "unavailable", as it must; that is tested elsewhere, the lookup is tested here)
    platform.follower.catch_up()
    hit = platform.checker.check(CheckRequest(id_number="210302198701102136"))
    assert hit.outcome is Outcome.BLOCK and hit.hits[0].list_code == "ofac"
    again = platform.import_file("ofac", "ofac", DATA / "ofac-sdn", actor="t")
    assert again.unchanged == 8976 and again.added == again.changed == again.delisted == 0

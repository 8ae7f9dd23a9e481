"""Imports never wipe a list (#16): a wrong file is refused whole, a mass delisting needs consent.

Each test runs on SQLite and PostgreSQL (the ``platform`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finguard.app.platform import Platform
from finguard.core.errors import ImportRejected, InvalidInput
from finguard.lists.model.lists import EntryDraft
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importers.tabular import draft_from_record
from finguard.lists.service.importing import ImportGuards, MassDelistRefused, import_rows

HEADER = "key,id_type,id_value,risk_level,reason\n"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"k{i},account,62220000000{i:05d},high,mule\n" for i in range(start, start + n))


def drafts(n: int) -> list[EntryDraft]:
    return [
        draft_from_record({"key": f"k{i}", "id_type": "account", "id_value": f"62220000000{i:05d}", "risk_level": "high", "reason": "mule"})
        for i in range(n)
    ]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def police(platform: Platform, tmp_path: Path) -> Platform:
    """A list of 100 active entries, k0..k99."""
    platform.lists.create_list("police", "Police", "fraud_account", "PSB")
    platform.import_file("police", "csv", write(tmp_path, "full.csv", HEADER + rows(100)), actor="t")
    return platform


def active(p: Platform) -> int:
    return sum(1 for _id, (_e, _h, on) in p.lists.store.entry_states("police").items() if on)


def test_a_wrong_header_is_refused_whole_even_when_skipping_bad_rows(police: Platform, tmp_path: Path) -> None:
    """The reported case: --skip-bad-rows with a wrong header delisted the whole list."""
    seq = police.lists.changes_since(0)[-1].seq
    wrong = write(tmp_path, "wrong.csv", "Key;ID Type;ID Value\nk1;account;6222000000000001\n")
    with pytest.raises(ImportRejected) as exc:
        police.import_file("police", "csv", wrong, actor="t", skip_bad_rows=True)
    assert exc.value.problems[0].field == "header" and "nothing was imported" in exc.value.message
    assert police.lists.changes_since(seq) == [] and active(police) == 100


def test_wrong_xml_and_undecodable_text_are_refused_whole(police: Platform, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as exc:
        police.import_file("police", "un", write(tmp_path, "x.xml", "<OTHER/>"), actor="t", skip_bad_rows=True)
    assert exc.value.problems[0].field == "xml"
    binary = tmp_path / "bin.csv"
    binary.write_bytes(HEADER.encode() + b"k1,account,\xff\xfe\n")
    with pytest.raises(ImportRejected):
        police.import_file("police", "csv", binary, actor="t", skip_bad_rows=True)
    assert active(police) == 100


def test_more_than_the_set_share_of_bad_rows_is_refused_even_when_skipping(police: Platform, tmp_path: Path) -> None:
    """100 rows with 11 bad (11% > 10%) is refused; with 10 bad (10%) the good rows are imported."""
    good = rows(89, 200)
    bad = "".join(f"b{i},card,1234567890123,high,not luhn\n" for i in range(11))
    with pytest.raises(ImportRejected) as exc:
        police.import_file("police", "csv", write(tmp_path, "a.csv", HEADER + good + bad), actor="t", mode="append", skip_bad_rows=True)
    assert "11 of 100 rows are bad" in exc.value.message and len(exc.value.problems) == 11
    ok = police.import_file(
        "police",
        "csv",
        write(tmp_path, "b.csv", HEADER + rows(90, 200) + bad[: bad.rindex("b10")]),
        actor="t",
        mode="append",
        skip_bad_rows=True,
    )
    assert (ok.added, len(ok.rejected)) == (90, 10)


def test_sync_refuses_to_delist_more_than_the_set_share_without_consent(police: Platform, tmp_path: Path) -> None:
    """Dropping 21 of 100 entries (over 20%) needs allow_mass_delist; dropping 20 does not."""
    path = write(tmp_path, "shrunk.csv", HEADER + rows(79))
    with pytest.raises(MassDelistRefused) as exc:
        police.import_file("police", "csv", path, actor="t")
    assert "delist 21 of the list's 100" in exc.value.message
    assert active(police) == 100
    report = police.import_file("police", "csv", path, actor="t", allow_mass_delist=True)
    assert report.delisted == 21 and active(police) == 79
    twenty_percent = police.import_file("police", "csv", write(tmp_path, "s2.csv", HEADER + rows(64)), actor="t")
    assert twenty_percent.delisted == 15  # 15 of 79 is under 20%


def test_a_file_with_no_usable_row_is_an_error_not_a_success(police: Platform, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        police.import_file("police", "csv", write(tmp_path, "empty.csv", HEADER), actor="t", mode="append")
    with pytest.raises(ImportRejected):
        police.import_file("police", "csv", write(tmp_path, "allbad.csv", HEADER + "b,card,1,high,x\n"), actor="t", skip_bad_rows=True)
    assert active(police) == 100


def test_the_shares_are_configurable(police: Platform) -> None:
    with pytest.raises(InvalidInput) as exc:
        ImportGuards(max_delist_share=1.5)
    assert exc.value.problems[0].field == "max_delist_share"
    lenient = ImportGuards(max_delist_share=0.5)
    report = import_rows(police.lists, "police", [ParsedRow(i + 2, draft=d) for i, d in enumerate(drafts(60))], actor="t", guards=lenient)
    assert report.delisted == 40
    assert police.import_guards().max_delist_share == police.settings.list_import_max_delist_share == 0.20


def test_an_unknown_import_mode_is_a_named_problem_not_a_traceback() -> None:
    """`finguard lists import --mode upsert` raised a bare ValueError (a traceback); it is refused naming the field."""
    import pytest

    from finguard.core.errors import InvalidInput
    from finguard.lists.service.importing import ImportMode

    assert ImportMode.of("append") is ImportMode.APPEND
    with pytest.raises(InvalidInput) as refused:
        ImportMode.of("upsert")
    assert refused.value.problems[0].field == "mode" and "sync, append" in refused.value.problems[0].problem

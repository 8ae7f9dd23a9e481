"""Counterparty due diligence: screening stored parties, analyst decisions, delta screening, alerts."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from finguard.app.platform import Platform
from finguard.core.errors import InvalidInput, NotFound
from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.model.diligence import Counterparty, PartyKind, Purpose, ScreenOutcome, counterparty_from_record
from finguard.screening.service.diligence import read_party_records

from .conftest import make_settings


def person(key: str, *names: str, birth: str | None = None) -> EntryDraft:
    return EntryDraft(key, SubjectKind.PERSON, party=Party(names=names, birth_dates=(birth,) if birth else ()), reason="sanctioned")


def party(name: str, key: str | None = None, kind: PartyKind = PartyKind.PERSON, purpose: Purpose = Purpose.CONTRACT) -> Counterparty:
    return Counterparty(key or name, kind, name, purpose)


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    """Delta screening runs when a test says so, not in the background, so alerts are deterministic."""
    with Platform(make_settings(db_url, tmp_path, delta_screening=False)) as p:
        yield p


@pytest.fixture
def sdn(platform: Platform) -> Platform:
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    platform.lists.add_entry("sdn", person("maduro", "MADURO MOROS, Nicolas", birth="1962-11-23"), "t")
    platform.lists.add_entry("sdn", EntryDraft("huawei", SubjectKind.ORGANISATION, party=Party(names=("华为技术有限公司",))), "t")
    return platform


def test_screening_a_listed_counterparty_matches_and_raises_an_alert(sdn: Platform) -> None:
    result = sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-1"))
    assert result.outcome is ScreenOutcome.MATCH
    assert result.hits[0].hit.listed_name.startswith("MADURO")
    assert result.hits[0].hit.features, "every hit is explained"
    assert len(result.alerts) == 1
    (alert,) = sdn.diligence.alerts()
    assert alert.subject == "party:c-1" and alert.details["list_code"] == "sdn"


def test_traditional_chinese_company_name_matches(sdn: Platform) -> None:
    result = sdn.diligence.screen(party("華為技術有限公司", kind=PartyKind.ORGANISATION, purpose=Purpose.SUPPLIER))
    assert result.outcome in (ScreenOutcome.MATCH, ScreenOutcome.CLOSE_MATCH)


def test_rescreening_unchanged_party_raises_no_new_alert(sdn: Platform) -> None:
    sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-1"))
    again = sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-1"))
    assert again.outcome is ScreenOutcome.MATCH and again.alerts == ()


def test_false_positive_suppresses_until_the_entry_or_party_changes(sdn: Platform) -> None:
    first = sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-2"))
    entry_id = first.hits[0].hit.entry_id
    decision = sdn.diligence.decide("c-2", entry_id, "false_positive", "different person: born 1990", "analyst-7")
    assert decision.actor == "analyst-7"
    suppressed = sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-2"))
    assert suppressed.outcome is ScreenOutcome.NO_MATCH and suppressed.hits[0].suppressed
    # The list entry changes: the decision no longer applies.
    sdn.lists.modify_entry(entry_id, {"reason": "new designation"}, "t")
    back = sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-2"))
    assert back.outcome is ScreenOutcome.MATCH and not back.hits[0].suppressed
    assert back.alerts, "a hit that comes back is a new alert"
    # Decisions are history: a later one is appended, the earlier one kept.
    sdn.diligence.decide("c-2", entry_id, "confirmed", "same birth date as listed", "analyst-8")
    _, decisions = sdn.diligence.party("c-2")
    assert [(d.decision.value, d.actor) for d in decisions] == [("false_positive", "analyst-7"), ("confirmed", "analyst-8")]


def test_decisions_validate_their_input(sdn: Platform) -> None:
    sdn.diligence.screen(party("Nicolas Maduro Moros", key="c-3"))
    with pytest.raises(InvalidInput):
        sdn.diligence.decide("c-3", 1, "maybe", "x", "a")
    with pytest.raises(InvalidInput):
        sdn.diligence.decide("c-3", 1, "confirmed", " ", "a")
    with pytest.raises(NotFound):
        sdn.diligence.decide("nobody", 1, "confirmed", "x", "a")


def test_delta_screening_rescreens_only_affected_parties(sdn: Platform) -> None:
    sdn.diligence.screen(party("Li Wei Ming", key="c-10"))
    sdn.diligence.screen(party("Olga Petrova", key="c-11"))
    sdn.diligence.mark_current()
    assert sdn.diligence.rescreen_pending() == []
    sdn.lists.add_entry("sdn", person("olga", "PETROVA, Olga"), "t")
    alerts = sdn.diligence.rescreen_pending()
    assert len(alerts) == 1
    (alert, *_) = sdn.diligence.alerts()
    assert alert.subject == "party:c-11"
    assert sdn.diligence.rescreen_pending() == []


def test_counterparty_records_are_validated_with_field_names() -> None:
    with pytest.raises(InvalidInput) as exc:
        counterparty_from_record({"name": "", "kind": "robot", "purpose": "fun"})
    assert {p.field for p in exc.value.problems} == {"name", "kind", "purpose"}  # no name and no identifier
    cp = counterparty_from_record({"name": "张伟", "id_type": "id_number", "id_value": "110105491231002"})
    assert cp.identifiers[0].value == "11010519491231002X"


def test_batch_reports_bad_rows_by_line(sdn: Platform) -> None:
    text = (
        "key,name,kind,purpose\nc-20,Nicolas Maduro Moros,person,contract\nc-21,,person,hire\n"
        "c-22,Acme Ltd,company,supplier\nc-23,Mary Jones,person,hire\n"
    )
    records = list(read_party_records("csv", io.StringIO(text)))
    results, problems = sdn.diligence.screen_records(records, default_purpose="customer")
    assert [r.party.key for r in results] == ["c-20", "c-23"]
    assert [(p.line, p.field) for p in problems] == [(3, "name"), (4, "kind")]
    assert results[0].outcome is ScreenOutcome.MATCH and results[1].outcome is ScreenOutcome.NO_MATCH


def test_background_delta_screening_alerts_on_a_new_listing(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path)) as p:
        p.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
        p.diligence.screen(party("Olga Petrova", key="c-30"))
        p.lists.add_entry("sdn", person("olga", "PETROVA, Olga"), "t")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not p.diligence.alerts():
            time.sleep(0.05)
        assert [a.subject for a in p.diligence.alerts()] == ["party:c-30"]


def test_thresholds_are_configurable_per_list(db_url: str, tmp_path: Path) -> None:
    """A stricter list turns what is a close match elsewhere into no match; bad settings are named."""
    strict = make_settings(db_url, tmp_path, delta_screening=False, screening_thresholds={"sdn": {"match": 0.99, "close_match": 0.95}})
    with Platform(strict) as p:
        p.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
        p.lists.create_list("pep", "PEP", "internal", "bank", "medium")
        p.lists.add_entry("sdn", person("m1", "MADURO MOROS, Nicolas"), "t")
        p.lists.add_entry("pep", person("m2", "MADURO MOROS, Nicolas"), "t")
        hits = p.diligence.screen(party("Nicolas Maduro", key="c-40")).hits
        assert [h.hit.list_code for h in hits] == ["pep"]
    with pytest.raises(InvalidInput) as exc:
        Platform(make_settings(db_url, tmp_path, screening_thresholds={"sdn": {"match": 2}}))
    assert exc.value.problems[0].field == "screening_thresholds.sdn"


def test_batch_infers_organisations_and_screens_parties_known_by_identifiers(sdn: Platform) -> None:
    """#16: an exact listed company in a supplier batch without a kind column is a match, not a person's
    'no match'; a row with only an IMO number is screened by it."""
    from finguard.core.identifiers import IdType
    from finguard.lists.model.lists import Identifier

    sdn.lists.add_entry(
        "sdn", EntryDraft("ship", SubjectKind.VESSEL, (Identifier(IdType.IMO, "9929429"),), Party(names=("SNOW STORM 1",))), "t"
    )
    sdn.lists.add_entry("sdn", EntryDraft("gpb", SubjectKind.ORGANISATION, party=Party(names=("GAZPROMBANK OAO",))), "t")
    text = "key,name,id_type,id_value\ns-1,GAZPROMBANK OAO,,\ns-2,,imo,IMO 9929429\ns-3,华为技术有限公司,,\n"
    results, problems = sdn.diligence.screen_records(list(read_party_records("csv", io.StringIO(text))), default_purpose="supplier")
    assert problems == []
    by_key = {r.party.key: r for r in results}
    assert all(r.party.kind is PartyKind.ORGANISATION for r in results)
    assert by_key["s-1"].outcome is ScreenOutcome.MATCH
    assert by_key["s-2"].outcome is ScreenOutcome.MATCH and by_key["s-2"].hits[0].hit.features[-1].name == "identifier_equal"
    assert by_key["s-3"].outcome is ScreenOutcome.MATCH


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Aslan Gül A.Ş.", PartyKind.ORGANISATION),  # Turkish
        ("Aslan Gül Gıda Ltd. Şti.", PartyKind.ORGANISATION),
        ("ΑΛΦΑ ΒΗΤΑ Α.Ε.", PartyKind.ORGANISATION),  # Greek, in its script
        ("Άλφα Ι.Κ.Ε.", PartyKind.ORGANISATION),
        ("㈜카카오", PartyKind.ORGANISATION),  # Korean, written with the circled sign
        ("株式会社東芝", PartyKind.ORGANISATION),
        ("海航集團", PartyKind.ORGANISATION),  # traditional characters: 集团 once simplified
        ('אלביט מערכות בע"מ', PartyKind.ORGANISATION),
        ("Kowalski sp. z o.o.", PartyKind.ORGANISATION),
        ("Aslan Gül", PartyKind.PERSON),
        ("Kim Yong Ae", PartyKind.PERSON),  # a Korean syllable, not Greek A.E.
    ],
)
def test_kind_inferred_from_legal_forms_of_many_countries(name: str, kind: PartyKind) -> None:
    """#16: a Turkish or Greek supplier is a company, not a person screened as one."""
    assert counterparty_from_record({"name": name, "purpose": "supplier"}).kind is kind


def test_batch_screens_turkish_and_greek_suppliers_as_organisations(sdn: Platform) -> None:
    """#16: a batch row for a listed Turkish company (with its form written Turkish-style) is screened as an
    organisation and matches; a Greek supplier is an organisation too (and, unlisted, no match)."""
    sdn.lists.add_entry("sdn", EntryDraft("mulberry", SubjectKind.ORGANISATION, party=Party(names=("MULBERRY PROJE YATIRIM A.S.",))), "t")
    text = "key,name\nt-1,Mulberry Proje Yatırım Anonim Şirketi\ng-1,ΑΛΦΑ ΒΗΤΑ Α.Ε.\n"
    results, problems = sdn.diligence.screen_records(list(read_party_records("csv", io.StringIO(text))), default_purpose="supplier")
    assert problems == []
    by_key = {r.party.key: r for r in results}
    assert by_key["t-1"].party.kind is PartyKind.ORGANISATION and by_key["g-1"].party.kind is PartyKind.ORGANISATION
    assert by_key["t-1"].outcome is ScreenOutcome.MATCH
    assert by_key["t-1"].hits[0].hit.listed_name == "MULBERRY PROJE YATIRIM A.S."
    features = {f.name: f for f in by_key["t-1"].hits[0].hit.features}
    assert features["kind_mismatch"].value == 0.0  # both organisations
    assert features["legal_form"].value == 1.0  # Anonim Şirketi and A.S. are one form
    assert by_key["g-1"].outcome is ScreenOutcome.NO_MATCH

"""Sanctions list parsers: OFAC SDN legacy CSV and the UN Security Council consolidated XML."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from finguard.app.platform import DATA
from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, SubjectKind
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importers.ofac import parse_ofac
from finguard.lists.service.importers.un import clean_document_number, parse_un

OFAC_DIR = DATA / "ofac-sdn"
UN_XML = DATA / "un-consolidated.xml"

SDN_ROW = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'


@cache
def _ofac_rows() -> tuple[ParsedRow, ...]:
    return tuple(parse_ofac(OFAC_DIR / "sdn.csv", OFAC_DIR / "alt.csv", OFAC_DIR / "add.csv"))


@cache
def _un_rows() -> tuple[ParsedRow, ...]:
    return tuple(parse_un(UN_XML))


def _drafts(rows: tuple[ParsedRow, ...]) -> dict[str, EntryDraft]:
    return {r.draft.key: r.draft for r in rows if r.draft is not None}


# --- OFAC, real files -------------------------------------------------------------------------


def test_ofac_real_files_parse_completely_without_problems() -> None:
    """Every one of the 8,976 SDN rows becomes a draft, in file order, with 1-based line numbers."""
    rows = _ofac_rows()
    assert [r.problem for r in rows if r.problem] == []
    assert len(rows) == 8976
    assert rows[0].line == 1 and rows[0].draft is not None and rows[0].draft.key == "ofac-36"
    assert rows[-1].line == 8976
    kinds = Counter(r.draft.subject for r in rows if r.draft)
    assert kinds[SubjectKind.PERSON] == 4620 and kinds[SubjectKind.VESSEL] == 406 and kinds[SubjectKind.AIRCRAFT] == 277


def test_ofac_aliases_and_address_countries_are_attached() -> None:
    """Names are the primary name then alt.csv aliases; countries come from add.csv, deduplicated."""
    bnc = _drafts(_ofac_rows())["ofac-306"]
    assert bnc.party is not None
    assert bnc.party.names == ("BANCO NACIONAL DE CUBA", "NATIONAL BANK OF CUBA")
    assert bnc.subject is SubjectKind.ORGANISATION
    assert "Switzerland" in bnc.party.countries and len(set(bnc.party.countries)) == len(bnc.party.countries)
    assert bnc.source == "OFAC SDN" and bnc.evidence_ref == "ofac:306" and bnc.risk_level is None
    assert bnc.reason == "OFAC SDN programs: CUBA" and bnc.extra["programs"] == ["CUBA"]


def test_ofac_remarks_continued_in_comments_file_yield_chinese_id_and_phone() -> None:
    """sdn_comments.csv continues cut remarks; a valid Chinese ID becomes ID_NUMBER, '86...' a +86 phone."""
    drafts = [d for d in _drafts(_ofac_rows()).values() if "Identification Number 210302198701102136 (China)" in d.extra["remarks"]]
    assert len(drafts) == 1
    li = drafts[0]
    ids = {(i.type, i.value) for i in li.identifiers}
    assert (IdType.ID_NUMBER, "210302198701102136") in ids
    assert (IdType.PHONE, "+8613314257947") in ids
    assert li.party is not None and li.party.birth_dates == ("1987-01-10",)
    assert li.party.nationalities == ("China",) and li.party.gender == "Male"
    assert li.extra["programs"] == ["DPRK3", "CYBER2"]


def test_ofac_identifier_types_found_on_the_real_list() -> None:
    """Passports, national IDs, e-mails, phones, USCCs and other registry numbers are all recognised."""
    counts = Counter(i.type for r in _ofac_rows() if r.draft for i in r.draft.identifiers)
    assert counts[IdType.EMAIL] > 0 and counts[IdType.PASSPORT] > 1000 and counts[IdType.NATIONAL_ID] > 500
    assert counts[IdType.USCC] > 0 and counts[IdType.PHONE] > 0 and counts[IdType.OTHER_ID] > 3000
    email_owner = _drafts(_ofac_rows())["ofac-11911"]
    assert any(i.type is IdType.EMAIL and i.value == "info@aqsatv.ps" for i in email_owner.identifiers)


def test_ofac_foreign_phone_without_plus_is_not_read_as_chinese() -> None:
    """'Phone Number 79315403678' is a Russian number (+7), not a CN national number."""
    phones = {i.value for r in _ofac_rows() if r.draft for i in r.draft.identifiers if i.type is IdType.PHONE}
    assert "+79315403678" in phones
    assert not any(p.startswith("+867") for p in phones)


def test_ofac_identifiers_that_do_not_normalise_are_kept_aside() -> None:
    """An identifier that fails normalisation is not a row error: it lands in extra['unparsed_ids']."""
    unparsed = [u for r in _ofac_rows() if r.draft for u in r.draft.extra.get("unparsed_ids", [])]
    assert unparsed and all(isinstance(u, str) for u in unparsed)


# --- OFAC, small inline files -----------------------------------------------------------------


def test_ofac_row_with_wrong_column_count_is_a_problem_with_its_line(tmp_path: Path) -> None:
    """A short row is reported with its 1-based physical line; the good rows around it still parse."""
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(SDN_ROW + '173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA"\r\n' + SDN_ROW.replace("36,", "37,"), encoding="utf-8")
    rows = list(parse_ofac(sdn))
    assert [r.line for r in rows] == [1, 2, 3]
    assert rows[1].problem is not None and rows[1].problem.field == "columns" and rows[1].problem.line == 2
    assert rows[0].draft is not None and rows[2].draft is not None


def test_ofac_missing_ent_num_or_name_is_a_problem(tmp_path: Path) -> None:
    """An empty ent_num or SDN_Name makes the row unusable."""
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(SDN_ROW.replace("36,", "-0- ,") + SDN_ROW.replace('"AEROCARIBBEAN AIRLINES"', "-0- "), encoding="utf-8")
    problems = [r.problem for r in parse_ofac(sdn)]
    assert [(p.field, p.line) for p in problems if p] == [("ent_num", 1), ("SDN_Name", 2)]


def test_ofac_remarks_are_parsed_into_party_and_identifiers(tmp_path: Path) -> None:
    """DOBs become ISO dates where complete; bad identifiers go to unparsed_ids; unknown alias rows are ignored."""
    remarks = (
        "DOB 01 Jan 1970; alt. DOB 1971; nationality Iran; Gender Female; Passport A123456 (Iran) issued 2001; "
        "National ID No. 110000198001010000 (China); Email Address X@Example.COM; Tax ID No. 12-345 (Iran); "
        "Telephone (98)(21)(66153220); Phone Number 12; Unified Social Credit Code (USCC) 91222401MA0Y31E659 (China)."
    )
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(f'7,"DOE, Jane","individual","IRAN] [SDGT","Director",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"{remarks}"\n', encoding="utf-8")
    alt = tmp_path / "alt.csv"
    alt.write_text('7,2,"aka","ROE, J.",-0- \n7,1,"aka","DOE, J.",-0- \n99,1,"aka","NOBODY",-0- \n', encoding="utf-8")
    add = tmp_path / "add.csv"
    add.write_text('7,1,-0- ,"Tehran","Iran",-0- \n7,2,-0- ,"Qom","Iran",-0- \n', encoding="utf-8")
    (row,) = parse_ofac(sdn, alt, add)
    draft = row.draft
    assert draft is not None and draft.party is not None
    assert draft.subject is SubjectKind.PERSON
    assert draft.party.names == ("DOE, Jane", "DOE, J.", "ROE, J.")
    assert draft.party.birth_dates == ("1970-01-01", "1971")
    assert draft.party.nationalities == ("Iran",) and draft.party.countries == ("Iran",) and draft.party.gender == "Female"
    assert draft.reason == "OFAC SDN programs: IRAN, SDGT; Director"
    assert {(i.type, i.value) for i in draft.identifiers} == {
        (IdType.PASSPORT, "A123456"),
        (IdType.ID_NUMBER, "110000198001010000"),
        (IdType.EMAIL, "x@example.com"),
        (IdType.OTHER_ID, "12345"),
        (IdType.PHONE, "+982166153220"),
        (IdType.USCC, "91222401MA0Y31E659"),
    }
    assert draft.extra["unparsed_ids"] == ["Phone Number 12"]


def test_ofac_latin1_file_and_eof_marker_are_tolerated(tmp_path: Path) -> None:
    """A file that is not UTF-8 is read as cp1252; a trailing DOS EOF (Ctrl-Z) is not a row."""
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(SDN_ROW.replace("AEROCARIBBEAN", "A\xc9ROCARIBBEAN").encode("latin-1") + b"\x1a")
    rows = list(parse_ofac(sdn))
    assert len(rows) == 1 and rows[0].draft is not None and rows[0].draft.party is not None
    assert rows[0].draft.party.primary_name == "AÉROCARIBBEAN AIRLINES"


# --- UN, real file ----------------------------------------------------------------------------


def test_un_real_file_parses_completely_without_problems() -> None:
    """730 individuals and 273 entities, each with a source line, a key and a UTC listing date."""
    rows = _un_rows()
    assert [r.problem for r in rows if r.problem] == []
    kinds = Counter(r.draft.subject for r in rows if r.draft)
    assert kinds == {SubjectKind.PERSON: 730, SubjectKind.ORGANISATION: 273}
    assert rows[0].line == 4 and [r.line for r in rows] == sorted(r.line for r in rows)
    assert all(r.draft and r.draft.listed_at and r.draft.listed_at.tzinfo is UTC for r in rows)


def test_un_known_individual_has_names_aliases_and_documents() -> None:
    """QDi.291: primary name from the name parts, original script, aliases, passport and national ID."""
    draft = _drafts(_un_rows())["un-2962519"]
    assert draft.party is not None
    assert draft.party.names[0] == "IBRAHIM HASSAN TALI AL-ASIRI"
    assert "إبراهيم حسن طالع العسيري" in draft.party.names and len(draft.party.names) > 2
    assert {(i.type, i.value) for i in draft.identifiers} >= {(IdType.PASSPORT, "F654645"), (IdType.NATIONAL_ID, "1028745097")}
    assert draft.reason == "UN Security Council Al-Qaida QDi.291"
    assert draft.evidence_ref == "un:QDi.291" and draft.source == "UN Security Council consolidated list"


def test_un_first_record_fields() -> None:
    """DRC CDi.001: year of birth, nationality, address country, gender, listing date, comments."""
    draft = _drafts(_un_rows())["un-6907993"]
    assert draft.party is not None
    assert draft.party.names == ("ERIC BADEGE",)
    assert draft.party.birth_dates == ("1971",)
    assert draft.party.nationalities == ("Democratic Republic of the Congo",)
    assert draft.party.countries == ("Rwanda",) and draft.party.gender == "Male"
    assert draft.reason == "UN Security Council DRC CDi.001"
    assert draft.listed_at == datetime(2012, 12, 31, tzinfo=UTC)
    assert draft.extra["comments"].startswith("He fled to Rwanda")


def test_un_document_numbers_are_cleaned_of_prose() -> None:
    """Document numbers wrapped in prose keep only the number."""
    assert clean_document_number("CAR diplomatic passport no. D00000898") == "D00000898"
    assert clean_document_number("563210184 (Expires 18 Jun. 2018)") == "563210184"
    assert clean_document_number("Libya B014995") == "B014995"
    assert clean_document_number("OB 0243318") == "OB 0243318"


# --- UN, small inline files -------------------------------------------------------------------

UN_RECORD = (
    "<INDIVIDUAL><DATAID>{id}</DATAID><FIRST_NAME>{name}</FIRST_NAME><UN_LIST_TYPE>X</UN_LIST_TYPE>"
    "<REFERENCE_NUMBER>Xi.{id}</REFERENCE_NUMBER><LISTED_ON>2001-01-25-05:00</LISTED_ON></INDIVIDUAL>\n"
)


def _un_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "un.xml"
    path.write_text(body, encoding="utf-8")
    return path


def test_un_malformed_xml_yields_one_problem_row_with_the_error_line(tmp_path: Path) -> None:
    """A broken document is one problem row at the line of the parse error, never an exception."""
    path = _un_file(tmp_path, "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><DATAID>1</DATAID>\n</INDIVIDUALS>\n")
    rows = list(parse_un(path))
    assert len(rows) == 1 and rows[0].draft is None
    assert rows[0].problem is not None and rows[0].problem.field == "xml" and rows[0].line == 4


def test_un_entity_attacks_are_refused_not_expanded(tmp_path: Path) -> None:
    """XXE and billion-laughs documents become a problem row; nothing is expanded or read from disk."""
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        "<CONSOLIDATED_LIST><INDIVIDUALS>" + UN_RECORD.format(id=1, name="&e;") + "</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
        "<CONSOLIDATED_LIST><INDIVIDUALS>" + UN_RECORD.format(id=1, name="&d;") + "</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    for body in (xxe, laughs):
        rows = list(parse_un(_un_file(tmp_path, body)))
        assert len(rows) == 1 and rows[0].draft is None
        assert rows[0].problem is not None and rows[0].problem.field == "xml"
        assert "root:" not in rows[0].problem.problem and "aaaa" not in rows[0].problem.problem


def test_un_record_without_id_or_name_is_a_problem(tmp_path: Path) -> None:
    """Missing DATAID or an empty name is a problem row at the record's line; other records still parse."""
    body = (
        "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n"
        + UN_RECORD.format(id="", name="NO ID")
        + UN_RECORD.format(id=2, name="")
        + UN_RECORD.format(id=3, name="JOHN")
        + "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n"
    )
    rows = list(parse_un(_un_file(tmp_path, body)))
    assert [(r.line, r.problem.field if r.problem else None) for r in rows] == [(3, "DATAID"), (4, "FIRST_NAME"), (5, None)]
    good = rows[2].draft
    assert good is not None and good.key == "un-3" and good.listed_at == datetime(2001, 1, 25, tzinfo=UTC)

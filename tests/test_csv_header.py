"""The delimiter of a CSV file with a known header (``core.csvheader``), and the batch files that use it."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from finguard.core.csvheader import DELIMITERS, sniff_delimiter
from finguard.lists.service.importers.tabular import CSV_COLUMNS, parse_csv
from finguard.screening.service.diligence import PARTY_COLUMNS, read_party_records


def test_the_header_alone_chooses_the_delimiter() -> None:
    assert sniff_delimiter("key;name;kind", PARTY_COLUMNS) == ";"
    assert sniff_delimiter("key\tname", PARTY_COLUMNS) == "\t"
    assert sniff_delimiter("key|name|country", PARTY_COLUMNS) == "|"
    assert sniff_delimiter("key,name,kind", PARTY_COLUMNS) == ","
    # a quoted comma header holding a semicolon stays a comma file
    assert sniff_delimiter('key,"name;x",kind', PARTY_COLUMNS) == ","
    # nothing known: the comma, and the header is refused as before, by its own message
    assert sniff_delimiter("colour;size", PARTY_COLUMNS) == ","
    assert sniff_delimiter("", PARTY_COLUMNS) == ","


def test_a_semicolon_party_batch_reads_as_the_comma_one_with_the_same_line_numbers() -> None:
    comma = 'key,name,kind\nc-1,"Maduro Moros, Nicolas",person\n\nc-2,王芳,person\n'
    semi = 'key;name;kind\nc-1;"Maduro Moros, Nicolas";person\n\nc-2;王芳;person\n'
    assert list(read_party_records("csv", io.StringIO(semi))) == list(read_party_records("csv", io.StringIO(comma)))
    assert [line for line, _ in read_party_records("csv", io.StringIO(semi))] == [2, 4]
    refused = list(read_party_records("csv", io.StringIO("who;what\n1;2\n")))
    assert refused[0][1]["__problem__"].field == "header" and "unknown column 'who;what'" in refused[0][1]["__problem__"].problem


def test_a_tab_list_file_parses_as_the_comma_one() -> None:
    comma = "key,id_type,id_value,reason\nk1,account,6222021001122334455,fraud\n"
    rows = [r.draft for r in parse_csv(io.StringIO(comma.replace(",", "\t")))]
    assert rows == [r.draft for r in parse_csv(io.StringIO(comma))] and rows[0] is not None


@given(st.text(max_size=200))
def test_any_header_gives_one_of_the_delimiters_and_never_raises(header: str) -> None:
    assert sniff_delimiter(header, CSV_COLUMNS) in DELIMITERS
    # the parsers that use it answer any text with rows or named problems, never an exception
    list(parse_csv(io.StringIO(header)))
    list(read_party_records("csv", io.StringIO(header)))


def test_a_bare_carriage_return_is_a_named_problem_not_a_server_error(client: TestClient, admin_key: str) -> None:
    """A bare CR in an unquoted field (an old Mac export, a pasted cell) raised csv.Error out of the
    batch reader: the API answered 500."""
    h = {"X-API-Key": admin_key, "content-type": "text/csv"}
    r = client.post("/api/v1/parties/screen/batch", content=b"key,name\nc-1,Mary\rJones\nc-2,Wang Fang\n", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rejected"][0]["field"] == "row" and "not valid CSV" in r.json()["rejected"][0]["problem"]
    r = client.post("/api/v1/parties/screen/batch", content=b"key,na\rme\nc-1,Mary\n", headers=h)
    assert r.status_code in (200, 422) and r.status_code < 500, r.text
    assert "header" in r.text


def test_a_capitalised_party_header_reads_as_the_lower_case_one() -> None:
    """A spreadsheet's header ``Name; COUNTRY `` (semicolons, capitals, spaces) names the same columns, at the
    same line numbers; an unknown column is still refused by name."""
    lower = list(read_party_records("csv", io.StringIO("name,country\nVladimir Putin,RU\n")))
    upper = list(read_party_records("csv", io.StringIO("Name; COUNTRY \nVladimir Putin;RU\n")))
    assert upper == lower
    assert sniff_delimiter("Name;Country", PARTY_COLUMNS) == ";"
    (line, record), *_ = read_party_records("csv", io.StringIO("Name,Ref\nx,1\n"))
    assert line == 1 and "unknown column 'Ref'" in record["__problem__"].problem


def test_a_capitalised_list_header_reads_as_the_lower_case_one() -> None:
    """A list file's ``Key;ID_Type; id_value ;Reason`` header names the same columns as the lower-case one; an
    unknown column is still refused whole, by name, before any row."""
    lower = "key,id_type,id_value,reason\nk1,account,6222021001122334455,fraud\n"
    upper = "Key;ID_Type; id_value ;Reason\nk1;account;6222021001122334455;fraud\n"
    rows = [(r.line, r.draft) for r in parse_csv(io.StringIO(upper))]
    assert rows == [(r.line, r.draft) for r in parse_csv(io.StringIO(lower))] and rows[0][1] is not None
    refused = list(parse_csv(io.StringIO("Key,Colour\nk1,red\n")))
    assert len(refused) == 1 and refused[0].fatal and "unknown column 'Colour'" in refused[0].problem.problem

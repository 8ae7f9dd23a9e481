"""Issue #16, screenjmn: JMnedict's kanji given names and their readings, extracted once into a compact shipped file.

    PYTHONPATH=/path/to/jamdict-data python scripts/build_jmnedict_names.py [--check]

Reads the SQLite file of the ``jamdict-data`` package (JMnedict, the EDRDG's Japanese names dictionary, CC BY-SA 4.0)
and writes ``src/finguard/screening/data/jmnedict_given.tsv.gz``: one line per kanji form that JMnedict types as a given
name (``given``, ``fem`` or ``masc``), ``kanji<TAB>kana<TAB>kana...``, the kana in the order the screener used to query
them (``ORDER BY NEKana.ID``), each kana once (a repeated kana reads the same, so the screener never took the second).
Lines sorted by kanji form; gzip with no name and mtime 0, so the same input gives the same bytes (the sha256 in
``PROVENANCE.md``). Only developers run this (jamdict-data is ~320 MB installed and no dependency of finguard's).

``--check`` compares the file with the database form by form, through the query the screener ran before (screenfp5):
identical kana lists for every kanji form, and no form missing or extra.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "finguard" / "screening" / "data" / "jmnedict_given.tsv.gz"
TYPES = ("given", "fem", "masc")
# the screener's query before this file (scripts._NAME_QUERY at screenfp5), kept here for --check
ONE = (
    "SELECT DISTINCT ka.text, ka.ID FROM NEKanji k CROSS JOIN NETranslation t ON t.idseq = k.idseq"
    " CROSS JOIN NETransType tt ON tt.tid = t.ID CROSS JOIN NEKana ka ON ka.idseq = k.idseq"
    " WHERE k.text = ? AND +tt.text IN (?, ?, ?) ORDER BY ka.ID"
)
ALL = (
    "SELECT DISTINCT k.text, ka.text, ka.ID FROM NEKanji k JOIN NETranslation t ON t.idseq = k.idseq"
    " JOIN NETransType tt ON tt.tid = t.ID JOIN NEKana ka ON ka.idseq = k.idseq"
    " WHERE tt.text IN (?, ?, ?) ORDER BY k.text, ka.ID"
)


def _db() -> tuple[sqlite3.Connection, str]:
    import jamdict_data

    path = str(jamdict_data.JAMDICT_DB_PATH)
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True), path


def extract(db: sqlite3.Connection) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for kanji, kana, _id in db.execute(ALL, TYPES):
        readings = table.setdefault(kanji, [])
        if kana not in readings:
            readings.append(kana)
    return table


def _clean(text: str) -> bool:
    return bool(text) and not any(ch in text for ch in "\t\r\n")


def build() -> None:
    db, path = _db()
    table = extract(db)
    bad = [k for k, v in table.items() if not _clean(k) or not all(_clean(r) for r in v)]
    if bad:
        sys.exit(f"forms with a tab or newline, not written: {bad[:5]}")
    text = "".join(f"{k}\t{chr(9).join(v)}\n" for k, v in sorted(table.items()))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    OUT.write_bytes(buf.getvalue())
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    print(f"source {path} (jmnedict {meta.get('jmnedict.version')} of {meta.get('jmnedict.date')})")
    print(f"forms {len(table)}, readings {sum(len(v) for v in table.values())}, bytes {OUT.stat().st_size}")
    print(f"sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()}")


def check() -> None:
    db, _ = _db()
    with gzip.open(OUT, "rt", encoding="utf-8") as f:
        shipped = {k: r for k, *r in (line.rstrip("\n").split("\t") for line in f)}
    forms = {str(r[0]) for r in db.execute("SELECT DISTINCT text FROM NEKanji")}
    diff = []
    for form in sorted(forms):
        rows = [str(r[0]) for r in db.execute(ONE, (form, *TYPES))]
        want = list(dict.fromkeys(rows))
        if want != shipped.get(form, []):
            diff.append(form)
    extra = sorted(set(shipped) - forms)
    print(f"kanji forms in JMnedict {len(forms)}, shipped {len(shipped)}, differing {len(diff)}, extra {len(extra)}")
    if diff or extra:
        sys.exit(f"differ: {diff[:10]} extra: {extra[:10]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file with the database")
    check() if parser.parse_args().check else build()

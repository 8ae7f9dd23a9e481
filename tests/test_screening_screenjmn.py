"""#16, screenjmn: JMnedict's given-name readings shipped as a compact data file (screening/data/jmnedict_given.tsv.gz),
not read from the 320 MB ``jamdict-data`` package: always there, so these tests never skip.

知実 (Satomi) is from Faker ja_JP's given names, the pool the dev class draws from; no held-out query is read.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import re
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from finguard.screening.model import scripts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "finguard" / "screening" / "data"


def test_the_shipped_file_loads_and_reads_satomi() -> None:
    """The file is found through the package (as an installed wheel finds it) and gives JMnedict's kana in its order."""
    assert files("finguard.screening").joinpath("data", "jmnedict_given.tsv.gz").is_file()
    assert scripts._dictionary_readings("知実") == ["さとみ", "ともざね", "ともみ"]
    assert scripts._dictionary_readings("陽菜")[:4] == ["あきな", "はな", "はるな", "ひな"]
    assert scripts._dictionary_readings("吉田") == []  # a surname only: no given name in JMnedict
    assert scripts._dictionary_readings("") == []
    assert scripts._dictionary_readings("Satomi") == []


def test_satomi_is_a_reading_of_chisato_without_any_optional_package() -> None:
    pytest.importorskip("cutlet")  # the dev extra has it: runs in CI
    assert "satomi" in scripts._given_name_readings("知実")
    assert scripts.japanese("吉田 知実")[:2] == ["yoshida tomomi", "yoshida satomi"]


def test_the_file_is_sorted_and_matches_its_provenance() -> None:
    """Bisection needs the lines in ``str`` order; the counts and the sha256 are those PROVENANCE.md records."""
    raw = (DATA / "jmnedict_given.tsv.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    assert lines == sorted(lines)
    forms = [line.split("\t", 1)[0] for line in lines]
    assert len(set(forms)) == len(forms)
    for line in lines:
        kanji, *kana = line.split("\t")
        assert kanji and kana and all(kana) and len(set(kana)) == len(kana)
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(raw).hexdigest() in provenance
    assert f"{len(lines):,} kanji forms" in provenance
    assert f"{sum(line.count(chr(9)) for line in lines):,} readings" in provenance


def test_the_file_is_loaded_on_the_first_kanji_given_name_not_at_import() -> None:
    code = (
        "import finguard, finguard.screening.model.scripts as s\n"
        "assert s._names_db.cache_info().currsize == 0\n"
        "s._dictionary_readings('知実')\n"
        "assert s._names_db.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_file_is_in_the_package_data() -> None:
    """pyproject's package-data globs take the file into the wheel and the sdist (setuptools includes package data in
    both)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["finguard"]
    assert any(fnmatch.fnmatch("screening/data/jmnedict_given.tsv.gz", g) for g in globs)
    assert not any(re.search("jamdict", dep) for deps in config["project"]["optional-dependencies"].values() for dep in deps)

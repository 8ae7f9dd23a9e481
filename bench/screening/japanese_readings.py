"""Issue #16, screenfp5: how many of Faker ja_JP's kanji given names are read as Faker romanises them.

    PYTHONPATH=src python bench/screening/japanese_readings.py   # JMnedict's readings from the shipped file (screenjmn)

Faker's pool (51 given names, kanji / kana / romanised) is the one the dev and held-out Japanese classes draw from; a
given name whose listed romanisation is none of our readings (``scripts.japanese``, long vowels folded) misses in both
directions unless its spelling happens to come near. No held-out query is read: only the pool's given names, each with
the family name 田中.
"""

from __future__ import annotations

import json
import sys

from faker.providers.person.ja_JP import Provider as Ja

from finguard.screening.model import scripts


def main() -> None:
    have_dictionary = bool(scripts._names_db())
    found, missed = 0, []
    readings_total = 0
    for kanji, _kana, latin in Ja.first_name_pairs:
        got = {r.split()[1] for r in scripts.japanese(f"田中 {kanji}")}
        readings_total += len(got)
        if latin.lower() in got:
            found += 1
        else:
            missed.append(f"{kanji} {latin}: {sorted(got)}")
    out = {
        "dictionary": have_dictionary,
        "given_names": len(Ja.first_name_pairs),
        "read_as_faker": found,
        "readings_per_name": round(readings_total / len(Ja.first_name_pairs), 2),
        "missed": missed,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()

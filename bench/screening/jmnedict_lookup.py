"""Issue #16, screenjmn: the cost of JMnedict's given-name lookup in this tree (the shipped file, or jamdict-data's
SQLite file on main before screenjmn).

    PYTHONPATH=src python bench/screening/jmnedict_lookup.py --label after [--forms FILE.tsv.gz] [--out F.jsonl]
    (cd ../base && PYTHONPATH=src:/path/to/jamdict-data python /path/to/jmnedict_lookup.py --label before --forms ...)

In a fresh process: the first lookup (the file read or the database opened, once) and the CPU per lookup of
``scripts._dictionary_readings`` over every 20th kanji form of the shipped file (~7,200 given names) and as many
family names typed no given name (misses), then ``_given_name_readings`` uncached (the tagger's readings and the
dictionary's, what a new kanji given name costs) over Faker ja_JP's given names when Faker is on the path.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from finguard.screening.model import scripts

DEFAULT = Path(__file__).resolve().parents[2] / "src" / "finguard" / "screening" / "data" / "jmnedict_given.tsv.gz"
MISSES = ["吉田", "山本", "木村", "山口", "西村", "中島", "小林", "加藤", "松本", "井上"]


def _cpu_us(fn: Callable[[str], object], items: list[str], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        c = time.thread_time()
        for x in items:
            fn(x)
        best = min(best, (time.thread_time() - c) * 1e6 / len(items))
    return round(best, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--forms", type=Path, default=DEFAULT)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    with gzip.open(args.forms, "rt", encoding="utf-8") as f:
        forms = [line.split("\t", 1)[0] for line in f][::20]
    c, t = time.thread_time(), time.perf_counter()
    first = scripts._dictionary_readings("知実")
    line: dict[str, object] = {
        "label": args.label,
        "first_lookup_cpu_ms": round((time.thread_time() - c) * 1000, 1),
        "first_lookup_wall_ms": round((time.perf_counter() - t) * 1000, 1),
        "satomi": first[0] if first else None,
        "hit_cpu_us": _cpu_us(scripts._dictionary_readings, forms),
        "miss_cpu_us": _cpu_us(scripts._dictionary_readings, MISSES * (len(forms) // len(MISSES))),
        "forms": len(forms),
    }
    try:
        from faker.providers.person.ja_JP import Provider as Ja

        given = [kanji for kanji, _kana, _latin in Ja.first_name_pairs]
        line["given_name_readings_uncached_us"] = _cpu_us(scripts._given_name_readings.__wrapped__, given * 20)
    except ImportError:
        pass
    line["load"] = list(os.getloadavg())
    print(json.dumps(line, ensure_ascii=False))
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

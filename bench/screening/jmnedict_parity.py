"""Issue #16, screenjmn: the readings of every JMnedict kanji given name, for comparing two trees.

    PYTHONPATH=src python bench/screening/jmnedict_parity.py OUT.tsv [FORMS.tsv.gz]

Writes ``form<TAB>reading reading ...`` for every kanji form of the shipped file (or FORMS), as
``scripts._given_name_readings`` gives them (the tagger's readings, then up to ``NAME_READINGS`` from JMnedict), and
prints the count and the sha256 of the output. Run it on main with jamdict-data on the path and on the branch without
it, passing the branch's file as FORMS to main: identical output means identical readings for every entry.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import time
from pathlib import Path

from finguard.screening.model import scripts

DEFAULT = Path(__file__).resolve().parents[2] / "src" / "finguard" / "screening" / "data" / "jmnedict_given.tsv.gz"


def main() -> None:
    out = Path(sys.argv[1])
    forms_file = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT
    with gzip.open(forms_file, "rt", encoding="utf-8") as f:
        forms = [line.split("\t", 1)[0] for line in f]
    start = time.perf_counter()
    rows = [f"{form}\t{' '.join(scripts._given_name_readings(form))}\n" for form in forms]
    text = "".join(rows)
    out.write_text(text, encoding="utf-8")
    with_extra = sum(1 for form in forms if scripts._dictionary_readings(form))
    print(
        f"forms {len(forms)} with JMnedict readings {with_extra} seconds {time.perf_counter() - start:.1f} "
        f"sha256 {hashlib.sha256(text.encode()).hexdigest()}"
    )


if __name__ == "__main__":
    main()

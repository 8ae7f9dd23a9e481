"""Issue #16, development time only: legal-form coverage of ``names.strip_legal_forms`` against rigour's org types.

    PYTHONPATH=src:/tmp/screen_extra python bench/screening/legal_forms_rigour.py

For every listed organisation name (OFAC SDN + UN, as the benches load them) and a set of sample company names of
many countries, rigour (OpenSanctions, MIT; ``rigour.names.org_types``: OCCRP + ISO 20275 + Wikipedia) and
finguard are asked for the name's legal forms. Lines ``ONLY_RIGOUR`` (a form rigour sees at the end of a name
and finguard does not) and ``ONLY_FINGUARD``; then the counts. rigour is no dependency of finguard: this script
is how the table in names.py was checked, nothing imports it.
"""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from rigour.names.org_types import extract_org_types

from finguard.screening.model.names import clean_text, fold, is_han, strip_legal_forms, to_simplified

SAMPLES = [
    "Aslan Gül A.Ş.", "Aslan Gül Gıda Ltd. Şti.", "ΑΛΦΑ Ε.Π.Ε.", "Άλφα Ανώνυμη Εταιρεία", "카카오 유한회사",
    "トヨタ 有限会社", '"אלביט מערכות בע"מ', "Kowalski sp. z o.o.", "Novák s.r.o.", "Novák a.s.", "Nordisk ApS",
    "Nokia Oyj", "Philips B.V.", "Abc EURL", "Abc SNC", "Abc Lda", "Tata Pvt Ltd", "Abc S.A. de C.V.", "Abc OOD",
]  # fmt: skip


def ours(name: str) -> tuple[str, ...]:
    text = clean_text(name)
    return strip_legal_forms(to_simplified(text) if any(is_han(ch) for ch in text) else fold(text))[1]


def main() -> None:
    names = [n for _, _, d in h.un_original_script(h.watchlist())[0] if d.subject.value == "organisation" for n in d.party.names]
    counts: Counter[str] = Counter()
    for name in dict.fromkeys([*names, *SAMPLES]):
        theirs = [form for span, form in extract_org_types(name.casefold()) if name.casefold().rstrip(" .").endswith(span.rstrip("."))]
        mine = ours(name)
        counts["names"] += 1
        counts["rigour"] += bool(theirs)
        counts["finguard"] += bool(mine)
        counts["both"] += bool(theirs) and bool(mine)
        if theirs and not mine:
            print(f"ONLY_RIGOUR {name!r} {theirs}")
        elif mine and not theirs:
            print(f"ONLY_FINGUARD {name!r} {mine}")
    print(dict(counts))


if __name__ == "__main__":
    main()

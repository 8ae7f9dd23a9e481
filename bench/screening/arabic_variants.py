"""Issue #16, development only: blocking of Arabic-script spelling variants, rule by rule (``dev_arabic_variant_*``).

The held-out UN own-script names are spelt otherwise than both dev stand-ins (``arabic_dev.py``, ``arabic_dev2.py``).
This widens the dev material without reading them: each dev stand-in query (``dev_script_arabic``, ``dev_ofac_arabic``,
``dev_script_arabic_phonetic``: OFAC and Faker material only) is rewritten by one well-documented variation of Arabic
writing at a time, and blocking (the true entry reaches scoring) is counted per rule:

* ``hamza_alif``: أ إ آ written as bare ا (common in typed text), and a bare word-initial ا as أ;
* ``ta_marbuta``: a final ة written ه, a final ه after a consonant written ة;
* ``alif_maqsura``: a final ي written ى and a final ى written ي;
* ``persian_keys``: ي ك ه typed on a Persian / Urdu keyboard (ی ک, and ہ / ے Urdu);
* ``hamza_seat``: ئ ؤ written ي و, a lone ء dropped;
* ``nasab``: بن written ابن (and the reverse), or dropped with the word after it kept;
* ``article``: an opening ال of the last word dropped, or ال written apart (ال تكريتي);
* ``abd_split``: عبدال... written apart (عبد الرحمن) or the reverse; أبو / ابو joined to the next word;
* ``defective``: one word-medial alif left out (ابرهيم, عبدالرحمن as in Quranic spelling);
* ``marks``: short vowels, shadda and tatweel written (مُحَمَّد, محـمد);
* ``drop_middle``: a middle name (father's, grandfather's) left out of a name of three words or more.

    ARABIC_RULES=all PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_variants.py
"""

from __future__ import annotations

import os
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SEED = 2203 + 17
_WORD_INITIAL_ALIF = re.compile(r"(?<!\S)ا(?=\S)")
_FINAL_HEH_AFTER_CONSONANT = re.compile(r"(?<=[^\sاويى])ه(?!\S)")


def _hamza_alif(q: str, rng: random.Random) -> str:
    out = re.sub("[أإآ]", "ا", q)
    return out if out != q else _WORD_INITIAL_ALIF.sub("أ", q)


def _ta_marbuta(q: str, rng: random.Random) -> str:
    out = re.sub(r"ة(?!\S)", "ه", q)
    return out if out != q else _FINAL_HEH_AFTER_CONSONANT.sub("ة", q)


def _alif_maqsura(q: str, rng: random.Random) -> str:
    out = re.sub(r"ي(?!\S)", "ى", q)
    return out if out != q else re.sub(r"ى(?!\S)", "ي", q)


def _persian_keys(q: str, rng: random.Random) -> str:
    out = q.replace("ي", "ی").replace("ك", "ک")
    if rng.random() < 0.5:  # Urdu: heh goal and yeh barree at a word's end
        out = re.sub(r"ه(?!\S)", "ہ", out)
        out = re.sub(r"ی(?!\S)", "ے", out)
    return out


def _hamza_seat(q: str, rng: random.Random) -> str:
    return q.replace("ئ", "ي").replace("ؤ", "و").replace("ء", "")


def _nasab(q: str, rng: random.Random) -> str:
    words = q.split()
    for i, w in enumerate(words):
        if w in ("بن", "ابن", "بنت") and 0 < i < len(words) - 1:
            if rng.random() < 0.5:
                words[i] = "ابن" if w == "بن" else "بن" if w == "ابن" else w
            else:
                del words[i]
            return " ".join(words)
    if len(words) >= 3:  # a nasab particle put in: محمد بن عبدالله
        words.insert(1, rng.choice(("بن", "ابن")))
    return " ".join(words)


def _article(q: str, rng: random.Random) -> str:
    words = q.split()
    for i in range(len(words) - 1, -1, -1):
        w = words[i]
        if w.startswith("ال") and len(w) > 4 and w != "الله":
            words[i] = w[2:] if rng.random() < 0.5 else "ال " + w[2:]
            return " ".join(words)
    return q


def _abd_split(q: str, rng: random.Random) -> str:
    out = re.sub(r"(?<!\S)(عبد)(ال\S+)", r"\1 \2", q)
    if out != q:
        return out
    out = re.sub(r"(?<!\S)(عبد) (ال\S+)", r"\1\2", q)
    if out != q:
        return out
    return re.sub(r"(?<!\S)(أبو|ابو) (\S+)", r"\1\2", q)


def _defective(q: str, rng: random.Random) -> str:
    words = q.split()
    spots = [(i, j) for i, w in enumerate(words) if len(w) >= 4 for j in range(1, len(w) - 1) if w[j] == "ا" and w[:j] != "ال"[:j]]
    if not spots:
        return q
    i, j = rng.choice(spots)
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


_MARKS = "\u064e\u064f\u0650"


def _marks(q: str, rng: random.Random) -> str:
    out = []
    for ch in q:
        out.append(ch)
        if "\u0621" <= ch <= "\u064a" and ch not in "اوي" and rng.random() < 0.5:
            out.append(rng.choice(_MARKS) + ("\u0651" if rng.random() < 0.1 else ""))
    text = "".join(out)
    words = text.split()
    i = rng.randrange(len(words))
    if len(words[i]) > 3:
        words[i] = words[i][:2] + "\u0640" + words[i][2:]
    return " ".join(words)


def _drop_middle(q: str, rng: random.Random) -> str:
    words = q.split()
    if len(words) < 3:
        return q
    i = rng.randrange(1, len(words) - 1)
    if words[i] in ("بن", "ابن", "بنت", "أبو", "ابو", "عبد", "ال", "آل") or words[i - 1] in ("عبد", "أبو", "ابو", "آل"):
        return q
    return " ".join(words[:i] + words[i + 1 :])


RULES: dict[str, Callable[[str, random.Random], str]] = {
    "hamza_alif": _hamza_alif,
    "ta_marbuta": _ta_marbuta,
    "alif_maqsura": _alif_maqsura,
    "persian_keys": _persian_keys,
    "hamza_seat": _hamza_seat,
    "nasab": _nasab,
    "article": _article,
    "abd_split": _abd_split,
    "defective": _defective,
    "marks": _marks,
    "drop_middle": _drop_middle,
}


def variants(queries: list[tuple[str, str, int, str]], seed: int = SEED) -> list[tuple[str, str, int, str]]:
    """Every rule that changes a query, applied alone: (``dev_arabic_variant_<rule>``, variant, entry id, listed)."""
    out = []
    for _cls, q, eid, listed in queries:
        for rule, fn in RULES.items():
            v = fn(q, random.Random(f"{seed}-{rule}-{q}"))
            if v != q and v.strip():
                out.append((f"dev_arabic_variant_{rule}", v, eid, listed))
    return out


def dev_arabic_originals() -> tuple[Any, list[tuple[str, str, int, str]]]:
    """OFAC + UN + the 80k synthetic list + the Arabic dev stand-ins in one screener, and the Arabic-script dev
    queries before any rewrite (``arabic_dev``, ``ofac_arabic``, ``arabic_dev2.phonetic_dev``) as (class, query,
    true entry id, listed name). Development split only."""
    import heldout as h
    from arabic_dev import arabic_dev, ofac_arabic
    from arabic_dev2 import phonetic_dev
    from run import uncached_screener

    from finguard.screening.service import Thresholds

    base, _ = h.un_original_script(h.watchlist())
    syn, _syn_q = h.synthetic(len(base) + 1, 80_000, 0, h.DEV_SEED)
    ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, 300)
    originals = ar_q + ofac_arabic(base) + phonetic_dev(base, 300)
    s = uncached_screener(Thresholds())
    for eid, code, d in base + syn + ar:
        s.add(eid, code, d)
    return s, originals


if __name__ == "__main__":
    s, originals = dev_arabic_originals()
    only = os.environ.get("ARABIC_RULES", "all")
    rows = variants(originals)
    rows = [r for r in rows if only == "all" or r[0].removeprefix("dev_arabic_variant_") in only.split(",")]
    # per rule: n, blocked; and among the queries whose original is blocked, how many the variant loses
    orig_blocked = {(q[2], q[3]): q[2] in s.candidate_entries(q[1]) for q in originals}
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cls, v, eid, listed in rows:
        blocked = eid in s.candidate_entries(v)
        st = stats[cls]
        st[0] += 1
        st[1] += blocked
        if orig_blocked.get((eid, listed)):
            st[2] += 1
            st[3] += not blocked
            if not blocked:
                print(f"LOST {cls}: {v!r} -> {listed!r}")
    n_o = len(originals)
    print(f"{'originals':34} n={n_o:5} block={sum(orig_blocked.values()) / max(1, len(orig_blocked)):.3f}")
    for cls, (n, b, nb, lost) in sorted(stats.items()):
        print(f"{cls:34} n={n:5} block={b / n:.3f} lost_of_blocked={lost}/{nb}")
    N, B = sum(v[0] for v in stats.values()), sum(v[1] for v in stats.values())
    print(f"ALLVARIANTS n={N} block={B / max(1, N):.4f} lost={sum(v[3] for v in stats.values())}")

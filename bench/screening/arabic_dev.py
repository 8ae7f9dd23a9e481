"""Issue #16, development only: Arabic-script queries against Latin-listed persons, not the UN's own.

The UN list's own-script names (``un_script_arabic``) are the held-out split's and are never
read while changing the screener. This makes a development stand-in of the same shape: a person
listed in Latin letters as lists spell Arabic names (``Mohammed Abdullah al-Otaibi``), queried in
Arabic script (``محمد عبدالله العتيبي``).

* Arabic names: Faker's ``ar_AA``, ``ar_SA``, ``ar_PS`` and ``fa_IR`` given and family names
  (seeded), a given name, a father's name, sometimes a grandfather's, and a family name.
* Latin spelling of each word: an OFAC SDN spelling (token or two-token phrase such as
  ``al otaibi``, ``abdul rahman``) that rigour's name tagger (the peer's library; the screener
  does not use it) gives the same Wikidata name as the Arabic word; among several, one is drawn
  at random, weighted by how often OFAC writes it. Words with no such spelling make the name be
  skipped. Only OFAC spellings are read (the UN list is not).

    PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_dev.py      # prints a sample

``devloop.py`` adds these (class ``dev_script_arabic``) with ``ARABIC=1`` (the default).
"""

from __future__ import annotations

import itertools
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import person

from finguard.lists.model.lists import EntryDraft, SubjectKind

SEED = 2203  # the development seed
LOCALES = ("ar_AA", "ar_SA", "ar_PS", "fa_IR")
_ARTICLES = ("al", "el", "ul", "ad", "ud", "ar", "as", "ash", "az", "an", "at")
_PARTICLES = {*_ARTICLES, "abdul", "abdel", "abd", "abu", "bin", "ibn", "bint", "aal"}
spell_qids: dict[str, frozenset[str]] = {}
_MARKS = re.compile(r"[\u064b-\u0652\u0640]")  # short vowels, shadda, sukun, tatweel


def _qids(rn: Any, text: str) -> frozenset[str]:
    out = set()
    for name in rn.analyze_names(rn.NameTypeTag.PER, [text]):
        for s in name.symbols:
            s = str(s)
            if s.startswith("[NAME:"):
                out.add(s)
    return frozenset(out)


def _ofac_spellings(rn: Any, entries: list[tuple[int, str, EntryDraft]]) -> tuple[dict[str, list[str]], Counter[str]]:
    """Wikidata name id -> OFAC spellings (tokens, and two-token phrases opened by a particle)."""
    freq: Counter[str] = Counter()
    for _eid, code, draft in entries:
        if code != "ofac-sdn" or draft.party is None:
            continue
        for n in draft.party.names:
            words = [w for w in re.split(r"[^A-Za-z']+", n.lower().replace("'", "")) if w]
            freq.update(w for w in words if len(w) > 1)
            freq.update(f"{a} {b}" for a, b in itertools.pairwise(words) if a in _PARTICLES)
    by_qid: dict[str, list[str]] = defaultdict(list)
    for spelling in freq:
        spell_qids[spelling] = _qids(rn, spelling)
        for qid in spell_qids[spelling]:
            by_qid[qid].append(spelling)
    return by_qid, freq


# particles of compound names, as lists write them (a word of their own)
_ARABIC_PARTICLES = {"آل": "Al", "أبو": "Abu", "ابو": "Abu", "بن": "Bin", "بنت": "Bint", "عبد": "Abdul", "بنو": "Bani"}


def _latin(rn: Any, word: str, by_qid: dict[str, list[str]], freq: Counter[str], rng: random.Random) -> str | None:
    if " " in word:  # a compound (عبد الرحيم, أبو غليون): word by word
        parts = [_ARABIC_PARTICLES.get(w) or _latin(rn, w, by_qid, freq, rng) for w in word.split()]
        return None if None in parts else " ".join(p for p in parts if p)
    if word in _ARABIC_PARTICLES:
        return _ARABIC_PARTICLES[word]
    qids = _qids(rn, word)
    if not qids:
        return None
    shared: Counter[str] = Counter()
    for q in qids:
        for sp in by_qid.get(q, ()):
            shared[sp] += 1
    if not shared:
        return None
    # the spellings that are most nearly the same name (Jaccard of the name ids), not the ones of the most ids
    jac = {sp: k / len(qids | spell_qids[sp]) for sp, k in shared.items() if len(sp.replace(" ", "")) >= 2}
    best = max(jac.values(), default=0.0)
    pool = [sp for sp, j in jac.items() if j == best]
    if not pool:
        return None
    pick = rng.choices(pool, weights=[freq[sp] for sp in pool])[0]
    if " " in pick:
        a, b = pick.split(" ", 1)
        return f"{a}-{b.title()}" if a in _ARTICLES else f"{a.title()} {b.title()}"
    return pick.title()


Entry = tuple[int, str, EntryDraft]


def arabic_dev(entries: list[Entry], first_id: int, n: int = 300, seed: int = SEED) -> tuple[list[Entry], list[tuple[str, str, int, str]]]:
    """``n`` (query in Arabic script, entry listed in Latin) pairs; the entries get ids from ``first_id``."""
    import importlib

    import rigour.names as rn

    by_qid, freq = _ofac_spellings(rn, entries)
    rng = random.Random(seed)
    pools = []
    for loc in LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        given = [_MARKS.sub("", g) for g in (*p.first_names_male, *p.first_names_female)]
        males = [_MARKS.sub("", g) for g in p.first_names_male]
        pools.append((given, males, [_MARKS.sub("", f) for f in p.last_names]))
    cache: dict[str, str | None] = {}
    out_e: list[tuple[int, str, EntryDraft]] = []
    out_q: list[tuple[str, str, int, str]] = []
    seen: set[str] = set()
    eid = first_id
    tries = 0
    while len(out_q) < n and tries < 50 * n:
        tries += 1
        given, males, lasts = rng.choice(pools)
        words = [rng.choice(given), rng.choice(males)]
        if rng.random() < 0.3:
            words.append(rng.choice(males))
        words.append(rng.choice(lasts))
        arabic = " ".join(words)
        if arabic in seen:
            continue
        latin = []
        for w in words:
            if w not in cache:
                cache[w] = _latin(rn, w, by_qid, freq, random.Random(f"{seed}-{w}-{len(cache)}"))
            if cache[w] is None:
                break
            latin.append(cache[w])
        else:
            seen.add(arabic)
            listed = " ".join(x for x in latin if x)
            out_e.append((eid, "dev-arabic", person(f"dev-ar-{eid}", listed)))
            out_q.append(("dev_script_arabic", arabic, eid, listed))
            eid += 1
    return out_e, out_q


_OFAC_PARTICLES = {"bin": "بن", "ben": "بن", "ibn": "بن", "bint": "بنت", "abu": "ابو", "abou": "ابو", "abo": "ابو", "bani": "بني"}
_ABD_WORDS = {"abd", "abdul", "abdel", "abdoul", "abdal", "abdol"}
_OFAC_ARTICLES = {"al", "el", "ul", "ad", "ud", "ar", "as", "ash", "az", "an", "at", "ed", "es", "en", "er"}


def _arabic_words(rn: Any) -> dict[str, set[str]]:
    """Wikidata name id -> the Arabic-script words of Faker's Arabic and Persian name pools that rigour tags with it."""
    import importlib

    words: set[str] = set()
    for loc in (*LOCALES, "ar_DZ"):
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for pool in ("first_names_male", "first_names_female", "last_names", "first_names"):
            words.update(part for w in getattr(p, pool, ()) for part in _MARKS.sub("", w).split())
    by_qid: dict[str, set[str]] = defaultdict(set)
    for w in words:
        bare = w[2:] if w.startswith("ال") and len(w) > 4 else w
        for q in _qids(rn, bare):
            by_qid[q].add(bare)
    return by_qid


def _in_arabic(rn: Any, listed: str, by_qid: dict[str, set[str]], rng: random.Random, cache: dict[str, str | None]) -> str | None:
    """``listed`` (Latin) written in Arabic script word by word, or None when a word has no Arabic-script twin."""
    from finguard.screening.model.names import fold, swap_comma_order

    toks = [t for t in re.split(r"[^a-z]+", swap_comma_order(fold(listed)).replace("'", "").replace("`", "")) if t]
    if len(toks) < 2:
        return None
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in _OFAC_PARTICLES:
            out.append(_OFAC_PARTICLES[t])
            i += 1
            continue
        art = ""
        if t in _ABD_WORDS:  # Abdul Rahman, Abd al-Rahman: عبد الرحمن or عبدالرحمن
            if toks[i + 1 : i + 2] and toks[i + 1] in _OFAC_ARTICLES:
                i += 1
            word = _word(rn, toks[i + 1], by_qid, cache) if i + 1 < len(toks) else None
            if word is None:
                return None
            out.append("عبد" + (" " if rng.random() < 0.5 else "") + "ال" + word)
            i += 2
            continue
        if t in _OFAC_ARTICLES:
            art, i = "ال", i + 1
            if i >= len(toks):
                return None
            t = toks[i]
        word = _word(rn, t, by_qid, cache)
        if word is None:
            return None
        out.append(art + word)
        i += 1
    return " ".join(out)


def _word(rn: Any, token: str, by_qid: dict[str, set[str]], cache: dict[str, str | None]) -> str | None:
    if token not in cache:
        qs = _qids(rn, token)
        best, pool = 0.0, []
        for q in qs:
            for w in by_qid.get(q, ()):
                wq = _qids(rn, w)
                j = len(qs & wq) / len(qs | wq)
                if j > best:
                    best, pool = j, [w]
                elif j == best:
                    pool.append(w)
        cache[token] = sorted(pool)[0] if pool else None
    return cache[token]


def ofac_arabic(entries: list[Entry], seed: int = SEED) -> list[tuple[str, str, int, str]]:
    """OFAC-listed persons queried in Arabic script (class ``dev_ofac_arabic``): the nearest development stand-in of the
    UN list's own-script names (``un_script_arabic``, held out), as it queries real list entries, with all their
    aliases indexed and their spellings as OFAC writes them (``OMAR, Mohammed``; ``AHMED NACER, Yacine``; ``FATHI,
    Ahmad``), rather than names made for the bench.

    Each word of one of the entry's first three names gets the Arabic-script word of Faker's Arabic and Persian pools
    that rigour tags with the most nearly the same Wikidata names (Jaccard of the name ids); the article is joined
    (``AL-MAKKI`` المكي), ``Abd`` / ``Abdul`` + word is written joined or apart (عبدالرحمن, عبد الرحمن), and particles
    (bin, abu) are their Arabic words. A name with a word of no Arabic twin is skipped. Only OFAC names are read.
    """
    import rigour.names as rn

    by_qid = _arabic_words(rn)
    rng = random.Random(seed)
    cache: dict[str, str | None] = {}
    out: list[tuple[str, str, int, str]] = []
    for eid, code, d in entries:
        if code != "ofac-sdn" or d.party is None or d.subject != SubjectKind.PERSON:
            continue
        for name in d.party.names[:3]:
            arabic = _in_arabic(rn, name, by_qid, rng, cache)
            if arabic:
                out.append(("dev_ofac_arabic", arabic, eid, name))
                break
    return out


if __name__ == "__main__":
    import heldout as h

    base, _ = h.un_original_script(h.watchlist())
    e, q = arabic_dev(base, 10**7, 40)
    for cls, a, _eid, listed in q:
        print(cls, a, "->", listed)


def arabic_negatives(n: int = 2000, seed: int = SEED + 7) -> list[tuple[str, str]]:
    """``n`` Arabic-script persons' names of Faker's Arabic and Persian locales (given + family name), for the
    false-positive check. None is listed, but a common Arabic name has listed namesakes (``محمد علي``), and a
    skeleton is never compared as equal (at most 0.97), so this rate is read before / after, not against 0.1 %."""
    from faker import Faker

    out: list[tuple[str, str]] = []
    fakes = []
    for i, loc in enumerate(LOCALES):
        f = Faker(loc)
        f.seed_instance(seed + i)
        fakes.append((loc, f))
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(out) < n:
        loc, f = rng.choice(fakes)
        name = _MARKS.sub("", f"{f.first_name()} {f.last_name()}")
        if name not in seen:
            seen.add(name)
            out.append((loc, name))
    return out


_ARTICLE_WORDS = {"al", "el", "ul", "aal"}


def _runs(tokens: list[str]) -> set[str]:
    """Skeletons of one to three adjacent words joined (``abd al razzaq`` is ``bdlrzk``, as عبدالرزاق is read)."""
    from finguard.screening.model.names import skeleton

    out = set()
    for i in range(len(tokens)):
        for n in (1, 2, 3):
            run = tokens[i : i + n]
            if len(run) == n and run[0] not in _ARTICLE_WORDS and run[-1] not in _ARTICLE_WORDS and (k := skeleton("".join(run))):
                out.add(k)
    return out


def _covered(a: list[str], b: list[str]) -> bool:
    """Every word of ``a`` (articles apart) has a word of ``b`` of its skeleton; words written joined on one side and
    apart on the other (عبدالرزاق / ``Abd al-Razzaq``) count as one word, but only against one word (a run of three
    words is not the same as another run of three: ``Omar Ali Hussain`` is ``mrlhsn`` as ``Muammar al-Hussain`` is)."""
    from finguard.screening.model.names import skeleton

    have = _runs(b)
    single = {k for t in b if t not in _ARTICLE_WORDS and (k := skeleton(t))}
    for i, t in enumerate(a):
        if t in _ARTICLE_WORDS or not skeleton(t) or skeleton(t) in have:
            continue
        starts = ((s, n) for n in (2, 3) for s in range(max(0, i - n + 1), i + 1) if s + n <= len(a))
        if not any(
            a[s] not in _ARTICLE_WORDS and a[s + n - 1] not in _ARTICLE_WORDS and skeleton("".join(a[s : s + n])) in single
            for s, n in starts
        ):
            return False
    return True


def hit_kind(query: str, listed: str) -> str:
    """How an Arabic-script query's hit relates to the listed name, by consonant skeletons of their words (articles apart;
    ``Ali`` is a word): ``namesake`` (every word of each has a word of the other of its skeleton: no name-only matcher
    tells them apart), ``subset`` (the query's words are all in a longer listed name), ``other``."""
    from finguard.screening.model.names import analyse_name

    qs = [list(v.tokens) for v in analyse_name(query).variants if v.kind == "skeleton"]
    cs = [list(v.tokens) for v in analyse_name(listed).variants if v.kind == "latin"]
    pairs = [(_covered(q, c), _covered(c, q)) for q in qs for c in cs]
    if any(a and b for a, b in pairs):
        return "namesake"
    return "subset" if any(a for a, _b in pairs) else "other"


def arabic_latency_queries() -> list[str]:
    """The latency benches' Arabic-script set (``latency_ab.py --arabic``, ``tail_profile.py --arabic``): 300 dev
    listed-person stand-ins, the OFAC persons of :func:`ofac_arabic` and 300 non-listed names."""
    import heldout as H

    listed, _ = H.un_original_script(H.watchlist())
    _, ar_q = arabic_dev(listed, 10**8, 300)
    return [q for _, q, _, _ in ar_q + ofac_arabic(listed)] + [q for _, q in arabic_negatives(300)]

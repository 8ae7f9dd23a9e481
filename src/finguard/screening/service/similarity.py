"""Name similarity between two analysed names, explained.

A name is a set of :class:`~finguard.screening.model.names.NameVariant` spellings; two names are as
similar as their most similar pair of variants. Two variants are compared two ways and the
better one counts:

* **token alignment**: each token of one side is paired with at most one token of the other
  (greedy, best pairs first; Jaro-Winkler for tokens of 4+ letters, Indel ratio for shorter ones,
  a shared sound key counts as 0.9 if the first vowels agree, a nickname for its name (``Bill`` /
  ``William``, from an open list, :mod:`.nicknames`) 0.9, an initial as 0.75). Each side's
  *coverage* is the share of its letters that found a partner; the score is
  ``0.6 * max(coverage) + 0.4 * min(coverage)``, so a
  dropped middle name costs a little and a lone common token ("Wei" against "Zhang Wei") a lot.
  Romanised Chinese names weigh ``0.2 / 0.8`` and count a short syllable as three letters (a
  missing syllable is another person); a one-token name against a longer one is capped below
  ``close_match`` ("Crystal Lee" is not the listed "CRYSTAL"). Two written-out words that start
  differently, sound differently and are two edits apart are other names, never paired
  (:func:`other_name`: ``Guzenko`` / ``Rudenko``); starting alike, three edits and two
  consonants apart (``Teslenko`` / ``Telizhenko``).
* **compact comparison**: all tokens joined, in both orders, by Indel ratio: catches spacing
  differences (``Xi Jinping`` / ``Xijinping``, ``Abdul Rahman`` / ``Abdulrahman``).

Romanised Korean names (from Hangul) are compared like Chinese ones, syllable by syllable, the
syllables through :func:`~finguard.screening.model.names.korean_key` (RR and McCune-Reischauer
spellings of one syllable are equal, two syllables are not alike because their letters are);
the spellings of the family name (``lee`` / ``yi`` / ``rhee``) are alternatives of one token
(:func:`prepare`), and the syllables must pair in the same order (the family name may move to the
other end). An initial stands for the listed given names beside the one it found (``C. MUN`` for
``MUN, Cho'ng-Ch'o'l``). An initial is a one-letter token the name wrote as one (``NameVariant.initials``), never a
one-letter syllable of a reading of another script (汪涛 read in Japanese is ``o to``): that is compared as a syllable.
A foreign name written in Chinese characters (``弗拉基米尔·普京``) is read back in Latin letters
and compared by sound key with ``l`` = ``r`` (what Chinese can write), capped at :data:`TRANSCRIBED_CAP`.
Variants from scripts written without vowels (Arabic, Hebrew) are compared by consonant skeleton,
capped (:data:`SKELETON_CAP`; below ``match`` when the skeleton is short) and never against a
romanised Chinese name. Han variants only with Han variants (character by character); two Han
names written differently but read alike (李铭 / 李明) reach :data:`HAN_READING_CAP` at most.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Any

from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from finguard.screening.model.names import (
    SKELETON_DIGRAPHS,
    NameVariant,
    korean_key,
    looks_chinese,
    other_skeletons,
    phonetic_key,
    segment_pinyin,
    skeleton,
    transcription_key,
)
from finguard.screening.service.nicknames import table as nickname_table

MIN_TOKEN_SIM = 0.72
SKELETON_CAP = 0.97  # equal consonant skeletons: the vowels were never written, so never quite equal
SKELETON_SHORT_CAP = 0.86  # a skeleton one consonant short of SKELETON_MIN (محمد علي): close_match at most
SKELETON_TINY_CAP = 0.8  # shorter still: too little to raise a hit on its own
ARABIC_READING_FLOOR = 0.5  # a skeleton alignment under this is not compared again with the listed words read otherwise
SKELETON_WORDS_MIN = 3  # ... unless two or more words, this many consonants in all, are each the same (same_skeleton_words)
HEBREW_TINY_CAP = 0.78  # a Hebrew word that short: no hit even with an equal legal form (+0.02; Latin TWFK LTD is one)
SKELETON_MIN = 6
ARTICLE_SKELETON = "L"  # the Arabic article's place in a skeleton: a token no other skeleton is (they are lower-case)
_ARTICLES = frozenset({"al", "el", "ul"})
# the article before a sun letter as lists write it assimilated, a word of its own (السيد ES SAYED / as-Sayyid, الشيخ
# ash-Shaikh, الرشيد ar-Rashid): a vowel and the next word's first consonant (Latin digraphs whole)
_ASSIMILATED = re.compile(r"[aeu](?:th|dh|sh|t|d|r|z|s|n)")


def article_places(tokens: tuple[str, ...]) -> frozenset[int]:
    """Places of the Arabic article among a Latin name's words: ``al``, ``el``, ``ul``, and the article assimilated to a
    sun letter, written apart before a word that opens with that letter (``es sayed``, ``ash shaikh``, ``ud din``; not
    ``as`` before ``Mohamed``, nor ``ash`` before ``Salim``)."""
    out = {i for i, t in enumerate(tokens) if t in _ARTICLES}
    for i, (t, nxt) in enumerate(pairwise(tokens)):
        if _ASSIMILATED.fullmatch(t) and nxt.startswith(t[1:]) and len(nxt) > len(t):
            out.add(i)
    return frozenset(out)


INITIAL_CREDIT = 0.8  # "N. T. HEATH" for "HEATH, Noel Timothy": a close match, not a miss
INITIALS_CAP = 0.91
DISTINCT_NUMBER_CAP = 0.75  # names that differ in a number are other entities: below close_match
HAN_READING_CAP = 0.88  # two Han names that read alike but are written differently (李铭 / 李明): close_match at most
COMPACT_DISCOUNT = 0.97
TOKEN_PENALTY = 2.0
SINGLE_TOKEN_CAP = 0.78  # below close_match even with a qualifier's small lift (an equal legal form: +0.02)
SINO_MIN_WEIGHT = 3  # romanised Chinese: a short syllable (``li``, ``yu``) tells people apart as much as a long one
TRANSCRIBED_CAP = 0.95  # a foreign name read back from Chinese characters is never quite the name
NICKNAME_SIM = 0.9  # "Bill" for "William", "Sasha" for "Aleksandr": near-equal, never equal (a close match on its own)
KOREAN_VOWEL_SIM = 0.85  # romanised Korean syllables that differ only in o / u
PHONETIC_FLOOR = 0.75  # a shared sound key lifts a token pair to 0.9 only if the spellings are this close already
# (and their first vowels agree: _vowels_agree)


_SINO = ("pinyin", "sino")
# one query's token-pair similarities: in _align (query token, sound keys compared, Chinese, pinyin) -> listed token ->
# similarity; in _korean_align ("korean", the two places' spellings, the initials of each side) -> _korean_pair's answer;
# in variant_similarity the alignments of two token tuples (with the flags and initials; or "skeleton" and two skeletons)
PairMemo = dict[tuple[Any, ...], Any]
_NO_NUMBERS: frozenset[str] = frozenset()
_VOWEL_LETTERS = frozenset("aeiou")
_VOWEL_CLASS = {"a": "a", "e": "i", "i": "i", "y": "i", "o": "o", "u": "o"}


class Prepared:
    """A variant with everything the comparison needs computed once, at index time."""

    __slots__ = (
        "chinese",
        "compact",
        "compact_rev",
        "dup",
        "family",
        "hebrew",
        "hebrew_short",
        "initials",
        "kind",
        "korean",
        "korean_rotations",
        "korean_spellings",
        "numbers",
        "phon",
        "pinyin",
        "probe_side",
        "skel",
        "skel_compact",
        "skel_compact_rev",
        "skel_weights",
        "tokens",
        "total",
        "weights",
    )

    def __init__(self, variant: NameVariant) -> None:
        self.kind = variant.kind
        self.tokens = variant.tokens
        self.weights = tuple(_weight(t) for t in variant.tokens)
        self.total = float(sum(self.weights)) or 1.0
        self.compact = "".join(variant.tokens)
        self.compact_rev = "".join(reversed(variant.tokens))
        self.phon = tuple(phonetic_key(t) for t in variant.tokens)
        self.numbers = frozenset(t for t in variant.tokens if t.isdigit()) or _NO_NUMBERS  # "DONG FENG 6" (variant_similarity)
        # the article (al, el, ul: ال and آل read "al"; as, ash ... before a sun letter) is not the name Ali (علي read "ly"),
        # though both skeletons are "l": as a word of its own it pairs only with another article, and is no initial of a
        # word starting with l. Arabic letters write it ال whatever letter follows: an assimilated one's consonant is l
        places = article_places(variant.tokens) if not variant.hebrew else frozenset()
        skel = [(i, k) for i, k in ((i, "l" if i in places else skeleton(t, variant.hebrew)) for i, t in enumerate(variant.tokens)) if k]
        self.skel_compact = "".join(k for _i, k in skel)  # the article as its consonant: "al otaibi" joined is "ltb"
        self.skel_compact_rev = "".join(reversed([k for _i, k in skel]))
        self.skel = tuple(ARTICLE_SKELETON if i in places else k for i, k in skel)
        self.skel_weights = tuple(_weight(t) for t in self.skel)
        self.korean = variant.kind == "korean"
        self.pinyin = variant.pinyin
        self.initials = variant.initials  # the one-letter tokens the name wrote as Latin initials (not syllables of a reading)
        # Hebrew writes long vowels (ו, י) and drops short ones: a word of two consonants read as a skeleton
        # (סעד "sd") is Saad, not Saeed, which Hebrew would write with a yod (see _hebrew_short)
        self.hebrew = variant.hebrew
        short = (skeleton(t, True) for t in variant.tokens) if variant.hebrew else ()
        self.hebrew_short = frozenset(k for k in short if len(k) <= 2)
        self.dup = False  # compares exactly as an earlier variant of the same name (set by prepare): not scored again
        # romanised Korean: the spellings of the first token (the family name) this variant stands for (set by prepare)
        self.family: tuple[str, ...] = ()
        # romanised Korean: its spellings and their rotations by korean_key, computed when first compared (_korean_align)
        self.korean_spellings: list[tuple[str, tuple[str, ...]]] | None = None
        self.korean_rotations: dict[str, list[tuple[str, ...]]] | None = None
        # romanised Korean: its KoreanProbe side (_probe_side), computed when first probed
        self.probe_side: _Side | None = None
        # Chinese and Korean names alike: no middle names, and a missing syllable is another person
        self.chinese = self.korean or variant.kind in _SINO or (variant.kind == "latin" and looks_chinese(variant.tokens))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # explicit, so that pure Python and the mypyc-compiled module (a native class: no ``__dict__``, and pickle's
        # default ``cls.__new__(cls)`` runs its ``__init__``) pickle the same way: the slots, in ``__slots__`` order
        return (
            _rebuilt_prepared,
            (
                self.chinese,
                self.compact,
                self.compact_rev,
                self.dup,
                self.family,
                self.hebrew,
                self.hebrew_short,
                self.initials,
                self.kind,
                self.korean,
                self.korean_rotations,
                self.korean_spellings,
                self.numbers,
                self.phon,
                self.pinyin,
                self.probe_side,
                self.skel,
                self.skel_compact,
                self.skel_compact_rev,
                self.skel_weights,
                self.tokens,
                self.total,
                self.weights,
            ),
        )


_NO_VARIANT = NameVariant(())


def _rebuilt_prepared(
    chinese: Any,
    compact: Any,
    compact_rev: Any,
    dup: Any,
    family: Any,
    hebrew: Any,
    hebrew_short: Any,
    initials: Any,
    kind: Any,
    korean: Any,
    korean_rotations: Any,
    korean_spellings: Any,
    numbers: Any,
    phon: Any,
    pinyin: Any,
    probe_side: Any,
    skel: Any,
    skel_compact: Any,
    skel_compact_rev: Any,
    skel_weights: Any,
    tokens: Any,
    total: Any,
    weights: Any,
) -> Prepared:
    """A pickled :class:`Prepared` (its ``__reduce__``): made from an empty variant, then given the pickled slots."""
    p = Prepared(_NO_VARIANT)
    p.chinese = chinese
    p.compact = compact
    p.compact_rev = compact_rev
    p.dup = dup
    p.family = family
    p.hebrew = hebrew
    p.hebrew_short = hebrew_short
    p.initials = initials
    p.kind = kind
    p.korean = korean
    p.korean_rotations = korean_rotations
    p.korean_spellings = korean_spellings
    p.numbers = numbers
    p.phon = phon
    p.pinyin = pinyin
    p.probe_side = probe_side
    p.skel = skel
    p.skel_compact = skel_compact
    p.skel_compact_rev = skel_compact_rev
    p.skel_weights = skel_weights
    p.tokens = tokens
    p.total = total
    p.weights = weights
    return p


def _weight(token: str) -> int:
    if token.isdigit():
        return 5  # numbers in names ("DONG FENG 6", "Unit 8200") tell entries apart
    return max(1, min(len(token), 10))


def prepare(variants: tuple[NameVariant, ...]) -> list[Prepared]:
    """Prepared variants of one name; if any variant is romanised Chinese, all its Latin variants are compared as such.

    Romanised Korean variants that differ only in how the family name is spelled (``lee`` /
    ``yi`` / ``ri`` / ``rhee ji yeon``) are scored as one: the first keeps the others' family
    names as alternatives for its first token (``family``), the others are marked ``dup``; of
    the rest, variants alike by :func:`korean_key` are scored once.
    """
    out = [Prepared(v) for v in variants]
    by_tail: dict[tuple[str, ...], list[Prepared]] = {}
    for p in out:
        if p.korean and len(p.tokens) > 1:
            by_tail.setdefault(p.tokens[1:], []).append(p)
    for same in by_tail.values():
        lead = next((p for p in same if len(p.tokens[0]) > 1), same[0])  # a written-out family name explains best
        lead.family = tuple(dict.fromkeys([lead.tokens[0], *(p.tokens[0] for p in same)]))
        for p in same:
            p.dup = p is not lead
    seen: set[tuple[object, ...]] = set()
    for p in out:
        if p.korean and not p.dup:  # RR, McCune-Reischauer and people's spellings of one Korean name: one key, scored once
            family = frozenset((korean_key(f), _weight(f)) for f in p.family)
            key = (tuple(korean_key(t) for t in p.tokens[1 if family else 0 :]), p.weights[1 if family else 0 :], family)
            p.dup = key in seen
            seen.add(key)
    if any(p.kind == "sino" for p in out):
        for p in out:
            p.chinese = True
    return out


def token_similarity(a: str, b: str, phon_a: str = "", phon_b: str = "", nicknames: bool = True) -> float:
    """Similarity of two tokens in [0, 1]; ``nicknames=False``: by spelling (and sound key) only."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    if la == 1 or lb == 1:
        return 0.75 if a[0] == b[0] else 0.0
    if la >= 4 and lb >= 4:
        sim = JaroWinkler.normalized_similarity(a, b)
    else:
        sim = Indel.normalized_similarity(a, b)
    if phon_a and phon_a == phon_b and PHONETIC_FLOOR <= sim < 0.9 and _vowels_agree(a, b):
        sim = 0.9
    if nicknames and sim < NICKNAME_SIM:
        partners = nickname_table().get(a)
        if partners is not None and b in partners:
            sim = NICKNAME_SIM
    return float(sim)


def variant_similarity(q: Prepared, c: Prepared, memo: PairMemo | None = None, joined: bool = True) -> float:
    """Similarity of two prepared variants in [0, 1]; ``memo``: the query's token-pair similarities (:func:`_align`).

    ``joined=False``: word by word only, the names are not also compared without spaces (a Japanese reading of a name
    written in Han characters: :func:`_japanese_reading`)."""
    if q.kind == "han" or c.kind == "han":
        if q.kind == c.kind:
            return float(Indel.normalized_similarity(q.compact, c.compact))
        return 0.0
    if q.kind == "skeleton" or c.kind == "skeleton":
        qs, cs = q.skel, c.skel
        other = c if q.kind == "skeleton" else q
        if other.kind != "skeleton" and other.chinese:
            return 0.0  # "Shufen Lu" is not an Arabic name that happens to share its consonants
        # a Latin listed word read as Arabic letters may be (Youcef: French c, يوسف; Fathi: t + h, فتحي): its other skeletons
        words = _arabic_alternatives(c.tokens) if q.kind == "skeleton" and c.kind != "skeleton" and not q.hebrew else None
        # the skeletons' weights and compacts are functions of their tokens; the other readings, of the listed words
        key = ("skeleton", qs, cs) if words is None else ("skeleton", qs, cs, words)
        aligned = None if memo is None else memo.get(key)
        if aligned is None:
            aligned = _align(
                qs,
                cs,
                None,
                None,
                q.skel_weights,
                c.skel_weights,
                q.skel_compact,
                c.skel_compact,
                c.skel_compact_rev,
                memo=memo,
            )
            # read otherwise only when that may matter: a name this far off is not one word's reading from a hit
            alt = latin_read_as_arabic(c, qs) if words is not None and ARABIC_READING_FLOOR <= aligned < 1.0 else None
            if alt is not None:
                compact = "".join("l" if k == ARTICLE_SKELETON else k for k in alt)
                compact_rev = "".join("l" if k == ARTICLE_SKELETON else k for k in reversed(alt))
                weights = tuple(_weight(t) for t in alt)
                as_read = _align(qs, alt, None, None, q.skel_weights, weights, q.skel_compact, compact, compact_rev, memo=memo)
                aligned = max(aligned, as_read)
            if memo is not None:
                memo[key] = aligned
        if not aligned:
            return 0.0  # whatever the cap (the checks below are pure: they need not run)
        shortest = min(len(q.skel_compact), len(c.skel_compact))
        tiny = HEBREW_TINY_CAP if q.hebrew or c.hebrew else SKELETON_TINY_CAP  # וולף Inc is not WOLF HOLDING COMPANY
        cap = SKELETON_CAP if shortest >= SKELETON_MIN else SKELETON_SHORT_CAP if shortest == SKELETON_MIN - 1 else tiny
        if cap == SKELETON_TINY_CAP and shortest >= SKELETON_WORDS_MIN:
            alt = latin_read_as_arabic(c, qs) if words is not None else None
            if same_skeleton_words(qs, cs) or (alt is not None and same_skeleton_words(qs, alt)):
                cap = SKELETON_SHORT_CAP  # طارق عزيز / AZIZ, Tariq: a short name, but every word of it the same
        if cap > tiny and (  # the Hebrew checks only lower the cap to tiny: not read when it is no higher
            _hebrew_short(q, c)
            or _hebrew_short(c, q)
            or _hebrew_labial(q, c)
            or _hebrew_labial(c, q)
            or _hebrew_vowel_letters(q, c)
            or _hebrew_vowel_letters(c, q)
        ):
            cap = tiny
        return cap * aligned
    if q.kind == "transcribed" or c.kind == "transcribed":
        if q.kind == c.kind or q.chinese or c.chinese:
            return 0.0  # read back from Chinese characters: compared with names written in Latin letters
        return _transcribed_similarity(q, c) if q.kind == "transcribed" else _transcribed_similarity(c, q)
    sino = q.chinese or c.chinese
    korean = q.korean or c.korean
    if korean and (q.family or c.family):
        # a function of the two names' tokens, family-name spellings and initials (weights, spellings and rotations are
        # functions of them): listed names spelled alike are aligned once per query
        aligned_key = ("korean_align", q.tokens, q.family, q.initials, c.tokens, c.family, c.initials)
        got = None if memo is None else memo.get(aligned_key)
        if got is None:
            got = _korean_align(q, c, memo)
            if memo is not None:
                memo[aligned_key] = got
        sim = got
    else:
        # the alignment is a function of the two token tuples (sound keys, weights, compacts are functions of them), these
        # flags and the initials: two listed names spelled alike (aliases, namesakes) are aligned once per query
        pinyin = q.pinyin or c.pinyin
        pair: tuple[object, ...] = (q.tokens, c.tokens, sino, korean, pinyin, q.initials, c.initials)
        if not joined:
            pair = (*pair, "words")
        found = None if memo is None else memo.get(pair)
        if found is None:
            found = _align(
                q.tokens,
                c.tokens,
                q.phon,
                c.phon,
                q.weights,
                c.weights,
                q.compact if joined else "",  # "": nothing is equal to it or near it without spaces (_compact_above)
                c.compact,
                c.compact_rev,
                sino,
                korean,
                pinyin,
                q.initials,
                c.initials,
                memo,
            )
            if memo is not None:
                memo[pair] = found
        sim = found
    q_numbers, c_numbers = q.numbers, c.numbers
    if q_numbers and c_numbers and q_numbers != c_numbers:
        return min(sim, DISTINCT_NUMBER_CAP)  # "Snow Storm 1" is not "Snow Storm 2"
    return sim


@lru_cache(maxsize=65536)
def _arabic_alternatives(tokens: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Per word with a skeleton: the word's skeleton (the article's place as :data:`ARTICLE_SKELETON`) and its other
    skeletons (:func:`~finguard.screening.model.names.other_skeletons`, sorted); ``None`` when no word has another.
    Kept per name: asked for every candidate of a query in Arabic letters, and most names have none."""
    out: list[tuple[str, tuple[str, ...]]] = []
    some = False
    places = article_places(tokens)
    for i, t in enumerate(tokens):
        k = skeleton(t)
        if not k:
            continue
        if i in places:
            out.append((ARTICLE_SKELETON, ()))
            continue
        others = tuple(sorted(other_skeletons(t)))
        some = some or bool(others)
        out.append((k, others))
    return tuple(out) if some else None


def latin_read_as_arabic(c: Prepared, qs: tuple[str, ...]) -> tuple[str, ...] | None:
    """The listed Latin name's skeleton with each word the query's skeletons lack read as Arabic letters may give it.

    :func:`~finguard.screening.model.names.other_skeletons` (a digraph as two letters: ``Fathi`` فتحي ``fth``; French
    ``c``: ``Youcef`` يوسف ``sf``, ``Yacoub`` يعقوب ``kb``; ``dj``). The index already finds the name by these keys; the
    comparison read only the Latin skeleton (``cf``, ``cb``, ``ft``), so such names were found and scored low. Not the
    index's ta marbuta key (a final ``-ah`` / ``-at`` dropped): in a comparison it made ``Ullah`` Ali (``l``) and
    ``MARKET`` ``mrk`` (9 more Arabic-script non-listed hits on dev, none found). ``None`` when no word changes.
    """
    words = _arabic_alternatives(c.tokens)
    if words is None:
        return None
    out: list[str] = []
    changed = False
    for k, others in words:
        if others and k not in qs:
            found = next((o for o in others if o in qs), None)
            if found is not None:
                k, changed = found, True
        out.append(k)
    return tuple(out) if changed else None


def same_skeleton_words(qs: tuple[str, ...], cs: tuple[str, ...]) -> bool:
    """Two or more words on each side, the same consonant skeletons word for word (in any order, articles apart).

    A short name read from Arabic letters (``trk zz``, Tariq Aziz; ``ms hll``, Musa Hilal) has too few consonants for
    its compact skeleton to say much (:data:`SKELETON_TINY_CAP`), but every word equal to a listed word is the listed
    name as the script writes it: the same name written in Latin letters is a hit (a namesake at worst), and the name
    written in Arabic letters must not be a way past screening. A close match (:data:`SKELETON_SHORT_CAP`), never a
    match; a word one consonant off, or a word more or fewer, keeps the tiny cap.
    """
    mine, theirs = sorted(_abd_apart(qs)), sorted(_abd_apart(cs))
    return len(mine) >= 2 and all(mine) and mine == theirs


_ABD = "bdl"  # عبدال, Abdul, Abdel, Abd al


def _abd_apart(skel: tuple[str, ...]) -> list[str]:
    """A name's skeleton words, articles apart, with a theophoric ``Abd al-`` name as two words: Arabic letters write
    ``عبدالعزيز`` as one word (``bdlz``), lists ``Abdul Aziz``, ``AZIZ, Abdul``, ``Abd al-Aziz`` (``bdl z``)."""
    out: list[str] = []
    for k in skel:
        if k == ARTICLE_SKELETON:
            if out and out[-1] == "bd":
                out[-1] = _ABD  # Abd al-Aziz
            continue
        if k.startswith(_ABD) and len(k) > len(_ABD):
            out.extend((_ABD, k[len(_ABD) :]))
        else:
            out.append(k)
    return out


def _hebrew_short(h: Prepared, other: Prepared) -> bool:
    """A Hebrew word of two consonants or fewer (``sd``) against a Latin word of that skeleton with three vowels or more, or an inner i.

    ``Saeed`` (three vowels) and ``Said`` would be written with a yod; ``Tal``, ``Dan``, ``Saad`` are what the
    Hebrew letters say. A skeleton equal only this way is too little for a hit. Nor does such a word stand
    for a Latin word whose skeleton goes on after its consonants (טל ``tl`` / ``Talib``, סעד / ``Sadiq``):
    Hebrew would have written the consonant it lacks.
    """
    if not h.hebrew_short or other.kind == "skeleton":
        return False
    for t in other.tokens:
        k = skeleton(t)
        # a Latin i between consonants (Said, Karim) is a long vowel Hebrew writes with a yod
        if k in h.hebrew_short and (sum(ch in "aeiouy" for ch in t) >= 3 or "i" in t[1:-1]):
            return True
        if len(k) > 2 and any(k[:2] == x for x in h.hebrew_short) and _hebrew_prefix(h.tokens, k[:2]):
            return True
    return False


def _hebrew_prefix(tokens: tuple[str, ...], short: str) -> bool:
    """A Hebrew word of those two consonants and no bet (``v``, which skeletons drop: הרבי ``hrvy`` has three)."""
    return any("v" not in x and skeleton(x, True) == short for x in tokens)


def _hebrew_labial(h: Prepared, other: Prepared) -> bool:
    """A w or v the Hebrew spelling cannot have left out, or a Hebrew word starting with v / b or with yod the Latin word lacks.

    Hebrew writes a w / v sound with vav or bet (both ``v`` here): ``Sarwar`` is not שחר (``shr``),
    though their consonant skeletons, which drop w, are equal. A word starting with vav or bet
    (בכר, ``vkhr``) starts with that consonant: it is not ``Qari``. Nor is a word starting with yod
    (יוסף, ``ywsf``: skeleton ``sf``) ``Assaf`` or ``Sayf``: its Latin partner starts with y, j, i or e, or
    with a vowel before y or i (:func:`_yod_start`).
    """
    if not h.hebrew or other.kind == "skeleton":
        return False
    for t in other.tokens:
        sk = skeleton(t)
        partners = [x for x in h.tokens if sk in (skeleton(x, True), skeleton(x))]  # read as letters, or as Latin digraphs
        if not partners:
            continue
        if ("w" in t or "v" in t) and not any("v" in x or "w" in x for x in partners):
            return True
        if all(x[0] in "vw" for x in partners) and t[0] not in "vwbfpou":
            return True
        if all(x[0] == "y" for x in partners) and not _yod_start(t):
            return True
    return False


def _yod_start(t: str) -> bool:
    """A Latin word that may start as a Hebrew word starting with yod does: with the consonant y (``Yusuf``, ``Joseph``)
    or, after a silent alef or ayin, with the vowel yod writes (``Ilan``, ``Ismail``, ``Ebrahim``, ``Ayman``)."""
    return t[0] in "yjie" or (t[0] in "aou" and t[1:2] in ("y", "i"))


@lru_cache(maxsize=65536)
def _vowel_places(token: str, letters: bool) -> tuple[str, dict[int, str]]:
    """A token's consonant skeleton (as :func:`~finguard.screening.model.names.skeleton` reads it), and the vowel
    letters written after each of its consonants.

    ``mohamed`` -> ``("mhmd", {1: "o", 2: "a", 3: "e"})``; the Hebrew מוחמד (``mwhmd``, ``letters``) ->
    ``("mhmd", {1: "w"})``. A vowel before the first consonant is not counted (a word-initial yod or
    vav is a consonant); a ``v`` is kept with the vowels (skeletons drop it: a bet, or a Latin v).
    """
    t = token.replace("`", "").replace("'", "")
    if letters:
        t = t.replace("kh", "k")
        for a, b in SKELETON_DIGRAPHS:
            if t.endswith(a):
                t = t[: -len(a)] + b
    else:
        for a, b in SKELETON_DIGRAPHS:
            t = t.replace(a, b)
    out: list[str] = []
    places: dict[int, str] = {}
    prev = ""
    for ch in t.replace("q", "k"):
        if ch in "aeiouywv":
            if out:
                places[len(out)] = places.get(len(out), "") + ch
        elif not out or letters or prev != ch:
            # a Latin doubled letter is one consonant (Hassan, Mohammed); one repeated across a vowel is two (Hillel,
            # Lulu). Hebrew never doubles a letter to lengthen it: הלל (hll, Hillel) and ליאל (lyl, Liel) have two
            out.append(ch)
        prev = ch
    return "".join(out), places


def _letters_agree(hebrew: tuple[str, dict[int, str]], latin: tuple[str, dict[int, str]], final_i: bool, final_u: bool = False) -> bool:
    hk, hp = hebrew
    lk, lp = latin
    if hk != lk:
        return False  # alike only with the Hebrew letters read as Latin digraphs (שחר as "sr": Suri)
    for place, written in hp.items():
        vowels = lp.get(place, "")
        if "y" in written and not any(v in vowels for v in "iey"):
            return False
        if "w" in written and not any(v in vowels for v in "ouwv"):
            return False
        if "v" in written and "v" not in vowels:
            return False  # a bet (anyascii's v; vav is w) is a consonant the skeleton drops, not a vowel
    if final_u and "w" not in hp.get(len(hk), ""):
        return False
    return not final_i or "y" in hp.get(len(hk), "")


def _hebrew_vowel_letters(h: Prepared, other: Prepared) -> bool:
    """A Hebrew word and the Latin word of its skeleton that disagree in the letters Hebrew writes.

    Hebrew spells long vowels with yod (i, e) and vav (o, u; or the consonant v), and short ones not at
    all: כרמי is Karmi, not ``Karim`` or ``Karma``; קדוש is Kadosh, not ``Quds``; רומי is Romi, not
    ``Army``. A Latin word ending in i after a consonant has a final yod (``Suri``, ``Sabahi``), one
    ending in u a final vav (סעד is not ``Sa'du``). A bet
    (anyascii's v) is a consonant the Latin word must have: סבח is not ``Shah``. A Latin word written
    without vowels (``mhmd``) says nothing either way.
    """
    if not h.hebrew or other.kind == "skeleton":
        return False
    # a partner: a Hebrew word of the Latin word's skeleton, its letters read one by one or as Latin digraphs (שחר: shr
    # or sr); read as digraphs, its letters differ from the Latin word's (Suri has no ח), which is a disagreement
    hebrew = [((skeleton(x, True), skeleton(x)), _vowel_places(x, True)) for x in h.tokens]
    for t in other.tokens:
        latin = _vowel_places(t, False)
        if not latin[0] or not any(ch in "aeiou" for ch in t):
            continue
        sk = skeleton(t)
        partners = [p for k, p in hebrew if sk in k]
        final_i = len(t) > 2 and t[-1] in "iy" and t[-2] not in "aeiou"
        final_u = len(t) > 2 and t[-1] == "u" and t[-2] not in "aeiou"
        if partners and not any(_letters_agree(p, latin, final_i, final_u) for p in partners):
            return True
    return False


def _transcribed_similarity(t: Prepared, other: Prepared) -> float:
    """A name read back from Chinese characters (``t``) against one written in Latin letters, by sound key.

    Every word of the transcription must be found; words of the Latin name it lacks (a
    patronymic: 弗拉基米尔·普京 for ``PUTIN, Vladimir Vladimirovich``) cost little.
    """
    tk = [transcription_key(x) for x in t.tokens]
    ok = [transcription_key(x) for x in other.tokens]
    pairs = sorted(
        (
            (float(JaroWinkler.normalized_similarity(a, b)) if a != b else 1.0, i, j)
            for i, a in enumerate(tk)
            for j, b in enumerate(ok)
            if a and b
        ),
        reverse=True,
    )
    got_t = [0.0] * len(tk)
    got_o = [0.0] * len(ok)
    for sim, i, j in pairs:
        if sim < MIN_TOKEN_SIM or got_t[i] or got_o[j]:
            continue
        got_t[i] = got_o[j] = 1.0 - (1.0 - sim) * TOKEN_PENALTY
    wt, wo = t.weights, other.weights
    cov_t = sum(g * w for g, w in zip(got_t, wt, strict=True)) / (sum(wt) or 1)
    cov_o = sum(g * w for g, w in zip(got_o, wo, strict=True)) / (sum(wo) or 1)
    align = 0.85 * cov_t + 0.15 * cov_o
    if (len(tk) == 1) != (len(ok) == 1):
        align = min(align, SINGLE_TOKEN_CAP)
    return TRANSCRIBED_CAP * align


def _align(
    qt: tuple[str, ...],
    ct: tuple[str, ...],
    qp: tuple[str, ...] | None,
    cp: tuple[str, ...] | None,
    qw: tuple[int, ...],
    cw: tuple[int, ...],
    qc: str,
    cc: str,
    cc_rev: str,
    sino: bool = False,
    korean: bool = False,
    pinyin: bool = False,
    qi: frozenset[str] | None = None,
    ci: frozenset[str] | None = None,
    memo: PairMemo | None = None,
) -> float:
    """Token alignment of two variants (see the module docstring).

    ``qi`` / ``ci``: the one-letter tokens of each side that are initials (``Prepared.initials``); ``None``: every one
    (consonant skeletons). Another one-letter token is a syllable (``o`` of 汪涛 read ``o to``) and compared as one.
    ``memo``: one query's token-pair similarities (:data:`PairMemo`), kept across its variants and candidates.
    """
    if not qt or not ct:
        return 0.0
    if qt == ct:
        return 1.0
    if korean:  # romanised Korean: spacing and romanisation may differ, syllables may not
        kq = korean_key(qc)  # the letters alike first (cached), then where the syllables are cut
        compact = 0.0
        # the same syllables in the same order, the family name perhaps moved to the other end (never backwards: 김은정
        # is not "Jong Un KIM", whose syllables read backwards are "kim un jong")
        if any(kq == korean_key("".join(order)) and _korean_compact_equal(qt, order) for order in _rotations(ct)):
            compact = COMPACT_DISCOUNT
    elif sino:  # romanised Chinese: spacing may differ, syllables may not
        compact = COMPACT_DISCOUNT if qc == cc or qc == cc_rev else 0.0
    else:
        compact = -1.0  # the names compared without spaces: read last, and only when it may be the answer (_compact_above)
    phon = qp is not None and cp is not None
    if memo is None:
        memo = {}
    # each listed token's partners among the query's tokens (a function of the token, whether it is an initial, and the
    # query's tokens and flags): found once per query, then read for every listed name that has the token
    got = memo.get(key := ("near", qt, phon, sino, korean, pinyin, qi))
    if got is None:
        got = memo[key] = ({}, _query_side(qt, qp, phon, sino, korean, pinyin, qi, memo))
    near: dict[str | tuple[str, bool], tuple[tuple[float, int, bool], ...]] = got[0]
    side: list[_QueryToken] = got[1]
    pairs: list[tuple[float, int, int]] = []
    initial_pairs: set[tuple[int, int]] = set()
    for j, b in enumerate(ct):
        b_initial = len(b) == 1 and (ci is None or b in ci)
        b_key = (b, True) if b_initial else b
        partners = near.get(b_key)
        if partners is None:
            b_phon = cp[j] if cp is not None else ""
            partners = near[b_key] = _partners(side, b, b_phon, b_initial, phon, sino, korean, pinyin)
        for sim, i, is_initial in partners:
            pairs.append((sim, i, j))
            if is_initial:
                initial_pairs.add((i, j))
    if not pairs:
        return _compact_above(qc, cc, cc_rev, 0.0) if compact < 0.0 else compact
    if sino:
        qw = tuple(max(SINO_MIN_WEIGHT, w) for w in qw)
        cw = tuple(max(SINO_MIN_WEIGHT, w) for w in cw)
    pairs.sort(reverse=True)
    used_q = 0
    used_c = 0
    got_q = got_c = 0.0
    initial = False
    paired: list[tuple[int, int]] = []
    by_initial = 0  # the listed tokens an initial of the query stands for
    initial_weight = 0  # the weight of the query's initials that found a listed name
    letters = ""  # and their letters
    for sim, i, j in pairs:
        bi, bj = 1 << i, 1 << j
        if used_q & bi or used_c & bj:
            continue
        used_q |= bi
        used_c |= bj
        is_initial = (i, j) in initial_pairs
        credit = INITIAL_CREDIT if is_initial else 1.0 - (1.0 - sim) * TOKEN_PENALTY
        # a pair at 0.9 (a shared sound key, a nickname) has an initial's credit and is capped as one too (as before
        # initials were told apart; whether it should be is a choice of its own, left as it was)
        initial = initial or is_initial or credit == INITIAL_CREDIT
        got_q += credit * qw[i]
        got_c += credit * cw[j]
        if korean:
            paired.append((i, j))
        elif is_initial and phon and len(qt[i]) == 1:  # an initial the query wrote, for a listed name (not a skeleton's)
            by_initial |= bj
            initial_weight += qw[i]
            letters += qt[i]
    if by_initial and used_q == (1 << len(qt)) - 1:
        # "C. MUN" for "MUN, Cho'ng-Ch'o'l", "S. KIM" for "KIM, Sou-gwang": an initial stands for the given name,
        # all of it; the listed names beside the one an initial found are credited as the initial is
        for j in [*range(1, len(ct)), *range(len(ct) - 2, -1, -1)]:
            bj = 1 << j
            if not used_c & bj and by_initial & ((bj >> 1) | (bj << 1)):
                used_c |= bj
                by_initial |= bj
                got_c += INITIAL_CREDIT * cw[j]
    total_c = sum(cw)
    if (
        sino
        and by_initial
        and all(ct[j][0] in letters for j in range(len(ct)) if by_initial >> j & 1 and not (j and by_initial >> (j - 1) & 1))
    ):
        # an initial stands for a Chinese given name however long it is: "B. JI" covers JI, Bingxuan as much as JI, Bo,
        # and "S. KIM" KIM, Sou-gwang as much as KIM, Song (weighed 0.2 / 0.8, the longer name was always below); the
        # listed names it stands for weigh what the initial weighs, when it is their initial ("S. KIM" is credited
        # for KIM, Tae-song's "song" and "tae", weighed as written). Other names are capped at INITIALS_CAP alike.
        covered = sum(w for j, w in enumerate(cw) if by_initial >> j & 1)
        got_c += INITIAL_CREDIT * (initial_weight - covered)
        total_c += initial_weight - covered
    cov_q = got_q / sum(qw)
    cov_c = got_c / total_c
    align = _combine(cov_q, cov_c, len(qt), len(ct), sino)
    if korean and (used_q != (1 << len(qt)) - 1 or used_c != (1 << len(ct)) - 1 or not _korean_order(paired)):
        # a syllable of a Korean name with no partner (장미경 / JANG GYONG), or in another order: another person's name
        align = min(align, SINGLE_TOKEN_CAP)
    if initial:
        align = min(align, INITIALS_CAP)  # an initial stands for many names: a close match at most
    if compact < 0.0:
        compact = _compact_above(qc, cc, cc_rev, align)
    return max(align, compact)


def _compact_above(qc: str, cc: str, cc_rev: str, floor: float) -> float:
    """The compact comparison of :func:`_align` (the names without spaces, the listed one either way round), when it may
    be above ``floor``; otherwise at most ``floor`` (0.0), which ``max(floor, ...)`` does not tell from its value.

    A Levenshtein similarity is at most the shorter length over the longer (every letter of the difference is an edit):
    when that cannot pass ``floor``, nothing is computed (1e-9 of margin keeps float rounding on the computing side).
    (rapidfuzz's ``score_cutoff`` was tried: it answers 0.0 for some values just above the cutoff.)
    """
    lq, lc = len(qc), len(cc)
    longest = max(lq, lc)
    if floor > 0.0 and longest and min(lq, lc) / longest * COMPACT_DISCOUNT < floor - 1e-9:
        return 0.0
    return max(Levenshtein.normalized_similarity(qc, cc), Levenshtein.normalized_similarity(qc, cc_rev)) * COMPACT_DISCOUNT


# a query token as _partners reads it: its place, the token, its length, whether it is an initial, its similarities to
# listed tokens (the query's memo row; None for romanised Korean), its nicknames, its sound key ("" for skeletons)
_QueryToken = tuple[int, str, int, bool, dict[str, float] | None, frozenset[str] | None, str]


def _query_side(
    qt: tuple[str, ...],
    qp: tuple[str, ...] | None,
    phon: bool,
    sino: bool,
    korean: bool,
    pinyin: bool,
    qi: frozenset[str] | None,
    memo: PairMemo,
) -> list[_QueryToken]:
    """The query's tokens for :func:`_partners`, with what they need computed once per query."""
    nick = nickname_table() if not sino else {}
    return [
        (
            i,
            a,
            len(a),
            len(a) == 1 and (qi is None or a in qi),
            None if korean else memo.setdefault((a, phon, sino, pinyin), {}),
            nick.get(a),
            qp[i] if phon and qp is not None else "",
        )
        for i, a in enumerate(qt)
    ]


def _partners(
    side: list[_QueryToken], b: str, b_phon: str, b_initial: bool, phon: bool, sino: bool, korean: bool, pinyin: bool
) -> tuple[tuple[float, int, bool], ...]:
    """The query tokens a listed token ``b`` pairs with in :func:`_align`: (similarity, query token, an initial's pair).

    ``side``: the query's tokens (:func:`_query_side`); ``b_phon``: ``b``'s sound key ("" for consonant skeletons);
    ``b_initial``: a one-letter token the listed name wrote as an initial; ``phon``: sound keys are compared. A pair's
    similarity is a function of the two tokens and the flags (sound keys compared, Chinese, pinyin), kept in the query
    token's memo row for the query's other spellings.
    """
    lb = len(b)
    out: list[tuple[float, int, bool]] = []
    for i, a, la, a_initial, row, nick_a, a_phon in side:
        if a == b:
            out.append((1.0, i, False))
            continue
        if a_initial or b_initial:
            if a[0] == b[0] and (la == 1) != (lb == 1):
                out.append((0.75, i, True))
            continue
        if row is None:  # romanised Korean
            sim = korean_similarity(a, b)
            if sim:
                out.append((sim, i, False))
            continue
        known = row.get(b)
        if known is not None:
            if known >= MIN_TOKEN_SIM:
                out.append((known, i, False))
            continue
        if la >= 4 and lb >= 4:
            sim = JaroWinkler.normalized_similarity(a, b, score_cutoff=0.7)
        else:
            sim = Indel.normalized_similarity(a, b, score_cutoff=0.6)
        if sim < MIN_TOKEN_SIM and (nick_a is None or b not in nick_a):
            row[b] = sim  # nothing below lifts it (a sound key only from PHONETIC_FLOOR up): not a partner
            continue
        if phon and PHONETIC_FLOOR <= sim < 0.9 and a_phon == b_phon and _vowels_agree(a, b):
            sim = 0.9
        if nick_a is not None and sim < NICKNAME_SIM and b in nick_a:
            sim = NICKNAME_SIM
        if (sino or pinyin) and sim >= MIN_TOKEN_SIM:
            sim = _syllable_similarity(a, b, sim, pinyin)
        elif phon and sim >= MIN_TOKEN_SIM and a_phon != b_phon and (nick_a is None or b not in nick_a) and other_name(a, b):
            sim = 0.0  # "Guzenko" / "Rudenko": another name, not a misspelling of it
        row[b] = sim
        if sim >= MIN_TOKEN_SIM:
            out.append((sim, i, False))
    return tuple(out)


def _vowels_agree(a: str, b: str) -> bool:
    """Whether a shared sound key may lift two spellings: their first vowels agree (a; e, i, y; o, u).

    ``Lisa`` / ``Luis``, ``Singh`` / ``Shang``, ``Lukyan`` / ``Lyagin`` share a sound key but are other
    names; ``Mohammed`` / ``Muhammad``, ``Oryna`` / ``Orina`` and ``Yusuf`` / ``Yousef`` are one name
    spelled otherwise. A word written without its vowels (``Hmd``, ``Orn``: none after the first
    letter) says nothing of them and is lifted as before.
    """
    if _first_vowel(a) == _first_vowel(b):
        return True
    return not any(ch in _VOWEL_LETTERS for ch in a[1:]) or not any(ch in _VOWEL_LETTERS for ch in b[1:])


vowels_agree = _vowels_agree  # the matcher's given-name rule reads it too (matcher._given_alike)


@lru_cache(maxsize=65536)
def _first_vowel(token: str) -> str:
    """The class of a word's first vowel (a leading y is a consonant): ``a``, ``i`` (e, i, y) or ``o`` (o, u); "" if none."""
    for k, ch in enumerate(token):
        if k == 0 and ch == "y":
            continue
        v = _VOWEL_CLASS.get(ch)
        if v:
            return v
    return ""


def other_name(a: str, b: str) -> bool:
    """Two words written out in full that are other names, not a misspelling of one another.

    ``Guzenko`` / ``Rudenko``, ``Marko`` / ``Omar``: both of 4+ letters with a vowel after the first
    letter (not a word without its vowels, ``Abbb``), starting with other letters (a typo or a
    romanisation seldom changes the first), neither inside the other (a truncation, or words run
    together: ``ALnMARFADI``), and two or more edits apart (a typo is one). The caller checks that
    their sound keys differ and that neither is a nickname of the other (``Mohammed`` / ``Muhammad``
    are one name). Such a pair is not aligned at all: a near spelling of one word beside an equal
    other word ("Miroslav Guzenko" / ``RUDENKO, Miroslav``) is another person. Two words starting
    with the same letter are other names when three or more edits apart and two or more of their
    consonants (:func:`~finguard.screening.model.names.skeleton`) differ: ``Teslenko`` /
    ``Telizhenko``, ``Jones`` / ``Jorge``, ``Leonel`` / ``Leonardo``; ``Serhiy`` / ``Sergei``,
    ``Volodymyr`` / ``Vladimir`` and ``Zhuravlyov`` / ``Zuravlev`` differ in one consonant or none:
    spellings of one name.
    """
    if len(a) < 4 or len(b) < 4 or a in b or b in a:
        return False
    same_first = a[0] == b[0]  # then three edits apart and two consonants other (Teslenko / Telizhenko)
    if Levenshtein.distance(a, b, score_cutoff=2 if same_first else 1) <= (2 if same_first else 1):
        return False  # a typo, or a romanisation's few letters
    if _VOWEL_LETTERS.isdisjoint(a[1:]) or _VOWEL_LETTERS.isdisjoint(b[1:]):
        return False
    return not same_first or Levenshtein.distance(skeleton(a), skeleton(b), score_cutoff=1) > 1


def _rotations(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """A name as written, and with its first or its last word moved to the other end."""
    if len(tokens) < 2:
        return (tokens,)
    return tokens, (*tokens[1:], tokens[0]), (tokens[-1], *tokens[:-1])


def _korean_order(paired: list[tuple[int, int]]) -> bool:
    """The paired syllables of two romanised Korean names in the same order, the family name perhaps moved to the end.

    ``kim seo yeong`` (김서영) and ``Yong Su KIM`` pair every syllable (``seo`` / ``su`` differ only in o / u), but
    its given name runs backwards: another person. ``seo yeong kim`` keeps the order: the same name.
    """
    if len(paired) <= 2:
        return True
    js = [j for _i, j in sorted(paired)]
    descents = sum(a > b for a, b in pairwise(js))
    return descents == 0 or (descents == 1 and js[-1] < js[0])


def _sino_weight(token: str) -> int:
    return max(SINO_MIN_WEIGHT, _weight(token))


def _korean_pair(
    a: tuple[str, ...], b: tuple[str, ...], ai: frozenset[str] | None = None, bi: frozenset[str] | None = None
) -> tuple[float, str, str]:
    """The best pair of two tokens' spellings (a family name's alternatives), romanised Korean: (similarity, a, b).

    ``ai`` / ``bi``: the one-letter tokens of each side that are initials (``None``: every one); another is a syllable.
    """
    best = (0.0, a[0], b[0])
    for x in a:
        for y in b:
            if x == y:
                return 1.0, x, y
            if (len(x) == 1 and (ai is None or x in ai)) or (len(y) == 1 and (bi is None or y in bi)):
                sim = 0.75 if x[0] == y[0] and (len(x) == 1) != (len(y) == 1) else 0.0
            else:
                sim = korean_similarity(x, y)
            if sim > best[0]:
                best = (sim, x, y)
    return best


def _korean_align(q: Prepared, c: Prepared, memo: PairMemo | None = None) -> float:
    """:func:`_align` for romanised Korean names whose family name has several spellings (``Prepared.family``).

    As the best of the spellings compared one by one: each family spelling is tried, and the one
    paired (or, unpaired, the shortest) gives the family name's weight.
    """
    qt, ct = q.tokens, c.tokens
    qa = [q.family or (qt[0],), *((t,) for t in qt[1:])]
    ca = [c.family or (ct[0],), *((t,) for t in ct[1:])]
    if qt[1:] == ct[1:] and not set(qa[0]).isdisjoint(ca[0]):
        return 1.0
    compact = _korean_compact(q, c)
    pairs: list[tuple[float, int, int, str, str]] = []
    for i, a_alts in enumerate(qa):
        for j, b_alts in enumerate(ca):
            if memo is None:
                sim, x, y = _korean_pair(a_alts, b_alts, q.initials, c.initials)
            else:  # a function of the two places' spellings and initials: once per query
                key = ("korean", a_alts, b_alts, q.initials, c.initials)
                got = memo.get(key)
                if got is None:
                    got = memo[key] = _korean_pair(a_alts, b_alts, q.initials, c.initials)
                sim, x, y = got
            if sim > 0.0:
                pairs.append((sim, i, j, x, y))
    if not pairs:
        return compact
    pairs.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
    used_q = 0
    used_c = 0
    got_q = got_c = 0.0
    wq = list(_korean_weights(q.weights, qa[0]))  # romanised Korean names weigh syllables as Chinese ones (_align)
    wc = list(_korean_weights(c.weights, ca[0]))
    initial = False
    paired: list[tuple[int, int]] = []
    for sim, i, j, x, y in pairs:
        bi, bj = 1 << i, 1 << j
        if used_q & bi or used_c & bj:
            continue
        used_q |= bi
        used_c |= bj
        credit = _credit(sim, x, y)
        initial = initial or credit == INITIAL_CREDIT
        if i == 0:
            wq[0] = _sino_weight(x)
        if j == 0:
            wc[0] = _sino_weight(y)
        got_q += credit * wq[i]
        got_c += credit * wc[j]
        paired.append((i, j))
    align = _combine(got_q / sum(wq), got_c / sum(wc), len(qt), len(ct), True)
    if used_q != (1 << len(qt)) - 1 or used_c != (1 << len(ct)) - 1 or not _korean_order(paired):
        align = min(align, SINGLE_TOKEN_CAP)  # a syllable with no partner, or in another order: another person's name
    if initial:
        align = min(align, INITIALS_CAP)
    return max(align, compact)


@lru_cache(maxsize=65536)
def _korean_weights(weights: tuple[int, ...], family: tuple[str, ...]) -> tuple[int, ...]:
    """A romanised Korean name's syllable weights (as Chinese ones), the family name's the least of its spellings'."""
    out = [max(SINO_MIN_WEIGHT, w) for w in weights]
    out[0] = min(_sino_weight(f) for f in family)
    return tuple(out)


def _korean_spellings(p: Prepared) -> list[tuple[str, tuple[str, ...]]]:
    """Each spelling of a romanised Korean name (one per spelling of its family name), with its :func:`korean_key`; kept on ``p``."""
    if p.korean_spellings is None:
        family = p.family or (p.tokens[0],)
        spelled = [(f, *p.tokens[1:]) for f in family]
        p.korean_spellings = [(korean_key("".join(a)), a) for a in spelled]
    return p.korean_spellings


def _korean_rotations(p: Prepared) -> dict[str, list[tuple[str, ...]]]:
    """Each spelling of a romanised Korean name and its rotations (:func:`_rotations`), by :func:`korean_key`; kept on ``p``."""
    if p.korean_rotations is None:
        out: dict[str, list[tuple[str, ...]]] = {}
        for _k, a in _korean_spellings(p):
            for order in _rotations(a):
                out.setdefault(korean_key("".join(order)), []).append(order)
        p.korean_rotations = out
    return p.korean_rotations


def _korean_compact(q: Prepared, c: Prepared) -> float:
    """:data:`COMPACT_DISCOUNT` if a spelling of ``q`` and one of ``c`` (or a rotation of it) are equal without
    spaces, their syllables cut alike; else 0."""
    rotated = _korean_rotations(c)
    for kq, a in _korean_spellings(q):
        if any(_korean_compact_equal(a, order) for order in rotated.get(kq, ())):
            return COMPACT_DISCOUNT
    return 0.0


def _korean_compact_equal(qt: tuple[str, ...], ct: tuple[str, ...]) -> bool:
    """Two romanised Korean names equal once spaces are left out, their syllables cut alike.

    ``kim yong jin`` / ``Kim Yongjin``: the same syllables, spaced differently. ``gim yeong jin``
    (김영진) and ``gi myong jin`` spell the same letters but cut into other syllables: not equal.
    Every boundary between the words of one name must be one of the other's.
    """
    kq = [korean_key(t) for t in qt]
    kc = [korean_key(t) for t in ct]
    if "".join(kq) != "".join(kc):
        return False
    bq = {sum(len(k) for k in kq[:i]) for i in range(1, len(kq))}
    bc = {sum(len(k) for k in kc[:i]) for i in range(1, len(kc))}
    return bq <= bc or bc <= bq


def _credit(sim: float, a: str, b: str) -> float:
    """Near-equal tokens count; merely similar ones little; an initial for its name counts as much as INITIAL_CREDIT."""
    if (len(a) == 1) != (len(b) == 1) and sim == 0.75:
        return INITIAL_CREDIT
    return 1.0 - (1.0 - sim) * TOKEN_PENALTY


def _combine(cov_q: float, cov_c: float, nq: int, nc: int, sino: bool) -> float:
    lo, hi = min(cov_q, cov_c), max(cov_q, cov_c)
    if sino:  # Chinese names have no middle names: a missing syllable is another person
        align = 0.2 * hi + 0.8 * lo
    else:
        align = 0.6 * hi + 0.4 * lo
    if (nq == 1) != (nc == 1):
        align = min(align, SINGLE_TOKEN_CAP)  # "Christina Wright" (or "Li Dongmei") is not the listed "CHRISTINA"
    return align


def token_credits(q: Prepared, c: Prepared, memo: PairMemo | None = None) -> tuple[list[float], list[float]] | None:
    """Per-token credit of the alignment :func:`variant_similarity` makes (0 for an unpaired token).

    ``None`` for the variants it does not align token by token (Han, consonant skeletons). ``memo``: one query's
    (:data:`PairMemo`): the credits are a function of what the key holds, computed once per query (the rarity
    adjustment and the word-level rules ask for the same pairs); the caller never changes the lists.
    """
    if memo is None:
        return _token_credits(q, c)
    key = (
        "credits",
        q.kind,
        q.tokens,
        q.phon,
        q.initials,
        q.family,
        q.chinese,
        q.korean,
        q.pinyin,
        c.kind,
        c.tokens,
        c.phon,
        c.initials,
        c.family,
        c.chinese,
        c.korean,
        c.pinyin,
    )
    if key in memo:
        got: tuple[list[float], list[float]] | None = memo[key]
        return got
    got = memo[key] = _token_credits(q, c)
    return got


def _token_credits(q: Prepared, c: Prepared) -> tuple[list[float], list[float]] | None:
    """:func:`token_credits` computed."""
    if q.kind in ("han", "skeleton", "transcribed") or c.kind in ("han", "skeleton", "transcribed"):
        return None
    sino = q.chinese or c.chinese
    korean = q.korean or c.korean
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(q.tokens):
        for j, b in enumerate(c.tokens):
            syllable = (len(a) == 1 and a not in q.initials) or (len(b) == 1 and b not in c.initials)
            if korean and ((i == 0 and q.family) or (j == 0 and c.family)):  # a family name spelled several ways: the best
                qf, cf = q.family if i == 0 and q.family else (a,), c.family if j == 0 and c.family else (b,)
                sim = _korean_pair(qf, cf, q.initials, c.initials)[0]
            elif korean and (syllable or (len(a) > 1 and len(b) > 1)):
                sim = korean_similarity(a, b)
            elif syllable and len(a) != len(b):  # a one-letter syllable of a reading (汪涛: "o to"), not an initial
                sim = 0.0
            else:
                sim = token_similarity(a, b, q.phon[i], c.phon[j])
                if not sino and not (q.pinyin or c.pinyin) and sim >= MIN_TOKEN_SIM and q.phon[i] != c.phon[j]:
                    if other_name(a, b) and b not in nickname_table().get(a, ()):
                        sim = 0.0  # as _align: another name, not a misspelling of it
            if (sino or q.pinyin or c.pinyin) and not korean and sim >= MIN_TOKEN_SIM and len(a) > 1 and len(b) > 1:
                sim = _syllable_similarity(a, b, sim, q.pinyin or c.pinyin)
            if sim >= MIN_TOKEN_SIM:
                pairs.append((sim, i, j))
    pairs.sort(reverse=True)
    got_q = [0.0] * len(q.tokens)
    got_c = [0.0] * len(c.tokens)
    used_q: set[int] = set()
    used_c: set[int] = set()
    for sim, i, j in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        got_q[i] = got_c[j] = _credit(sim, q.tokens[i], c.tokens[j])
    return got_q, got_c


def weighted_alignment(credits: tuple[list[float], list[float]], qw: list[float], cw: list[float], sino: bool) -> float:
    """The alignment score of :func:`token_credits` with other token weights (e.g. rarity-weighted)."""
    got_q, got_c = credits
    # sum(..., 0.0): the same floats, and what mypyc compiles right (bench/screening/README.md, "mypyc, stop 22") ("int object expected")
    cov_q = sum(g * w for g, w in zip(got_q, qw, strict=True)) / (sum(qw, 0.0) or 1.0)
    cov_c = sum(g * w for g, w in zip(got_c, cw, strict=True)) / (sum(cw, 0.0) or 1.0)
    return _combine(cov_q, cov_c, len(qw), len(cw), sino)


def korean_similarity(a: str, b: str) -> float:
    """Romanised Korean tokens: the same syllables (by :func:`korean_key`) or nothing.

    ``o`` against ``u`` alone (``chol`` / ``chul``: 철 as North and South Korea spell it) is
    :data:`KOREAN_VOWEL_SIM`.
    """
    if a == b:
        return 1.0
    ka, kb = korean_key(a), korean_key(b)
    if ka == kb:
        return 1.0
    if len(ka) == len(kb) and ka.replace("u", "o") == kb.replace("u", "o"):
        return KOREAN_VOWEL_SIM
    return 0.0


def _syllable_similarity(a: str, b: str, sim: float, read: bool = False) -> float:
    """Romanised Chinese tokens: equal syllables or nothing (``chen``/``cheng``, ``guiying``/``guoying`` differ).

    Tokens that are not pinyin (a typo: ``zhnag``) keep their spelling similarity, unless ``read`` (one name is a Han
    firm's name read by us, ``NameVariant.pinyin``) and only one of the two is pinyin: the pinyin we read from Han
    characters is never misspelled, so a word that is no pinyin at all is another word, not a spelling of it (迪摩科技
    read ``dimo technology`` is not DIMACO TECHNOLOGY, 0.9 with the generic word carrying the pair). Two words neither
    of which is pinyin (the generic words in English: ``technology`` / ``technologies``) keep their spelling similarity.
    """
    sa, sb = segment_pinyin(a), segment_pinyin(b)
    if sa is None or sb is None:
        return 0.0 if read and (sa is None) != (sb is None) else sim
    if len(sa) != len(sb):
        return 0.0
    same = sum(x == y for x, y in zip(sa, sb, strict=True))
    return same / len(sa) if same < len(sa) else 1.0


def name_similarity(
    query: list[Prepared], candidate: list[Prepared], memo: PairMemo | None = None
) -> tuple[float, Prepared | None, Prepared | None]:
    """Best similarity over all pairs of variants, with the pair that gave it.

    ``memo``: a dict the caller keeps for one query across its candidates (token pairs are compared once); the
    result is the same with or without it.
    """
    han_q = next((q.compact for q in query if q.kind == "han"), None)
    han_c = next((c.compact for c in candidate if c.kind == "han"), None)
    if han_q is not None and han_c is not None and han_q != han_c:
        # both written in Han, differently: the same reading is not the same name
        sim, bq, bc = _best_pair(query, candidate, memo)
        if bq is not None and bq.kind != "han":
            sim = min(sim, HAN_READING_CAP)
        return sim, bq, bc
    return _best_pair(query, candidate, memo, han_q, han_c)


def _joined_reading(a: Prepared, a_han: bool, b: Prepared) -> bool:
    """``a`` is a Japanese reading of a name written in Han characters only (彭娜 read ``ho da``: of such a name, the
    variants of kind ``latin`` not translated from it), in two words or more, and ``b`` is one word: equal to it only joined
    (``HODA``), a coincidence of a few letters, not the name. A Japanese name is written in two words in Latin letters
    (family, given); a reading of a Chinese name joined (``pengna``) is its pinyin, compared as such."""
    return _japanese_reading(a, a_han) and len(a.tokens) >= 2 and len(b.tokens) == 1


def _japanese_reading(a: Prepared, a_han: bool) -> bool:
    """``a`` is a Japanese reading of a name written in Han characters only: its words are the characters' words (山口
    裕樹 ``yamaguchi yuki``), compared word by word, not also without spaces, where a wholly different given name
    written alike (``yamaguchigumi``, two letters of thirteen) came to a close match (YAMAGUCHI-GUMI 0.82)."""
    return a_han and a.kind == "latin" and not a.pinyin


def _word_left_out(a: Prepared, b: Prepared) -> bool:
    """``a`` is a Japanese reading (:func:`_japanese_reading`) of two words, a family name and a given name, and ``b`` has
    more: a Japanese name has no middle name, so a word of ``b`` is left out, and that is another person (郎帆 read ``ro
    han`` against HAN YU-RO, a Korean name of three syllables, came to 0.89, a close match, as a Western name without its
    middle name does)."""
    return len(a.tokens) == 2 and len(b.tokens) > 2


def _best_pair(
    query: list[Prepared],
    candidate: list[Prepared],
    memo: PairMemo | None = None,
    han_q: str | None = None,
    han_c: str | None = None,
) -> tuple[float, Prepared | None, Prepared | None]:
    """``han_q`` / ``han_c``: that name is written in Han characters only, these (its Japanese readings are compared
    word by word and not joined with one word: :func:`_japanese_reading`, :func:`_joined_reading`). The pinyin of two
    characters is compared joined with one word (万达 / WANDA, 华为 / HUAWEI): a person's 莫斌 meets MOBIN HOLDING
    LIMITED that way too, a false positive kept rather than losing firms named by their brand alone (stop 26)."""
    jq, jc = han_q is not None, han_c is not None
    best = 0.0
    best_q: Prepared | None = None
    best_c: Prepared | None = None
    for q in query:
        if q.dup:
            continue
        q_han = q.kind == "han"
        for c in candidate:
            if c.dup or (c.kind == "han") != q_han:
                continue  # Han variants only with Han variants: 0.0 (variant_similarity), never the best
            if jq or jc:
                if _joined_reading(q, jq, c) or _joined_reading(c, jc, q):
                    continue  # 彭娜 read "ho da" is not HODA
                read_q, read_c = _japanese_reading(q, jq), _japanese_reading(c, jc)
                sim = variant_similarity(q, c, memo, not read_q and not read_c)
                if (read_q and _word_left_out(q, c)) or (read_c and _word_left_out(c, q)):
                    sim = min(sim, SINGLE_TOKEN_CAP)  # 郎帆 read "ro han" is not HAN YU-RO
            else:
                sim = variant_similarity(q, c, memo)
            if sim > best:
                best, best_q, best_c = sim, q, c
                if sim >= 1.0:
                    return best, best_q, best_c
    return best, best_q, best_c


class SinoBound:
    """An upper bound on :func:`name_similarity` for a name written in Han characters, from the listed name's tokens.

    Applies to a query whose variants are all Han characters (compared with a listed name's Han
    variants by :class:`Indel`, computed here as there) or pinyin without initials (every pair then
    aligned as Chinese, ``sino``). In :func:`_align` such a query token pairs only with a listed
    token equal to it or alike at :data:`MIN_TOKEN_SIM` by spelling whose syllables (when both are
    pinyin) agree as :func:`_syllable_similarity` has them (no initials, no nicknames), for a credit
    of at most ``1 - (1 - syllables) * TOKEN_PENALTY``; so the query's coverage is at most its
    tokens' weighed best credits against every token of the listed name (any spelling), and the
    alignment at most ``0.2 + 0.8 *`` that (:func:`_combine`), every later cap only lowering it.
    Equal compact forms (or equal tokens), a romanised Korean listed spelling and one with initials
    are not bounded (1.0); consonant skeletons and names read back from Chinese characters are 0.0
    against a Chinese name. :meth:`at_most` is never below what :func:`name_similarity` gives: the
    screener does not align the entries that cannot come near a hit (a Han name's pinyin syllables
    find dozens of the lists' Chinese names that share one syllable with it).
    """

    __slots__ = ("compacts", "hans", "rows")

    def __init__(self, query: list[Prepared]) -> None:
        self.hans = [q.compact for q in query if q.kind == "han"]
        self.compacts = {q.compact for q in query if q.kind != "han"}
        # per pinyin variant: each token, its share of the variant's weight, its best credits by listed token
        self.rows: list[list[tuple[str, float, dict[str, float]]]] = []
        for q in query:
            if q.kind != "han":
                weights = [max(SINO_MIN_WEIGHT, w) for w in q.weights]
                total = sum(weights)
                self.rows.append([(a, w / total, {}) for a, w in zip(q.tokens, weights, strict=True)])

    @staticmethod
    def applies(query: list[Prepared]) -> bool:
        return bool(query) and all(
            q.kind == "han" or (q.kind == "pinyin" and q.chinese and not q.korean and not q.initials and q.tokens) for q in query
        )

    def at_most(self, tokens: tuple[str, ...], candidate: list[Prepared]) -> float:
        """At least :func:`name_similarity` of the query and ``candidate``, whose spellings' tokens are all in ``tokens``."""
        best = 0.0
        for c in candidate:
            kind = c.kind
            if kind == "han":
                for han in self.hans:
                    sim = float(Indel.normalized_similarity(han, c.compact))
                    if sim > best:
                        best = sim
            elif kind in ("skeleton", "transcribed"):
                continue
            elif c.korean or c.initials or c.compact in self.compacts or c.compact_rev in self.compacts:
                return 1.0
        for row in self.rows:
            cover = 0.0
            for a, share, known in row:
                most = 0.0
                for b in tokens:
                    credit = known.get(b)
                    if credit is None:
                        credit = known[b] = _sino_credit_at_most(a, b)
                    if credit > most:
                        most = credit
                cover += share * most
            if 0.2 + 0.8 * cover > best:
                best = 0.2 + 0.8 * cover
        return best


def _sino_credit_at_most(a: str, b: str) -> float:
    """The most a romanised Chinese pair of tokens credits in :func:`_align` (0.0: never partners, :func:`_partners`)."""
    if a == b:
        return 1.0
    if len(a) >= 4 and len(b) >= 4:
        sim = JaroWinkler.normalized_similarity(a, b, score_cutoff=0.7)
    else:
        sim = Indel.normalized_similarity(a, b, score_cutoff=0.6)
    if sim < MIN_TOKEN_SIM:
        return 0.0  # no nicknames for Chinese names: never partners
    # both pinyin: their syllables alone decide; else the spelling, perhaps lifted by a sound key: at most 1
    syllables = _syllable_similarity(a, b, 1.0)
    return 0.0 if syllables < MIN_TOKEN_SIM else 1.0 - (1.0 - syllables) * TOKEN_PENALTY


def _ou_key(token: str) -> str:
    return korean_key(token).replace("u", "o")


class KoreanProbe:
    """An upper bound on how alike a query of romanised Korean variants only is to a name, from token keys alone.

    Romanised Korean tokens are alike only when their :func:`korean_key` is equal (or differs in
    ``o`` / ``u``), or as an initial; a pair of variants' alignment (``0.2 * max + 0.8 * min``
    coverage, see :func:`_combine`) cannot exceed the share of either side's letters that have
    such a partner, nor the compact comparison unless the keys of the names written without
    spaces are equal. :meth:`may_reach` is False only when :func:`name_similarity` is surely below
    ``floor``: the screener does not align names that cannot be a hit (a three-syllable Hangul
    name has dozens of candidate names sharing one syllable with it).
    """

    __slots__ = ("answers", "compacts", "variants")

    def __init__(self, query: list[Prepared]) -> None:
        self.variants = [_probe_side(q) for q in query if not q.dup]
        # may_reach's answers for this query by what it reads of a name (names of one spelling are common among Korean names)
        self.answers: dict[tuple[Any, ...], bool] = {}
        self.compacts: set[str] = set()
        for q in query:
            if not q.dup:
                rest = "".join(q.tokens[1:])
                self.compacts.update(korean_key(a + rest) for a in q.family or q.tokens[:1])

    def may_reach(self, candidate: list[Prepared], floor: float) -> bool:
        key = (floor, *[(c.kind, c.tokens, c.family) for c in candidate])  # all that _may_reach reads of the name
        found = self.answers.get(key)
        if found is None:
            found = self.answers[key] = self._may_reach(candidate, floor)
        return found

    def _may_reach(self, candidate: list[Prepared], floor: float) -> bool:
        need = (floor - 0.2) / 0.8 - 1e-9  # the least coverage of both sides that can give floor
        for c in candidate:
            if c.kind in ("han", "skeleton", "transcribed"):
                continue  # never alike a romanised Korean name
            ct = c.tokens
            for a in c.family or ct[:1]:
                if any(korean_key("".join(order)) in self.compacts for order in _rotations((a, *ct[1:]))):
                    return True
            other = getattr(c, "probe_side", None)  # an index pickled before it was kept has none
            if other is None:  # kept on the listed name: a common syllable's names are probed by many queries
                other = c.probe_side = _probe_side(c)
            for mine in self.variants:
                if _covered(mine[0], other[1:]) >= need and _covered(other[0], mine[1:]) >= need:
                    return True
        return False


_Slot = tuple[frozenset[str], frozenset[str], frozenset[str], int, int]  # keys, single letters, first letters, weights max / min
_Side = tuple[list[_Slot], frozenset[str], frozenset[str], frozenset[str]]  # the slots, and the union of each of their sets


def _probe_side(p: Prepared) -> _Side:
    slots = []
    for i, t in enumerate(p.tokens):
        alts = p.family if i == 0 and p.family else (t,)
        weights = [_sino_weight(a) for a in alts]
        slots.append(
            (
                frozenset(_ou_key(a) for a in alts if len(a) > 1),
                frozenset(a for a in alts if len(a) == 1),
                frozenset(a[0] for a in alts),
                max(weights),
                min(weights),
            )
        )
    return (
        slots,
        frozenset().union(*(x[0] for x in slots)),
        frozenset().union(*(x[1] for x in slots)),
        frozenset().union(*(x[2] for x in slots)),
    )


def _covered(side: list[_Slot], other: tuple[frozenset[str], frozenset[str], frozenset[str]]) -> float:
    """The most of ``side``'s weight that can find a partner among the other name's tokens (their keys, single letters, first letters)."""
    keys, singles, firsts = other
    num = den = 0
    for multi, single, initials, wmax, wmin in side:
        if not multi.isdisjoint(keys) or not single.isdisjoint(firsts) or not initials.isdisjoint(singles):
            num += wmax
            den += wmax
        else:
            den += wmin
    return num / den if den else 0.0

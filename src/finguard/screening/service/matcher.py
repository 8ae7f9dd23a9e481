"""Fuzzy name screening against risk lists: candidate generation, scoring, outcomes (issue #3).

How a query is answered
-----------------------
1. The name is analysed (:func:`finguard.screening.model.names.analyse_name`) into comparable variants:
   as written, pinyin of Han names, regrouped romanised Chinese names, consonant skeletons.
2. **Candidates** come from inverted indexes, never from a scan of the list: exact tokens, tokens
   within one edit (a SymSpell-style deletion index), tokens with the same sound key, consonant
   skeletons, and whole names written without spaces (``xijinping``). Each candidate name gathers
   IDF-weighted evidence; very common tokens (``wang``, ``mohammed``) only add evidence when
   nothing rarer is known, and then by intersecting the two rarest tokens. The best
   :data:`MAX_CANDIDATES` names are scored, and the names tied with the last of them (up to
   :data:`MAX_TIED`; more ties are ordered by how much of each name the query accounts for, then by the query's legal
   form, :func:`_tie_order`). Beside them: the names holding a rare query word as written, a whole name one letter
   shorter (a letter typed over a hyphen), the names with an all-initials query's initials, and a kanji name's
   family-name reading's few names (:meth:`NameScreener._candidates`, :func:`_near_whole`).
3. **Scoring** (:mod:`.similarity`, :mod:`.qualifiers`): name similarity, then qualifiers that
   raise or lower it (birth date, country, entity kind, gender, legal form). Before them, the
   name similarity is adjusted by the list's statistics and the listed name's structure
   (:func:`_rarity`): leaving out only tokens that are on many listed names (``Muhammad``) costs
   less (``token_rarity``), and a query that lacks a listed person's family name, or has only the
   second of two (``Daniel Herrera`` for ``RENDON HERRERA, Daniel``), loses
   :data:`SURNAME_PENALTY` (``family_name_missing``). An entry's names are compared after these
   adjustments. An equal identifier (passport, national ID, USCC, account ...) is decisive: the
   score becomes 1.0.
4. **Outcome** by the list's :class:`Thresholds`: ``match``, ``close_match``, or nothing.

Writes (``add``, ``remove``, ``apply``) take a lock; reads take none. Postings are append-only
lists; a removed name's id stays in them until the next compaction and is skipped on read.

The payee check's :meth:`NameScreener.match` keeps its recent answers (#19: a bank's transfers
mostly go to payees paid before, and screening a name is half of a guard decision). An answer is
a function of the name and the screener's state only, and is kept under the screener's
*generation*, which every write moves (once as it starts and once as it ends): any list change,
from this process or applied by the follower, empties the cache before the next answer, and an
answer computed while a write was under way is never kept.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain, pairwise, repeat
from operator import itemgetter
from typing import Any, NamedTuple

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from finguard.core.errors import InvalidInput
from finguard.lists.model.lists import Change, EntryDraft, Identifier, SubjectKind, draft_from_dict
from finguard.lists.service.checking import NameCandidate
from finguard.screening.model.names import (
    HAN_GENERIC_ENGLISH,
    HONORIFICS,
    MAX_SCREEN_NAME,
    NameVariant,
    analyse_name,
    fold,
    legal_form_word,
    other_skeletons,
    phonetic_key,
    skeleton,
    weak_keys,
)
from finguard.screening.service import qualifiers as q
from finguard.screening.service.nicknames import partners as nickname_partners
from finguard.screening.service.ranking import by_bonus, chosen_with_bonus, heavier, initials_bonus, merge_best, tie_order
from finguard.screening.service.similarity import (
    COMPACT_DISCOUNT,
    INITIAL_CREDIT,
    INITIALS_CAP,
    MIN_TOKEN_SIM,
    NICKNAME_SIM,
    SKELETON_MIN,
    SKELETON_SHORT_CAP,
    SKELETON_TINY_CAP,
    SKELETON_WORDS_MIN,
    KoreanProbe,
    PairMemo,
    Prepared,
    SinoBound,
    latin_read_as_arabic,
    name_similarity,
    prepare,
    same_skeleton_words,
    token_credits,
    token_similarity,
    vowels_agree,
    weighted_alignment,
)

log = logging.getLogger(__name__)

MATCH_CACHE = 65_536  # names whose match() answer is kept (the payee check's repeat payees; #19)
EXPANSIONS_KEPT = 50_000  # query tokens whose indexed neighbours are kept across queries, within one generation (_Kept)
EVIDENCE_KEPT = 1_000_000  # names in the query places' evidence kept across queries at least (~33 B each), within one generation (_Kept)
EVIDENCE_PER_POSTING = 8  # and up to this many per indexed (name, word) pair: the cap grows with the index (_Kept.cap)
MAX_CANDIDATES = 40
RARE_EXACT = 8  # a query word as written on at most this many names: they are all scored (_candidates)
JOINED_MIN = 5  # a word read from Arabic letters, of this many consonants or more and no listed word's skeleton, is cut in two
JOINED_MAX = 2  # spellings of the query added so (_joined_apart)
JOINED_TAKE = 10  # the names those spellings rank best that reach scoring, beside the ones the name as read finds
ARTICLE_INSIDE_MIN = 3  # a word with the article inside (yyadalnymy) is cut there from this many consonants
ARTICLE_JOINED_MIN = 3  # the article joined again to the word after it (Alzate): consonants of its skeleton, at least
INITIALS_MARK = "\x01"  # the initials' keys in _Index.compacts (no joined name has this character): _compact_keys
ARTICLE_MARK = "\x02"  # a listed word's first letters after the Arabic article, in _Index.compacts: _compact_keys
FIRM_MARK = "\x03"  # a firm's name without its generic words (TRADING, SHIPPING, HONG KONG), in _Index.compacts: _firm_key
FIRM_KEY_MIN = 4  # letters of the distinctive part, at least
ARTICLE_CUT = (2, 3)  # a word after al- cut to this many letters is looked up by them (AL-AQ for AL-AQSA): _near_whole
ARTICLE_CUT_MAX = MAX_CANDIDATES  # names a cut word brings: all if at most this many, else the best so many (_article_cut)
ARTICLE_CUT_SCAN = 4_000  # of at most this many of its names
INITIALS_WORDS = 6  # names of at most this many words are keyed by their initials; near-whole queries at most this many
NEAR_WHOLE_MIN = 6  # a query joined of at least this many letters is looked up one letter shorter as a whole (_near_whole)
KANJI_FAMILY = MAX_CANDIDATES  # a kanji name's family name read: the names with that word, if at most this many (_candidates)
MAX_TIED = 100  # candidates tied with the last of MAX_CANDIDATES are scored too, up to this many
TIE_POOL = 700  # more ties than MAX_TIED are ordered (_tie_order) when there are at most this many (a few µs each)
PREFIX_MIN, PREFIX_MAX = 5, 8
MIN_IDF = 0.05
RELATIVE_FLOOR = 0.35  # candidates with less evidence than this share of the best one's are not scored
FREQUENT = 2_000  # a token on more names than this does not generate candidates on its own
SCAN_BUDGET = 40_000  # postings read per query, at most (beyond the rarest token)
MIN_DELETE_LEN = 4
CONFIRM_MAX = 800  # common tokens confirm at most this many candidates (read from the names' side)
CONFIRM_POSTINGS = 8_000  # beyond CONFIRM_MAX candidates, a common token of at most this many postings confirms them
CONFIRM_POSTINGS_MAX = 2 * CONFIRM_MAX  # and confirms at most this many candidates (more: scoring them costs more than it finds)
# read from Arabic or Hebrew letters, a common word's skeleton is on many names (محمد mhmd: some 1,800) and the next word's
# too (عمر mr: 2,500): without its confirmation the true name is one of 1,800 ties, cut at random (Mohammed OMAR); such a
# spelling's common words confirm up to this many candidates, from the names' side (_confirm)
CONFIRM_SKELETON_MAX = 4 * CONFIRM_MAX
CONFIRM_TOKENS = 8  # about how many tokens a candidate's spellings have: reading its tokens costs about this many lookups
COMPACT_WEIGHT = 25.0
COMPACT_OTHERS = 8  # beside names equal as a whole, this many others are scored (HENGAM PETROCHEMICAL COMPANY for HENGAM COMPANY)
IDENTIFIER_FEATURE = "identifier_equal"
RARITY_FEATURE = "token_rarity"
RARITY_POWER = 2.0  # token weight = letters * (idf / max idf) ** RARITY_POWER
RARITY_FLOOR = 0.05  # the least weight share a very common token keeps
RARITY_DOWN = 0.0  # the most it removes: measured, lowering costs more dropped-middle recall than it saves false alarms
RARITY_UP = 0.03  # the most it adds (a listed name whose unmatched part is a very common token: "Muhammad")
SURNAME_FEATURE = "family_name_missing"
SUBSET_FEATURE = "token_subset"
SINGLE_WORD_FEATURE = "single_word"
INITIALS_FEATURE = "initials"
LETTERS_FEATURE = "organisation_letters"
NO_EQUAL_FEATURE = "no_equal_token"
NO_EQUAL_CAP = 0.81  # below close_match: near spellings of every word are not a hit alone
EXTRA_FEATURE = "extra_words"
SINGLE_WORD_CAP = 0.78  # below close_match, even with a qualifier's small lift
SINGLE_WORD_LETTERS = 7  # the shorter of the two words under this many letters
KOREAN_SHORT = 5  # a Korean name of at most this many letters read with a loose l (na lu, 나루) for a listed word
REPLACED_FEATURE = "distinctive_words_differ"
REPLACED_SIM = 0.8  # an organisation's words beside the equal ones: a partner at least this alike (token_similarity)
OWNER_SIM = 0.93  # ... for a person's name (no legal form, at most three words) against a company's name with one
LIFT_SIM = 0.9  # a shared legal form lifts across a threshold only names whose other words are this alike
VOWELS_WRITTEN_FEATURE = "written_vowels_differ"
VOWELS_WRITTEN_SIM = 0.88  # a word written with its vowels, compared by skeleton, needs a listed partner this alike
GIVEN_FEATURE = "given_names_differ"
GIVEN_SIM = 0.88  # two given names spelled this alike (Jaro-Winkler, no sound key) are one name's spellings (Aleksandr / Alexander)
HEBREW_FAMILY_FEATURE = "hebrew_family_differs"
HEBREW_GIVEN_FEATURE = "hebrew_given_differs"
FIRM_WORDS_FEATURE = "firm_words_differ"
EXTENDED_FEATURE = "word_extended"
EXTENDED_MIN = 2  # letters added at a listed word's end that make another word (Jose / Joseph); a typo adds one
EXTENDED_REACH = 0.25  # word_extended is weighed this far below close_match: token_subset lifts that far (Joseph Cabrera, 0.81)
ABJAD_LETTERS_FEATURE = "abjad_word_not_letters"
HEBREW_VOWEL_FEATURE = "hebrew_initial_consonant"
HEBREW_PARTIAL_FEATURE = "hebrew_given_left_out"
COMMON_PAIR_FEATURE = "common_pair_partial"
FAMILY_SHORT_FEATURE = "family_left_out_and_near"
_OTHER_NAME_FEATURES = frozenset(
    {
        HEBREW_FAMILY_FEATURE,
        HEBREW_GIVEN_FEATURE,
        FIRM_WORDS_FEATURE,
        EXTENDED_FEATURE,
        ABJAD_LETTERS_FEATURE,
        HEBREW_VOWEL_FEATURE,
        HEBREW_PARTIAL_FEATURE,
        COMMON_PAIR_FEATURE,
        FAMILY_SHORT_FEATURE,
    }
)
_CONNECTORS = frozenset({"and", "und", "et"})
FIRM_WORDS_MAX = 3  # a query of at most this many words (particles apart) and no legal form may be a person's name
COMMON_FAMILY = 5  # a family name on at least this many indexed names tells no one apart: the given name must
# common_pair_partial: a given and a family name whose indexed name counts multiply to at least this are a common pair
# (Roberto Lopez 13 x 64, Jose Dominguez 139 x 6); a rarer pair is how a Spanish name is written short (Eduardo Arellano
# 23 x 10 for ARELLANO FELIX, Eduardo Ramon) and stays a hit (issue #16, screentd2; chosen on the dev split)
COMMON_PAIR = 500
# ... and a given name with the first of two family names only (the usual short Spanish form): a pair this common (issue
# #16, screenfp3; chosen on the dev split)
COMMON_PAIR_SHORT = 500
HAN_FEATURE = "han_characters_differ"
SUBSET_SPELLING = 0.88  # and each must be spelled this much alike (Jaro-Winkler, no sound key)
SUBSET_TOKEN = 0.8  # each query token's alignment credit must be at least this ("Wladimir" for "Vladimir")
# every query word as listed, only middle names left out: this far above match, ahead of a name that spells a word
# otherwise ("Shane CRAWFORD" finds CRAWFORD, Shane Dominic before Shawn Crawford, 0.93), behind the name as listed (1.0)
SUBSET_EXACT_ABOVE = 0.03
SURNAME_PENALTY = 0.08
ORG_RARE_IDF = 0.75  # a word of an organisation's name this rare (idf / max idf) names it ("MOBARAKEH", on a few names)
ORG_RARE_LETTERS = 3  # an acronym names a company as well as a word (MOA NICKEL SA, TTP GEEDAR GROUP)
ORG_SUBSET_REACH = 0.15  # an organisation this far below close_match is still weighed for _org_subset (with a legal form)
SINO_SUBSET_REACH = 0.2  # a romanised Chinese name one given-name syllable short this far below close_match: _sino_subset
# not a family name on their own: "AL-'ALI" is filed under "ali", "DE LA CRUZ" under "cruz"
_PARTICLES = frozenset(
    "al el ad ar as an ash at az bin ben ibn bint abu abou bou da das de del della der di do dos du la le los las van von y".split()
)

_ARTICLES = frozenset({"al", "el", "ul"})  # the Arabic article, as lists write it apart (al-Ali, el-Sayed)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_VOWEL_LETTERS = frozenset("aeiouy")
_PLAIN_VOWELS = frozenset("aeiou")  # y is a consonant in a word written without its vowels (KRY for KORYO)
_ALPHABETS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
_KINDS = {
    SubjectKind.PERSON: "person",
    SubjectKind.ORGANISATION: "organisation",
    SubjectKind.VESSEL: "vessel",
    SubjectKind.AIRCRAFT: "aircraft",
    SubjectKind.IDENTIFIER: "identifier",
}
_VARIANT_WORDS = {
    "latin": "as written",
    "pinyin": "pinyin of the Chinese characters",
    "sino": "romanised Chinese name regrouped",
    "korean": "romanised Korean name",
    "transcribed": "foreign name read back from Chinese characters",
    "skeleton": "consonant skeleton",
    "han": "simplified Chinese",
}


class _Group(NamedTuple):
    """One place's weighed postings (:meth:`NameScreener._slot_group`). A named tuple, not a bare one: a query's
    evidence is kept by ``id(group)``, and mypyc (bench/screening/README.md, "mypyc, stop 22") stores a bare fixed-length tuple unboxed,
    so a bare one would get another ``id`` each time it is boxed; a named tuple stays one object."""

    total: int  # postings read
    postings: list[tuple[list[int], float]]  # (postings, weight)
    near: dict[str, float]  # token -> weight (times scale)
    scale: float


_Expanded = tuple[list[tuple[list[int], float]], dict[str, float], int]  # (postings, similarity), token -> similarity, postings read


class _Kept:
    """What candidate gathering read from the index for earlier queries of one generation (:meth:`NameScreener._kept`).

    ``expansions``: a query token's indexed neighbours (:meth:`NameScreener._expand`, filtered to the vocabulary),
    by (token, how read), with their postings and how many they are; ``groups``: a query place's weighed postings
    (:meth:`NameScreener._slot_group`), by (the place's tokens, how read, one of several); ``evidence``: a query
    place's best weight per name (:func:`_best_evidence`), by the same key, in the order first read; ``size``: the
    names ``evidence`` holds; ``once``: the common places whose evidence was wanted once and not read whole
    (:meth:`NameScreener._whole_evidence`). All read only the index, so within one generation they are the same for
    every query. Nothing kept is changed: callers copy before they add.
    """

    __slots__ = ("cap", "evidence", "expansions", "generation", "groups", "index", "once", "size")

    def __init__(self, generation: int, index: _Index | None = None, cap: int | None = None) -> None:
        self.generation = generation
        self.index = index  # the index read (a snapshot's is set after its state: kept for neither)
        self.expansions: dict[tuple[str, str], _Expanded] = {}
        self.groups: dict[tuple[tuple[str, ...], str, bool], _Group | None] = {}
        # least recently used first: when full, the places read longest ago are dropped (a common one stays)
        self.evidence: OrderedDict[tuple[tuple[str, ...], str, bool], dict[int, float]] = OrderedDict()
        self.size = 0
        # the most names ``evidence`` holds: set (None: from the index, evidence_cap) when first reached
        self.cap = cap
        self.once: set[tuple[tuple[str, ...], str, bool]] = set()


@dataclass(frozen=True, slots=True)
class ScreenQuery:
    name: str
    kind: str | None = None  # "person" | "organisation" | None (unknown)
    birth_date: str | None = None  # ISO date or year
    country: str | None = None  # nationality or country, free text or ISO code
    gender: str | None = None
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True, slots=True)
class Feature:
    # "name_similarity", "token_rarity", "family_name_missing", "identifier_equal", "birth_date", "country",
    # "kind_mismatch", "gender", "legal_form", "token_subset", "han_characters_differ", "single_word", "no_equal_token"
    name: str
    value: float  # the raw feature value
    contribution: float  # what it added to / removed from the score
    explanation: str  # plain language, English


@dataclass(frozen=True, slots=True)
class ScreenHit:
    entry_id: int
    list_code: str
    listed_name: str  # the listed name (or alias) that matched best
    query_name: str
    score: float  # 0..1
    outcome: str  # "match" | "close_match"
    features: tuple[Feature, ...]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score at or above ``match`` is a match; at or above ``close_match`` a close match.

    The defaults are calibrated by ``bench/screening/run.py`` on OFAC SDN + UN: recall on
    perturbed listed names against false alarms on generated non-listed names.
    """

    match: float = 0.92
    close_match: float = 0.82

    def __post_init__(self) -> None:
        if not 0.0 < self.close_match <= self.match <= 1.0:
            raise InvalidInput.for_field("thresholds", "need 0 < close_match <= match <= 1")

    def outcome(self, score: float) -> str | None:
        if score >= self.match:
            return "match"
        if score >= self.close_match:
            return "close_match"
        return None


class _Name:
    __slots__ = ("entry_id", "family", "legal_forms", "listed", "prepared", "tie_tokens", "tokens")

    def __init__(
        self, entry_id: int, listed: str, prepared: list[Prepared], legal_forms: tuple[str, ...], family: tuple[int, int] | None
    ) -> None:
        self.entry_id = entry_id
        self.listed = listed
        self.prepared = prepared
        self.legal_forms = legal_forms
        self.family = family  # where a person's family names are, when the list writes "FAMILY, Given"
        # the tokens of every spelling (what common query tokens confirm: _confirm); a one-spelling name's own tuple
        self.tokens = prepared[0].tokens if len(prepared) == 1 else tuple(dict.fromkeys(t for p in prepared for t in p.tokens))
        # the distinct token tuples of the spellings that are not Han characters, once per name (what _tie_order reads
        # of a name, for each of up to TIE_POOL names a query ties with); the spellings' own tuples, none copied
        self.tie_tokens = tuple(dict.fromkeys(p.tokens for p in prepared if p.kind != "han"))


def _family_name(listed: str) -> tuple[int, int] | None:
    """Where the family names of ``"RENDON HERRERA, Daniel"`` are: ``(2, 2)``.

    The first number is how many tokens the family names have (they come last once the name is
    written given-name first); the second, the position from the end of the first of two or more
    family names that are not particles (0 when there is only one). None for names not written
    ``FAMILY, Given``.
    """
    parts = listed.split(",")
    if len(parts) != 2 or not parts[1].strip():
        return None
    head = [t for t in _TOKEN_SPLIT.split(fold(parts[0]).replace("'", "").replace("`", "")) if t]
    if not head:
        return None
    family = [i for i, t in enumerate(head) if len(t) > 1 and t not in _PARTICLES]
    return len(head), (len(head) - family[0] if len(family) >= 2 else 0)


class _Entry:
    __slots__ = ("birth", "countries", "gender", "identifiers", "kind", "list_code", "name_ids")

    def __init__(self, list_code: str, draft: EntryDraft, name_ids: list[int]) -> None:
        party = draft.party
        assert party is not None
        self.list_code = list_code
        self.kind = _KINDS.get(draft.subject, "organisation")
        self.birth = q.birth_years(party.birth_dates)
        self.countries = frozenset(k for k in (q.country_key(c) for c in (*party.nationalities, *party.countries)) if k)
        self.gender = party.gender
        self.identifiers = frozenset((i.type.value, i.value) for i in draft.identifiers)
        self.name_ids = name_ids


@dataclass
class _Index:
    vocab: dict[str, list[int]] = field(default_factory=dict)  # token -> name ids
    compacts: dict[str, list[int]] = field(default_factory=dict)  # whole name without spaces -> name ids
    deletes: dict[str, list[str]] = field(default_factory=dict)  # token with one letter deleted -> tokens
    prefixes: dict[str, list[str]] = field(default_factory=dict)  # the first 5..8 letters of a longer token -> tokens
    phon: dict[str, list[str]] = field(default_factory=dict)  # sound key -> tokens
    skel: dict[str, list[str]] = field(default_factory=dict)  # consonant skeleton -> tokens
    ids: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # identifier -> entry ids
    names: dict[int, _Name] = field(default_factory=dict)
    entries: dict[int, _Entry] = field(default_factory=dict)
    stale: int = 0


class NameScreener:
    """Screens names against the indexed list entries. See the module docstring."""

    # The last change-log sequence applied (:meth:`apply`) or built to (``screening.provider``): a
    # process that installs a screener built while its follower went on knows which changes to add.
    seq: int = 0
    # The most names of the query places' evidence kept across queries (:class:`_Kept`); None: from the index's size
    # (:func:`evidence_cap`). A class default: snapshots pickled before it had none.
    evidence_kept: int | None = None

    def __init__(
        self, thresholds: Thresholds | None = None, per_list: dict[str, Thresholds] | None = None, *, match_cache: int = MATCH_CACHE
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.per_list = dict(per_list or {})
        self._ix = _Index()
        self._lock = threading.Lock()
        self._next_name = 0
        self._min_close = min([self.thresholds.close_match, *(t.close_match for t in self.per_list.values())])
        self.match_cache = match_cache
        self._new_cache()

    def _new_cache(self) -> None:
        """The per-process parts: the generation, the answers of :meth:`match` and their counters."""
        self._generation = 0  # odd while a write is under way
        self._answers: OrderedDict[str, tuple[NameCandidate, ...]] = OrderedDict()
        self._answers_generation = 0
        self._answers_lock = threading.Lock()
        self.match_hits = 0
        self.match_misses = 0
        # what candidate gathering read from the index, kept for the generation it was read in (_Kept)
        self._kept_reads = _Kept(-1)

    @property
    def generation(self) -> int:
        """Moves on every write (odd while one is under way): answers are kept only within one."""
        return self._generation

    # -- writes ----------------------------------------------------------------------------------

    def add(self, entry_id: int, list_code: str, draft: EntryDraft) -> None:
        """Index the draft's names and identifiers under ``entry_id`` (replacing what it had)."""
        with self._lock:
            self._generation += 1
            try:
                self._remove(entry_id)
                if draft.party is not None and (draft.party.names or draft.identifiers):
                    self._add(entry_id, list_code, draft)
            finally:
                self._generation += 1

    def remove(self, entry_id: int) -> None:
        with self._lock:
            self._generation += 1
            try:
                self._remove(entry_id)
                self._maybe_compact()
            finally:
                self._generation += 1

    def apply(self, changes: Iterable[Change]) -> None:
        """Follow the change log: a delisting removes the entry, anything else (re)indexes its snapshot.

        Entries of allow lists are never screened against.
        """
        with self._lock:
            self._generation += 1
            try:
                for change in changes:
                    snap = change.snapshot
                    if change.seq > self.seq:
                        self.seq = change.seq
                    self._remove(change.entry_id)
                    if snap.get("delisted_at") or snap.get("list_kind") == "allow" or not snap.get("draft"):
                        continue
                    draft = draft_from_dict(snap["draft"])
                    if draft.party is not None and draft.party.names:
                        self._add(change.entry_id, change.list_code, draft)
                self._maybe_compact()
            finally:
                self._generation += 1

    def _add(self, entry_id: int, list_code: str, draft: EntryDraft) -> None:
        ix = self._ix
        assert draft.party is not None
        kind = _KINDS.get(draft.subject)
        analyse_kind = "person" if kind == "person" else "organisation" if kind in ("organisation", "vessel", "aircraft") else None
        name_ids: list[int] = []
        entry = _Entry(list_code, draft, name_ids)
        for listed in draft.party.names:
            form = analyse_name(listed[:MAX_SCREEN_NAME], analyse_kind)
            if not form.usable:
                continue
            name_id = self._next_name
            self._next_name += 1
            prepared = prepare(form.variants)
            family = _family_name(listed) if kind == "person" else None
            ix.names[name_id] = _Name(entry_id, listed, prepared, form.legal_forms, family)
            name_ids.append(name_id)
            tokens = dict.fromkeys(t for p in prepared for t in p.tokens)  # in order: the keys' lists never by hash (ties)
            compacts = _compact_keys(prepared)
            for token in tokens:
                if token not in ix.vocab:
                    ix.vocab[token] = [name_id]
                    self._add_token_keys(ix, token)
                else:  # setdefault hands out the map's own list (a snapshot's copies it first)
                    ix.vocab.setdefault(token, []).append(name_id)
            for compact in compacts:
                ix.compacts.setdefault(compact, []).append(name_id)
        for ident in entry.identifiers:
            ix.ids.setdefault(ident, []).append(entry_id)
        ix.entries[entry_id] = entry

    @staticmethod
    def _add_token_keys(ix: _Index, token: str) -> None:
        if len(token) >= MIN_DELETE_LEN and token.isascii():
            for key in {token[:i] + token[i + 1 :] for i in range(len(token))}:
                ix.deletes.setdefault(key, []).append(token)
            for cut in range(PREFIX_MIN, min(PREFIX_MAX, len(token) - 1) + 1):  # truncated names: "MAHDA" for "MAHDAVI"
                ix.prefixes.setdefault(token[:cut], []).append(token)
        if token.isascii():
            ix.phon.setdefault(phonetic_key(token), []).append(token)
            sk = skeleton(token)
            if sk:
                ix.skel.setdefault(sk, []).append(token)
            for weak in weak_keys(token):  # a word of only vowels and weak letters (Oo, Aye): found by them (أو)
                ix.skel.setdefault(weak, []).append(token)
            # a final -ah / -at / -eh is how lists write ta marbuta (Hamzah, Jabhat), which a name read from Arabic or
            # Hebrew letters has not (حمزة, جبهة): the word is also found by its skeleton without that last letter
            if len(token) > 4 and token[-2] in "ae" and token[-1] in "ht" and token[-3] not in "aeiouy":
                bare = skeleton(token[:-1])
                if bare and bare != sk:
                    ix.skel.setdefault(bare, []).append(token)
            # read as an Arabic name's letters may be: Fathi (t, h: فتحي), Yacine (French c: ياسين)
            for other in other_skeletons(token):
                ix.skel.setdefault(other, []).append(token)

    def _remove(self, entry_id: int) -> None:
        ix = self._ix
        entry = ix.entries.pop(entry_id, None)
        if entry is None:
            return
        for name_id in entry.name_ids:
            ix.names.pop(name_id, None)
        ix.stale += len(entry.name_ids)
        for ident in entry.identifiers:
            ix.ids[ident] = [e for e in ix.ids.get(ident, ()) if e != entry_id]

    def _maybe_compact(self) -> None:
        """Rebuild the postings without removed names once they are as many as the live ones."""
        ix = self._ix
        if ix.stale < max(10_000, len(ix.names)):
            return
        fresh = _Index(ids={k: v for k, v in ix.ids.items() if v}, names=ix.names, entries=ix.entries)
        for name_id, name in ix.names.items():
            tokens = dict.fromkeys(t for p in name.prepared for t in p.tokens)  # in order, as _add
            for token in tokens:
                if token not in fresh.vocab:
                    fresh.vocab[token] = []
                    self._add_token_keys(fresh, token)
                fresh.vocab[token].append(name_id)
            for compact in _compact_keys(name.prepared):
                fresh.compacts.setdefault(compact, []).append(name_id)
        self._ix = fresh

    # -- snapshots (finguard.screening.provider) ------------------------------------------------

    _PER_PROCESS = frozenset(
        {"_lock", "_generation", "_answers", "_answers_generation", "_answers_lock", "match_hits", "match_misses", "_kept_reads"}
    )

    def __getstate__(self) -> dict[str, Any]:
        # locks, the generation and the kept answers are per process; a loaded snapshot gets new ones
        return {k: v for k, v in self.__dict__.items() if k not in self._PER_PROCESS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("match_cache", MATCH_CACHE)
        self._lock = threading.Lock()
        self._new_cache()

    # -- reads -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ix.names)

    def match(self, name: str) -> list[NameCandidate]:
        """The payee check's :class:`~finguard.lists.service.checking.NameMatcher`: match and close-match hits.

        Answered from the kept answers when this name was matched in the current generation (see
        the module docstring); a hit or a miss, the answer is the one :meth:`screen` gives now.
        """
        generation = self._generation
        keep = self.match_cache > 0 and not generation & 1
        if keep:
            with self._answers_lock:
                if self._answers_generation != generation:
                    self._answers.clear()
                    self._answers_generation = generation
                    found = None
                else:
                    found = self._answers.get(name)
                if found is not None:
                    self._answers.move_to_end(name)
                    self.match_hits += 1
                    return list(found)
                self.match_misses += 1
        try:
            hits = self.screen(ScreenQuery(name))
        except InvalidInput:
            hits = []
        answer = [NameCandidate(h.entry_id, h.score, h.listed_name, h.outcome) for h in hits]
        # kept only if no write began since the generation was read: the answer is of that state
        if keep and self._generation == generation:
            with self._answers_lock:
                if self._answers_generation == generation:
                    self._answers[name] = tuple(answer)
                    while len(self._answers) > self.match_cache:
                        self._answers.popitem(last=False)
        return answer

    def match_cache_stats(self) -> dict[str, int]:
        """Hits and misses of :meth:`match`'s kept answers since the process started, and their number now."""
        return {"hits": self.match_hits, "misses": self.match_misses, "kept": len(self._answers), "capacity": self.match_cache}

    def candidate_entries(self, name: str, kind: str | None = None) -> set[int]:
        """The entries whose names reach scoring for ``name``: what blocking recall is measured on."""
        form = analyse_name(name[:MAX_SCREEN_NAME], kind if kind in ("person", "organisation") else None)
        if not form.usable:
            return set()
        ix = self._ix
        variants = _unknown_vowel_less(form.variants, ix.vocab, name)
        # words read from Arabic letters written without the space, cut; the article joined again (Arabic letters only)
        joined = _joined_apart(variants, ix.skel, ix.vocab if "ARABIC" in form.scripts else None)
        prepared = prepare((*variants, *joined))
        return {
            rec.entry_id for nid in self._candidates(ix, prepared, form.legal_forms, len(joined)) if (rec := ix.names.get(nid)) is not None
        }

    def screen(self, query: ScreenQuery, limit: int = 10) -> list[ScreenHit]:
        """Hits for one query, best first. Raises :class:`InvalidInput` (field ``name``) for an unusable name."""
        name = query.name
        if not isinstance(name, str):
            raise InvalidInput.for_field("name", "must be a string")
        if len(name) > MAX_SCREEN_NAME:
            raise InvalidInput.for_field("name", f"is longer than {MAX_SCREEN_NAME} characters; no real name is")
        kind = query.kind if query.kind in ("person", "organisation") else None
        form = analyse_name(name, kind)
        if not form.usable and not query.identifiers:
            raise InvalidInput.for_field("name", "has no letters to compare (it is empty, or only punctuation, symbols or emoji)")
        ix = self._ix
        # empty for a party known only by its identifiers: they alone are screened
        variants = _unknown_vowel_less(form.variants, ix.vocab, name)
        # words read from Arabic letters written without the space, cut; the article joined again (Arabic letters only)
        joined = _joined_apart(variants, ix.skel, ix.vocab if "ARABIC" in form.scripts else None)
        prepared = prepare((*variants, *joined))
        by_entry: dict[int, list[int]] = {}
        for name_id in self._candidates(ix, prepared, form.legal_forms, len(joined)) if prepared else ():
            rec = ix.names.get(name_id)
            if rec is not None:
                by_entry.setdefault(rec.entry_id, []).append(name_id)
        id_entries: dict[int, tuple[str, str]] = {}
        for ident in query.identifiers:
            key = (ident.type.value, ident.value)
            for entry_id in ix.ids.get(key, ()):
                if entry_id in ix.entries:
                    id_entries.setdefault(entry_id, key)
                    by_entry.setdefault(entry_id, [])
        hits: list[ScreenHit] = []
        # a name in Latin, Cyrillic or Greek letters: its words, in every spelling (see _no_equal_token)
        spelled_in = set(form.scripts) <= _ALPHABETS
        latin_query = frozenset(t for p in prepared if p.kind == "latin" for t in p.tokens) if spelled_in else frozenset()
        written_latin = set(form.scripts) == {"LATIN"}  # no romanisation of ours between the name and the list (_token_subset)
        # a Hangul name: candidates that share too few syllables to be a hit are not aligned (KoreanProbe)
        probe = KoreanProbe(prepared) if prepared and all(p.korean for p in prepared) else None
        # a name in Han characters: entries none of whose names can come near close_match are not aligned (SinoBound)
        bound = SinoBound(prepared) if SinoBound.applies(prepared) else None
        memo: PairMemo = {}  # this query's token-pair similarities, shared by its candidates (name_similarity)
        for entry_id, name_ids in by_entry.items():
            entry = ix.entries.get(entry_id)
            if entry is None:
                continue
            ids = name_ids or list(entry.name_ids)
            hit = self._score(
                ix,
                query,
                form.legal_forms,
                prepared,
                entry_id,
                entry,
                ids,
                id_entries.get(entry_id),
                latin_query,
                probe,
                memo,
                bound,
                written_latin,
            )
            if hit is not None:
                hits.append(hit)
        hits.sort(key=lambda h: (-h.score, h.entry_id))
        return hits[: max(0, limit)]

    def _candidates(self, ix: _Index, prepared: list[Prepared], legal: tuple[str, ...] = (), joined: int = 0) -> list[int]:
        """:meth:`_ranked` (the names evidence ranks best), and every name holding a word of the query as written that at
        most :data:`RARE_EXACT` names hold: a name that shares a rare word with the query is never pruned by how many near
        spellings of its other words other names have (``Zakhariy KALASIIOV`` among the many Zakhariy KALASIOV, KALASINOV
        ...: the ranking counts near spellings almost as equal ones, the scoring does not)."""
        if joined:  # the spellings with a word cut in two (_joined_apart): their best few names beside the name as read
            ranked = self._ranked(ix, prepared[:-joined], legal)
            have_ranked = set(ranked)
            ranked += [nid for nid in self._ranked(ix, prepared[-joined:], legal)[:JOINED_TAKE] if nid not in have_ranked]
        else:
            ranked = self._ranked(ix, prepared, legal)
        rare: list[int] = []
        seen_tokens: set[str] = set()
        for p in prepared:
            if p.kind == "skeleton":
                continue
            for token in p.tokens:
                if len(token) < MIN_DELETE_LEN or token in seen_tokens:
                    continue
                seen_tokens.add(token)
                names = ix.vocab.get(token)
                if names and len(names) <= RARE_EXACT:
                    rare.extend(names)
        rare.extend(_near_whole(ix, prepared))
        if any(p.kind == "han" for p in prepared):
            # a firm's name in Han characters, its generic words translated: the names of its distinctive part (_firm_key)
            for p in prepared:
                if p.kind == "latin" and p.pinyin and (firm := _firm_key(p.tokens)) is not None:
                    rare.extend(ix.compacts.get(firm, ())[:MAX_CANDIDATES])
            # a Japanese name in kanji: its family name's reading is sure, its given name's is not (七夏 is Nanami, a
            # reading no dictionary of words has): the few names with the family name's reading as a word are scored
            for family in dict.fromkeys(p.tokens[0] for p in prepared if p.kind == "latin" and len(p.tokens) == 2):
                names = ix.vocab.get(family)
                if names and RARE_EXACT < len(names) <= KANJI_FAMILY:
                    rare.extend(names)
        if not rare:
            return ranked
        have = set(ranked)
        return ranked + [nid for nid in dict.fromkeys(rare) if nid not in have]

    def _ranked(self, ix: _Index, prepared: list[Prepared], legal: tuple[str, ...] = ()) -> list[int]:
        """The names worth scoring: evidence gathered per spelling of the query, the best spelling counting.

        Summing over spellings would let a name that shares tokens with several readings of the
        query (a Han name read in Mandarin and in Japanese) outweigh the one it really is.
        Spellings of a romanised Korean name that differ only in how the family name is written
        (``lee`` / ``yi`` / ``rhee`` ``ji yeon``) are gathered as one, the family name's
        spellings as alternatives for its place (:func:`_spellings`): a name found by any of
        them counts once, by the best.
        """
        n = len(ix.names) + 1
        kept = self._kept()
        acc: dict[int, float] = {}
        # a whole name equal without spaces counts once, however many of its readings agree
        compact_hits = {nid for p in prepared for compact in (p.compact, p.compact_rev) for nid in ix.compacts.get(compact, ())}
        expanded: dict[tuple[str, str], _Expanded] = {}
        slot_groups: dict[tuple[tuple[str, ...], str, bool], _Group | None] = {}
        read: dict[int, dict[int, float]] = {}  # a group's (by id: slot_groups keeps it) evidence per name
        group_keys: dict[int, tuple[tuple[str, ...], str, bool]] = {}  # a group's (by id) place: its evidence kept by it
        scanned = 0
        spelled: list[list[_Group]] = []  # each spelling's groups (for _tie_order)
        own: list[tuple[dict[int, float], float]] = []  # the all-common spellings' evidence per name, and its best (_own_floor)
        for abjad, slots in _spellings(prepared):
            if scanned > 2 * SCAN_BUDGET:
                break
            groups: list[_Group] = []
            seen_slots: set[tuple[str, ...]] = set()
            for slot in slots:
                if slot in seen_slots:
                    continue
                seen_slots.add(slot)
                key = (slot, abjad, len(slots) > 1)
                if key in slot_groups:  # a token (or a family name's spellings) shared by several spellings: once
                    group = slot_groups[key]
                else:
                    group = slot_groups[key] = self._slot_group(ix, key, n, expanded, kept)
                if group is not None:
                    groups.append(group)
                    group_keys[id(group)] = key
            groups.sort(key=lambda g: g[0])
            spelled.append(groups)
            mine: dict[int, float] = {}
            used = 0
            intersected = False  # every token common: the names holding the two rarest, weighed at most 2.0
            for i, group in enumerate(groups):
                total, postings = group[0], group[1]
                if i > 0 and (total > FREQUENT or used + total > SCAN_BUDGET):
                    # too common to generate candidates ("ali", "mohammed"), they still confirm the ones the
                    # rarer tokens found: "Ali SHARI" prefers SHARIFI, Ali among the many SHARIF...
                    self._confirm(
                        ix,
                        mine,
                        groups[i:],
                        CONFIRM_SKELETON_MAX if abjad else CONFIRM_MAX,
                        lambda g: self._whole_evidence(kept, read, group_keys[id(g)], g),
                    )
                    break
                if i == 0 and total > FREQUENT and len(groups) > 1:
                    # every token is common ("wang wei" among a million names): intersect the two rarest, each name
                    # weighed by how alike its tokens are (at most 2.0): "Yong JONG" prefers the names with yong and
                    # jong as written to the thousands that have near spellings of them (jang, song ...)
                    # (each read whole: kept, when the place was read for another query of the generation too)
                    first, second = [self._whole_evidence(kept, read, group_keys[id(g)], g) for g in groups[:2]]
                    if first is None:
                        first = _best_evidence(postings, None)
                    if second is None:
                        second = _best_evidence(groups[1][1], None)
                    top0 = max((w for _, w in postings), default=0.0) or 1.0
                    top1 = max((w for _, w in groups[1][1]), default=0.0) or 1.0
                    for name_id in first.keys() & second.keys():
                        mine[name_id] = mine.get(name_id, 0.0) + first[name_id] / top0 + second[name_id] / top1
                    intersected = True
                    break
                # one query token counts once per name, however many of the name's tokens it resembles (its best
                # weight, kept in the order the names were first read: ties among candidates are broken by that order);
                # read once per query, however many of its spellings share the token
                best = read.get(id(group))
                if best is None:
                    best = read[id(group)] = self._evidence(kept, group_keys[id(group)], postings)
                if mine:
                    # mine[name_id] = mine.get(name_id, 0.0) + weight for each, by whole dicts: names new to mine are
                    # added in best's order at their weight, the names both have get the sum (no name moves)
                    sums = {name_id: mine[name_id] + best[name_id] for name_id in mine.keys() & best.keys()}
                    mine.update(best)
                    mine.update(sums)
                else:
                    mine = dict(best)  # the first token's evidence as it is (0.0 + weight is weight)
                used += total
            scanned += used
            if intersected and mine:
                own.append((mine, max(mine.values())))
            if acc:
                merge_best(acc, mine)  # acc[name_id] = weight where it has none or a lesser one (compiled: ranking.py)
            else:
                acc.update(mine)
        # the floor is set by token evidence: a name equal as a whole ("HENGAM") must not push out
        # the longer names that hold the query's tokens ("HENGAM PETROCHEMICAL COMPANY")
        evidence = max(acc.values(), default=0.0)
        for name_id in compact_hits:
            acc[name_id] = acc.get(name_id, 0.0) + COMPACT_WEIGHT
        if not acc:
            return []
        initials = {t for p in prepared for t in p.initials}  # written initials, not one-letter syllables of a reading
        # the weights sorted once (C-level): the n-th largest, and how many are at least a weight, without a pass over acc
        values = sorted(acc.values())
        top, above = _largest_and_above(acc, MAX_TIED * (4 if initials else 1), values)
        floor = (evidence or top[0][1]) * RELATIVE_FLOOR
        if compact_hits:  # the names equal as a whole, and the few others with the most evidence
            others = self._compact_others(ix, top, acc, compact_hits, floor, spelled, initials)
            return [nid for nid in compact_hits if nid in acc] + others
        last = top[min(MAX_CANDIDATES, len(top)) - 1][1]
        # a query of common tokens ("Yong JANG") ties with many names: ties are scored, never cut at random
        if initials and len(top) > MAX_CANDIDATES:
            if len(top) == 4 * MAX_TIED and top[-1][1] >= last - 1e-9:  # nlargest cut the ties at random: all of them
                tied = _tie_pool(acc, values, above, last)
                if tied is not None:
                    top = tied
            # initials break ties: "N. T. HEATH" prefers the Heath whose given names start with N and T
            # (compiled: ranking.py; 0.01 per initial a name's words begin with, a removed name staying in postings until compaction)
            bonus = initials_bonus(ix.names, top, initials)
            by_bonus(top, bonus)  # top.sort(key=lambda kv: -(kv[1] + bonus[kv[0]]))
            last = top[MAX_CANDIDATES - 1][1] + bonus[top[MAX_CANDIDATES - 1][0]]
            chosen = chosen_with_bonus(top, bonus, last, floor, own, _own_floor)
            if len(chosen) > MAX_TIED:  # more ties than are scored: the names the query accounts for best first
                return _tie_order(ix, list(chosen), chosen, spelled, initials, legal)[:MAX_TIED]
            return list(chosen)
        if len(top) == MAX_TIED and top[-1][1] >= last - 1e-9 and last >= floor:
            # the ties run beyond what is scored, and nlargest cut them at random: all of them, the names the
            # query accounts for best first ("MUHAMMAD GROUP" prefers MUHAMMAD JAMAL GROUP to 600 other MUHAMMADs)
            tied = _tie_pool(acc, values, above, last)
            if tied is not None:
                return _tie_order(ix, [nid for nid, _ in tied], acc, spelled, initials, legal)[:MAX_TIED]
        return [nid for nid, weight in top if weight >= last - 1e-9 and (weight >= floor or _own_floor(nid, own))]

    @staticmethod
    def _compact_others(
        ix: _Index,
        top: list[tuple[int, float]],
        acc: dict[int, float],
        compact_hits: set[int],
        floor: float,
        spelled: list[list[_Group]],
        initials: set[str],
    ) -> list[int]:
        """Beside the names equal to the query as a whole, the :data:`COMPACT_OTHERS` others with the most evidence.

        When more tie with the last of them than are kept, the names the query accounts for best come first
        (:func:`_tie_order`), not the first read: ``Kim Chol`` is a listed name as a whole, and ``Kim Hyok Chol`` (one
        word more) is kept before the hundreds of names with kim, chol and several words more.
        """
        rest = [(nid, weight) for nid, weight in top if nid not in compact_hits and weight >= floor]
        if len(rest) <= COMPACT_OTHERS:
            return [nid for nid, _ in rest]
        kept = COMPACT_OTHERS
        last = rest[kept - 1][1]
        head = [nid for nid, weight in rest if weight > last + 1e-9]
        if len(top) == len(acc) or top[-1][1] < last - 1e-9:  # the ties are all in top
            tied = [nid for nid, weight in rest if abs(weight - last) <= 1e-9]
        else:  # _largest cut the ties in the dict's order: all of them, if few enough to order
            tied = [nid for nid, weight in acc.items() if abs(weight - last) <= 1e-9 and nid not in compact_hits]
            if len(tied) > TIE_POOL:
                tied = [nid for nid, weight in rest if abs(weight - last) <= 1e-9]
        if len(head) + len(tied) <= kept:
            return head + tied
        return head + _tie_order(ix, tied, acc, spelled, initials)[: kept - len(head)]

    def _slot_group(
        self,
        ix: _Index,
        key: tuple[tuple[str, ...], str, bool],
        n: int,
        expanded: dict[tuple[str, str], _Expanded],
        kept: _Kept | None = None,
    ) -> _Group | None:
        """The postings one place of a spelling reads (its token, or a family name's spellings), weighed.

        ``key``: the place's tokens, how they are read, and whether they are one of several spellings of it.
        ``kept`` (:meth:`_kept`): the places and tokens' neighbours other queries of this generation read (the
        same for every query of a generation: the index's tokens, postings and size do not change within one).
        """
        if kept is not None:
            group = kept.groups.get(key, False)
            if group is not False:
                return group  # type: ignore[return-value]
        group = self._read_group(ix, key, n, expanded, kept)
        if kept is not None and self._generation == kept.generation:  # read wholly within the generation
            if len(kept.groups) >= EXPANSIONS_KEPT:  # full: kept again from now on
                kept.groups = {}
            kept.groups[key] = group
        return group

    def _read_group(
        self,
        ix: _Index,
        key: tuple[tuple[str, ...], str, bool],
        n: int,
        expanded: dict[tuple[str, str], _Expanded],
        kept: _Kept | None,
    ) -> _Group | None:
        """:meth:`_slot_group` read from the index (and the tokens' kept neighbours)."""
        slot, abjad, several = key
        alts: list[tuple[_Expanded, float]] = []
        # an initial finds only other initials; a word read from Arabic letters of one weak letter is a word (أو, ``w``: Oo)
        for token in [t for t in slot if len(t) > 1 or (abjad == "skeleton" and weak_keys(t, query=True))] if several else slot:
            token_key = (token, abjad)
            got = expanded.get(token_key)
            if got is None:
                got = kept.expansions.get(token_key) if kept is not None else None
                if got is None:
                    found = {t: sim for t, sim in self._expand(ix, token, abjad).items() if t in ix.vocab}
                    lists = [(ix.vocab[t], sim) for t, sim in found.items()]
                    got = (lists, found, sum(len(x) for x, _ in lists))
                    if kept is not None and self._generation == kept.generation:  # read wholly within the generation
                        if len(kept.expansions) >= EXPANSIONS_KEPT:  # full: kept again from now on
                            kept.expansions = {}
                        kept.expansions[token_key] = got
                expanded[token_key] = got
            if got[0]:
                # weighed by how common the query token's whole neighbourhood is: a rare misspelling of
                # a common name ("Mochammad") must not outrank the name itself
                alts.append((got, max(MIN_IDF, math.log(n / (1 + got[2])))))  # never negative: postings hold removed names
        if not alts:
            return None
        if len(alts) == 1:
            (lists, found, size), idf = alts[0]
            return _Group(size, [(x, sim * idf) for x, sim in lists], found, idf)
        total = 0
        postings: list[tuple[list[int], float]] = []
        near: dict[str, float] = {}
        for (lists, found, size), idf in alts:
            total += size
            postings.extend((x, sim * idf) for x, sim in lists)
            for t, sim in found.items():
                if sim * idf > near.get(t, 0.0):
                    near[t] = sim * idf
        return _Group(total, postings, near, 1.0)

    def _kept(self) -> _Kept | None:
        """What candidate gathering read for earlier queries of the current generation (None while a write is under way).

        :meth:`_expand` and :func:`_best_evidence` read only the index, so within one generation a token's
        neighbours and a place's evidence are the same for every query: common name words (``lee``,
        ``mohammed``, ``ivan``) are read once, not per query. A write moves the generation on and what was
        kept is dropped; what was read while a write began is not kept.
        """
        generation = self._generation
        if generation & 1:
            return None
        kept = self._kept_reads
        if kept.generation != generation or kept.index is not self._ix:
            kept = self._kept_reads = _Kept(generation, self._ix, self.evidence_kept)
        return kept

    def _evidence(
        self, kept: _Kept | None, key: tuple[tuple[str, ...], str, bool], postings: list[tuple[list[int], float]]
    ) -> dict[int, float]:
        """:func:`_best_evidence` of a place's postings, kept for the generation (see :meth:`_kept`); never changed by the caller."""
        if kept is None:
            return _best_evidence(postings)
        best = kept.evidence.get(key)
        if best is None:
            best = _best_evidence(postings)
            if self._generation == kept.generation:  # read wholly within the generation
                _keep_evidence(kept, key, best)
        else:
            try:
                kept.evidence.move_to_end(key)  # used now: dropped last
            except KeyError:  # dropped by another thread since
                pass
        return best

    def _whole_evidence(
        self, kept: _Kept | None, read: dict[int, dict[int, float]], key: tuple[tuple[str, ...], str, bool], group: _Group
    ) -> dict[int, float] | None:
        """A common place's evidence (:meth:`_confirm`, the intersection of two common places), read whole: when it is
        read already (by this query, or kept from another of the generation), or when it was wanted for an earlier
        query of the generation too: read now and kept (:meth:`_evidence`). Most common places wanted once are again
        (``al``, ``ali``, ``lee``); one wanted for one query only would crowd out what is kept. None (the caller reads
        the postings or the names as before) the first time, when nothing is kept (a write under way), or when a
        postings list may be cut short in reading it (more than :data:`SCAN_BUDGET` postings)."""
        if group[0] > SCAN_BUDGET or kept is None:
            return None
        best = read.get(id(group))
        if best is None:
            best = kept.evidence.get(key)
            if best is None:
                if key not in kept.once:
                    if len(kept.once) >= EXPANSIONS_KEPT:  # full: kept again from now on
                        kept.once = set()
                    kept.once.add(key)
                    return None
                best = self._evidence(kept, key, group[1])
            read[id(group)] = best
        return best

    @staticmethod
    def _confirm(
        ix: _Index,
        mine: dict[int, float],
        groups: list[_Group],
        names_side: int = CONFIRM_MAX,
        evidence: Callable[[_Group], dict[int, float] | None] | None = None,
    ) -> None:
        """Common query tokens add their (small) evidence to the candidates rarer tokens found.

        Read from the names' side (each candidate's tokens) for up to :data:`CONFIRM_MAX` candidates;
        for more, from the common token's side, its postings checked against the candidates, when
        they are at most :data:`CONFIRM_POSTINGS`: ``Ali SHARI`` finds some 1,300 names by ``shari``
        (SHARIF, SHARIFI ...), and the 4,000 postings of ``ali`` pick ``SHARIFI, Ali`` among them.

        Beyond :data:`CONFIRM_POSTINGS_MAX`, a spelling read for its consonant skeleton (``names_side``:
        :data:`CONFIRM_SKELETON_MAX`) is confirmed from the names' side (or the postings, if fewer lookups): محمد finds some
        1,800 names, and a one-consonant skeleton (علي ``l``: Ali, El ...) is on some 11,000, too many postings to read.

        ``evidence``: a group's best weight per name (:func:`_best_evidence`, read whole), or None where there is none.
        Read from either side, a group adds to each candidate it is on its best weight (the largest token similarity
        times the group's scale), which is that evidence: a group with one confirms by one intersection with it, the
        same sums in the same order (group by group), and a removed name is confirmed from the postings' side only,
        as before. Common words recur across queries (``ali``, ``de``, ``company``): their evidence is kept.
        """
        if not mine or len(mine) > max(names_side, CONFIRM_POSTINGS_MAX):
            return
        many = CONFIRM_MAX < len(mine) <= CONFIRM_POSTINGS_MAX
        # the same evidence from either side: read the postings when they are fewer than the candidates' tokens
        postings_side = many or sum(g[0] for g in groups) < CONFIRM_TOKENS * len(mine)
        if evidence is None:
            if postings_side:
                for group in groups:
                    if not (many and group[0] > CONFIRM_POSTINGS):
                        NameScreener._confirm_by_postings(mine, group[1])
            else:
                NameScreener._confirm_by_names(ix, mine, groups)
            return
        names = ix.names
        for group in groups:
            if many and group[0] > CONFIRM_POSTINGS:
                continue
            best = evidence(group)
            if best is None:
                if postings_side:
                    NameScreener._confirm_by_postings(mine, group[1])
                else:
                    NameScreener._confirm_by_names(ix, mine, [group])
                continue
            for name_id in mine.keys() & best.keys():
                if postings_side or name_id in names:
                    mine[name_id] += best[name_id]

    @staticmethod
    def _confirm_by_postings(mine: dict[int, float], postings: list[tuple[list[int], float]]) -> None:
        """:meth:`_confirm` of one group, from its postings' side."""
        best: dict[int, float] = {}
        for ps, weight in postings:
            for name_id in mine.keys() & ps:  # each name's best weight: the order it is read in does not count
                if weight > best.get(name_id, 0.0):
                    best[name_id] = weight
        for name_id, weight in best.items():
            mine[name_id] += weight

    @staticmethod
    def _confirm_by_names(ix: _Index, mine: dict[int, float], groups: list[_Group]) -> None:
        """:meth:`_confirm` from the names' side: a name's tokens the group has (its weights are all positive), by one
        set intersection per name."""
        if len(groups) == 1:  # the usual case
            near, scale = groups[0][2], groups[0][3]
            keys = near.keys()
            for name_id in mine:
                rec = ix.names.get(name_id)
                if rec is None:
                    continue
                common = keys & rec.tokens
                if common:
                    mine[name_id] += max([near[t] for t in common]) * scale
            return
        for name_id in mine:
            rec = ix.names.get(name_id)
            if rec is None:
                continue
            for _total, _ps, near, scale in groups:
                common = near.keys() & rec.tokens
                if common:
                    mine[name_id] += max([near[t] for t in common]) * scale

    @staticmethod
    def _expand(ix: _Index, token: str, abjad: str) -> dict[str, float]:
        """Indexed tokens close to ``token``, with their similarity."""
        found: dict[str, float] = {}
        if token in ix.vocab:
            found[token] = 1.0
        if abjad:  # "skeleton", or "hebrew": a Hebrew word's letters (see names.skeleton)
            # the article (al, el, ul) is no name: علي (``ly``) is Ali, not the al- of every other listed name
            skip = () if token in _ARTICLES else _ARTICLES
            sk = skeleton(token, abjad == "hebrew")
            # a word of only weak letters (أو ``w``, ``aw``: no skeleton) finds the listed words of its weak letters (Oo)
            for key in (sk,) if sk else weak_keys(token, query=True) if abjad == "skeleton" else ():
                for other in ix.skel.get(key, ()):
                    if other not in skip:
                        found.setdefault(other, 0.9)
            return found
        if len(token) >= MIN_DELETE_LEN - 1 and token.isascii():
            # in order, not a set's (the order neighbours are found in breaks ties among candidates: never the hash seed's);
            # a key twice (a double letter) finds nothing new the second time
            keys = [token[:i] + token[i + 1 :] for i in range(len(token))]
            keys.append(token)
            for key in keys:
                for other in ix.deletes.get(key, ()):
                    if other not in found:
                        sim = token_similarity(token, other)
                        if sim >= MIN_TOKEN_SIM:
                            found[other] = sim
            # truncated names: a token longer than the longest prefix key looks up its first PREFIX_MAX letters
            longer = len(token) > PREFIX_MAX
            for other in ix.prefixes.get(token[:PREFIX_MAX], ()) if len(token) >= PREFIX_MIN else ():
                if other not in found and (not longer or other.startswith(token)):
                    found[other] = max(MIN_TOKEN_SIM, token_similarity(token, other))
            for key in keys:
                if key in ix.vocab and key not in found and len(key) >= MIN_DELETE_LEN - 1:
                    sim = token_similarity(token, key)
                    if sim >= MIN_TOKEN_SIM:
                        found[key] = sim
        if token not in ix.vocab and token.isascii() and token.isalpha():
            _unknown_neighbours(ix, token, found)
        for other in sorted(nickname_partners(token)):  # "bill" finds the listed "william" (sorted: a frozenset's order is the hash's)
            if other in ix.vocab and other not in found:
                found[other] = NICKNAME_SIM
        if token.isascii():
            pk = phonetic_key(token)
            others = ix.phon.get(pk, ())
            if len(others) <= 200:
                for other in others:
                    if other not in found:
                        sim = token_similarity(token, other, pk, phonetic_key(other))
                        if sim >= MIN_TOKEN_SIM:
                            found[other] = sim
        return found

    def _score(
        self,
        ix: _Index,
        query: ScreenQuery,
        query_legal: tuple[str, ...],
        prepared: list[Prepared],
        entry_id: int,
        entry: _Entry,
        name_ids: list[int],
        identifier: tuple[str, str] | None,
        latin_query: frozenset[str] = frozenset(),
        probe: KoreanProbe | None = None,
        memo: PairMemo | None = None,
        bound: SinoBound | None = None,
        written_latin: bool = False,
    ) -> ScreenHit | None:
        found: list[tuple[float, _Name, Prepared | None, Prepared | None]] = []
        thresholds = self.per_list.get(entry.list_code, self.thresholds)
        if bound is not None and identifier is None:
            # every name this far below close_match is dropped below: not within 0.1, nor _org_subset's or _sino_subset's reach
            floor = thresholds.close_match - max(0.1, ORG_SUBSET_REACH, SINO_SUBSET_REACH) - 1e-9
            if all(bound.at_most(rec.tokens, rec.prepared) < floor for nid in name_ids if (rec := ix.names.get(nid)) is not None):
                return None
        for name_id in name_ids:
            rec = ix.names.get(name_id)
            if rec is None:
                continue
            if probe is not None and identifier is None and not probe.may_reach(rec.prepared, thresholds.close_match - 0.1):
                continue  # surely below what is scored at all (below): not aligned
            sim, bq, bc = name_similarity(prepared, rec.prepared, memo)
            if entry.kind != "person" and _short_skeletons(bq, bc):
                # every word the same is a person's name's rule (similarity.same_skeleton_words): علي پارسا is not PARS OIL CO.
                sim = min(sim, sim * SKELETON_TINY_CAP / SKELETON_SHORT_CAP)
            found.append((sim, rec, bq, bc))
        if not found:
            return None
        top = max(f[0] for f in found)
        if identifier is None and top + 0.1 < thresholds.close_match:
            # an organisation's name one word short that starts as the listed name does, with a legal form (TOP SARL
            # for TOP TECHNOLOGIES SARL, 0.69), may still be lifted by _org_subset (not Field Inc for LE-HUA ... FIELD CO.)
            reach = thresholds.close_match - ORG_SUBSET_REACH
            org = entry.kind == "organisation" and bool(query_legal) and any(_same_start(f, reach) for f in found)
            # a romanised Chinese name one given-name syllable short (Hsien CHOU for CHOU, Hsien Cheng, 0.71): _sino_subset
            sino = (
                entry.kind == "person"
                and top + SINO_SUBSET_REACH >= thresholds.close_match
                and any(_sino_short(bq, bc) for _s, _r, bq, bc in found)
            )
            if not org and not sino:
                return None
        # the entry's best name after the token-rarity adjustments (an alias may lose less than the best-spelled name)
        score = -1.0
        best_name: _Name | None = None
        best_pair: tuple[Prepared | None, Prepared | None] = (None, None)
        named: tuple[float, tuple[str, ...], list[Feature]] = (0.0, (), [])
        others: list[tuple[float, _Name, tuple[Prepared | None, Prepared | None], tuple[float, tuple[str, ...], list[Feature]]]] = []
        for sim, rec, bq, bc in found:
            if sim + 0.1 < thresholds.close_match and sim < top:
                continue
            titles = _untitled(bq, bc) if sim < 0.999 else ()
            if titles:  # "Dr Sally Jones" / JONES, Sally: equal but for an honorific title, a namesake
                sim = 1.0
            adjust = _rarity(ix, sim, rec, bq, bc, memo) if sim < 0.999 and bq is not None and bc is not None else []
            adjusted = sim + sum(f.contribution for f in adjust)
            if sim < 0.999 and bq is not None and bq.initials and adjusted > INITIALS_CAP:
                # "A. BASIR": Abdul Basir and BASIR, Abdal alike, whichever given name is the more common on the lists
                written = " ".join(sorted(bq.initials))
                why = f"the query writes initials ({written!r}): an initial stands for many names, a close match at most"
                adjust.append(Feature(INITIALS_FEATURE, 1.0, round(INITIALS_CAP - adjusted, 4), why))
                adjusted = INITIALS_CAP
            mine = (sim, titles, adjust)
            # of aliases alike but for their legal forms (... BANK PLC, ... BANK LIMITED), the one of the query's form
            if adjusted > score or (
                adjusted == score and query_legal and best_name is not None and _same_form(query_legal, rec, best_name)
            ):
                if best_name is not None:
                    others.append((score, best_name, best_pair, named))
                score, best_name, best_pair, named = adjusted, rec, (bq, bc), mine
            else:
                others.append((adjusted, rec, (bq, bc), mine))
        assert best_name is not None
        final = self._finish(
            ix,
            query,
            query_legal,
            prepared,
            entry,
            found,
            thresholds,
            score,
            best_name,
            best_pair,
            named,
            latin_query,
            written_latin,
            memo,
        )
        if final[0] < thresholds.match:
            # the word-level rules below (token_subset, org_subset, no_equal_token ...) weigh one name: an alias a hair
            # under the best-aligned name may be lifted where that one is not (ALCIDES MAGANE, Ramon among eleven
            # spellings for "Ramon MAGANE"), and the entry's score must not hang on the order its names were read in
            for other in others:
                got = self._finish(ix, query, query_legal, prepared, entry, found, thresholds, *other, latin_query, written_latin, memo)
                if got[0] > final[0] + 1e-9:
                    final = got
        score, best_name = final[0], final[1]
        features = self._features(query, *final[1:])
        if identifier is not None:
            features.append(
                Feature(
                    IDENTIFIER_FEATURE,
                    1.0,
                    round(1.0 - score, 4),
                    f"{identifier[0]} {identifier[1]} is listed on this entry: an equal identifier is decisive",
                )
            )
            score = 1.0
        outcome = thresholds.outcome(score)
        if outcome is None:
            return None
        return ScreenHit(entry_id, entry.list_code, best_name.listed, query.name, round(score, 4), outcome, tuple(features))

    def _finish(
        self,
        ix: _Index,
        query: ScreenQuery,
        query_legal: tuple[str, ...],
        prepared: list[Prepared],
        entry: _Entry,
        found: list[tuple[float, _Name, Prepared | None, Prepared | None]],
        thresholds: Thresholds,
        score: float,
        best_name: _Name,
        best_pair: tuple[Prepared | None, Prepared | None],
        named: tuple[float, tuple[str, ...], list[Feature]],
        latin_query: frozenset[str],
        written_latin: bool,
        memo: PairMemo | None = None,
    ) -> tuple[float, _Name, tuple[Prepared | None, Prepared | None], tuple[float, tuple[str, ...], list[Feature]], list[Feature]]:
        """One listed name's score (``score``: its similarity after the token-rarity adjustments) after the word-level
        rules and the qualifiers, with its features (``named``: the similarity, the honorific titles and the adjustments).
        ``memo``: the query's (:func:`token_credits` of a pair of spellings is computed once per query)."""
        sim = named[0]
        features: list[Feature] = []  # after the similarity and the adjustments (named), which _features puts first
        han_q = next((p.compact for p in prepared if p.kind == "han"), None)
        han_c = next((p.compact for p in best_name.prepared if p.kind == "han"), None)
        if han_q and han_c and han_q != han_c:
            features.append(
                Feature(
                    HAN_FEATURE,
                    round(sim_han(han_q, han_c), 4),
                    0.0,
                    f"{han_q} and {han_c} are written with different Chinese characters; a like reading makes them a close match at most",
                )
            )
        loose = _no_equal_token(score, best_pair, best_name, latin_query, query_legal, thresholds)
        if loose is not None:
            score += loose.contribution
            features.append(loose)
        for rule in (
            _replaced_words(
                entry.kind,
                score,
                round(sim, 4),
                best_pair,
                latin_query,
                query_legal,
                best_name.legal_forms,
                best_name.listed,
                thresholds,
            ),
            _written_vowels(score, best_pair, latin_query, thresholds),
            _given_names_differ(ix, entry.kind, score, best_pair, best_name, written_latin, thresholds),
            _hebrew_family_differs(ix, entry.kind, score, best_pair, best_name, thresholds),
            _firm_words_differ(entry.kind, score, best_pair, best_name.legal_forms, latin_query, query_legal, written_latin, thresholds),
            _word_extended(entry.kind, score, best_pair, latin_query, thresholds),
            _abjad_letters(entry.kind, score, best_pair, prepared, latin_query, thresholds),
        ):
            if rule is not None:
                score += rule.contribution
                features.append(rule)
        # a Hebrew word's first letter, a part of a common name (issue #16, stop 24): asked of a name the rules above left a
        # hit, the first that caps it ends the question (no double cap)
        later = (
            _hebrew_initial_consonant(score, best_pair, query.name, thresholds)
            or _hebrew_given_left_out(ix, entry.kind, score, best_pair, best_name, thresholds)
            or _common_pair_partial(ix, entry.kind, score, best_pair, best_name, thresholds)
            or _family_left_out_and_near(entry.kind, score, best_pair, best_name, thresholds, memo)
        )
        if later is not None:
            score += later.contribution
            features.append(later)
        # another name by these rules' reading: no word-level rule below lifts it back (token_subset, org_subset)
        other_name = any(f.name in _OTHER_NAME_FEATURES for f in features)
        extra = None if query_legal else _extra_words(score, best_pair, latin_query, thresholds, memo)
        if extra is None and latin_query:
            extra = _skeleton_lacking(score, best_pair, thresholds)
        if extra is not None:
            score = min(score, thresholds.close_match)  # exactly at the threshold (a sum could land a hair below it)
            features.append(extra)
        letters = _organisation_letters(entry.kind, score, round(sim, 4), best_pair, thresholds, memo)
        if letters is not None:
            score += letters.contribution
            features.append(letters)
        korean_read = frozenset(p.compact for p in prepared if p.kind == "korean" and not _korean_l_reading(p.tokens))
        single = _single_word(score, best_pair, query_legal, best_name.legal_forms, korean_read)
        if single is not None:
            score += single.contribution
            features.append(single)
        subset = None
        if not other_name:
            subset = _token_subset(entry.kind, score, best_name, found, thresholds, written_latin, memo) or _org_subset(
                ix, entry.kind, score, best_name, found, thresholds, query_legal, memo
            )
        if subset is not None:
            score += subset.contribution
            features.append(subset)
        quals = [
            q.birth_date(query.birth_date, entry.birth),
            q.country(query.country, entry.countries),
            _kind(query.kind, entry.kind) or _kind_by_legal_form(query.kind, query_legal, entry.kind, best_pair),
            q.gender(query.gender, entry.gender) if entry.kind == "person" else None,
            q.legal_form(query_legal, best_name.legal_forms),
        ]
        for qual in quals:
            if qual is not None:
                lift, why = qual.contribution, qual.explanation
                if qual.name == "legal_form" and lift > 0 and _poor_rest(best_pair) and score < thresholds.close_match <= score + lift:
                    # "Reynaud SA" / RENTA A.S. (0.80): two companies alike in kind, not in name; the form adds to a
                    # poorly matched name's evidence, never lifts it into a hit
                    lift, why = (
                        0.0,
                        why + "; no lift to close_match: the other words are unlike, and a shared legal form does not make names alike",
                    )
                score += lift
                features.append(Feature(qual.name, qual.value, lift, why))
        return min(1.0, max(0.0, score)), best_name, best_pair, named, features

    @staticmethod
    def _features(
        query: ScreenQuery,
        best_name: _Name,
        best_pair: tuple[Prepared | None, Prepared | None],
        named: tuple[float, tuple[str, ...], list[Feature]],
        rest: list[Feature],
    ) -> list[Feature]:
        """The chosen name's features: its similarity explained, the adjustments, then what :meth:`_finish` added."""
        sim, titles, adjust = named
        explained = _explain_name(query.name, best_name.listed, sim, *best_pair)
        if titles:
            explained += f"; equal but for the honorific title {' '.join(titles)!r}, which says nothing of who is meant"
        return [Feature("name_similarity", round(sim, 4), round(sim, 4), explained), *adjust, *rest]


# a theophoric name or a kunya read from Arabic letters as one word (عبدالغني ``bdalghny``, ابوالفضل ``abwalfdl``): lists
# write its second part apart as often as not (``Abdul Ghani``, ``Abu al-Fadl``); that part is a place's alternative
_ARABIC_COMPOUND = re.compile(r"^a?(?:bd|bw)al([a-z]{3,})$")
_ARABIC_COMPOUND_PARTS = re.compile(r"^(a?(?:bd|bw)al)([a-z]{3,})$")  # the first part with its article (bdal: Abdul, Abdel)


def evidence_cap(ix: _Index | None) -> int:
    """The most names the kept evidence (:class:`_Kept`) holds for an index: :data:`EVIDENCE_PER_POSTING` per indexed
    (name, word) pair, at least :data:`EVIDENCE_KEPT`. A place's evidence is the postings of its word's indexed near
    spellings, so what the queries' common places read grows with the index, not with the traffic."""
    postings = sum(map(len, ix.vocab.values())) if ix is not None else 0
    return max(EVIDENCE_KEPT, EVIDENCE_PER_POSTING * postings)


def _keep_evidence(kept: _Kept, key: tuple[tuple[str, ...], str, bool], best: dict[int, float]) -> None:
    """Keep a place's evidence, the least recently used dropped first while the names kept would pass the cap (set when
    first :data:`EVIDENCE_KEPT` would be passed: :attr:`NameScreener.evidence_kept`, or :func:`evidence_cap`)."""
    evidence = kept.evidence
    if key in evidence:  # kept by another thread meanwhile
        return
    size = kept.size + len(best)
    cap = kept.cap
    if cap is None and size > EVIDENCE_KEPT:
        cap = kept.cap = evidence_cap(kept.index)
    if cap is not None and size > cap:
        if len(best) > cap:
            return
        while size > cap and evidence:
            try:
                _key, old = evidence.popitem(last=False)
            except KeyError:  # emptied by another thread
                break
            size -= len(old)
    evidence[key] = best
    kept.size = size


def _initials_key(tokens: tuple[str, ...]) -> str:
    """A name's words' first letters, sorted, under :data:`INITIALS_MARK`: the key of a query written in initials only."""
    return INITIALS_MARK + "".join(sorted(t[0] for t in tokens))


def _compact_keys(prepared: list[Prepared]) -> set[str]:
    """A listed name's keys in ``_Index.compacts``: each spelling's words joined (in both orders), and the initials of
    its words as written (:func:`_initials_key`; ``O, Chong Ok``: ``coo``), for a query of initials only (``C. O. O``),
    and the first :data:`ARTICLE_CUT` letters of each word after the Arabic article (:data:`ARTICLE_MARK`; ``AL-AQSA``:
    ``aq``, ``aqs``), for a query whose word after the article is cut short (``AL-AQ``)."""
    keys = {c for p in prepared for c in (p.compact, p.compact_rev)}
    for p in prepared:
        if p.kind == "latin" and 2 <= len(p.tokens) <= INITIALS_WORDS and all(t.isascii() for t in p.tokens):
            keys.add(_initials_key(p.tokens))
        if p.kind == "latin":
            firm = _firm_key(p.tokens)
            if firm is not None:
                keys.add(firm)
            for before, word in zip(p.tokens, p.tokens[1:], strict=False):
                if before in _ARTICLES and len(word) > ARTICLE_CUT[0] and word.isascii():
                    keys.update(ARTICLE_MARK + word[:cut] for cut in ARTICLE_CUT if cut < len(word))
    return keys


_FIRM_GENERIC = HAN_GENERIC_ENGLISH - {"hong", "kong"}  # Hong Kong only together (HONG is a pinyin syllable too)


def _firm_key(tokens: tuple[str, ...]) -> str | None:
    """A firm's name without its generic words, joined, under :data:`FIRM_MARK` (``WEIHAI HUIJIANG TRADE LIMITED``:
    ``weihaihuijiang``); ``None`` when the name has no generic word or too short a rest.

    A Chinese firm's name in Han characters is read with its generic words translated and its distinctive part in pinyin
    run together (``威海汇江贸易``: ``weihaihuijiang trading``; ``names.han_company_english``), while the list writes
    the distinctive part in words and the generic ones as it likes (TRADE, TRADING; INDUSTRY, INDUSTRIAL; HONGKONG, HONG
    KONG): neither the words nor the whole name as written then find the listed name. Both sides keyed so meet
    (:meth:`NameScreener._candidates`)."""
    rest: list[str] = []
    generic = False
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "hong" and tokens[i + 1 : i + 2] == ("kong",):
            generic = True
            i += 2
            continue
        if t in _FIRM_GENERIC:
            generic = True
        else:
            rest.append(t)
        i += 1
    if not generic or not rest:
        return None
    key = "".join(rest)
    return FIRM_MARK + key if len(key) >= FIRM_KEY_MIN and key.isascii() else None


def _near_whole(ix: _Index, prepared: list[Prepared]) -> list[int]:
    """Names the evidence of words cannot find (:meth:`NameScreener._candidates`):

    * a whole name one letter longer than a listed one written without spaces, the letter where the list writes a hyphen
      or a space (``TRANZaTEL, A.S.`` for ``TRANZ-TEL, A.S.``, ``RI JEoSON`` for ``RI JE-SON``): the query's words are
      then none of the listed words, nor near them; the letter is looked for inside a query word the list does not
      have, up to :data:`RARE_EXACT` names a key;
    * a name written in initials only (``C. O. O`` for ``O, Chong Ok``): the names whose words have these initials
      (:func:`_compact_keys`), up to :data:`MAX_TIED` (more: the initials tell too little to score them all);
    * a word after the Arabic article cut to two or three letters (``AL-AQ E.V.`` for ``AL-AQSA E.V.``, ``Mohammed
      AL-MA`` for ``Mohammed AL-MASRI``): no prefix key is that short (:data:`PREFIX_MIN`), and the cut word is another
      name's or none. The names with a word after the article opening with those letters (:func:`_compact_keys`): all,
      when at most :data:`ARTICLE_CUT_MAX`, else as many of them, those holding another word of the query as written
      and of about as many words first (:func:`_article_cut`).
    """
    out: list[int] = []
    seen: set[str] = set()
    for p in prepared:
        if p.kind != "latin":
            continue
        for i in range(len(p.tokens) - 1):
            word = p.tokens[i + 1]
            if p.tokens[i] in _ARTICLES and ARTICLE_CUT[0] <= len(word) <= ARTICLE_CUT[-1] and word.isascii():
                others = {t for j, t in enumerate(p.tokens) if j not in (i, i + 1) and t not in _ARTICLES}
                out.extend(_article_cut(ix, word, others, len(p.tokens)))
        if p.tokens and all(len(t) == 1 for t in p.tokens):
            if len(p.tokens) >= 2 and p.tokens[0].isascii():
                tied = ix.compacts.get(_initials_key(p.tokens), ())
                out.extend(tied[:MAX_TIED])
            continue
        whole = p.compact
        if len(whole) < NEAR_WHOLE_MIN or len(p.tokens) > INITIALS_WORDS or not whole.isascii():
            continue
        start = 0
        for token in p.tokens:
            # the letter typed over a hyphen is inside a word the list does not have (TRANZaTEL), never first or last
            if len(token) >= 3 and token not in ix.vocab:
                for i in range(start + 1, start + len(token) - 1):
                    key = whole[:i] + whole[i + 1 :]
                    if key in seen:
                        continue
                    seen.add(key)
                    names = ix.compacts.get(key)
                    if names and len(names) <= RARE_EXACT:
                        out.extend(names)
            start += len(token)
    return out


def _article_cut(ix: _Index, word: str, others: set[str], words: int) -> list[int]:
    """:func:`_near_whole`'s names for a word after the article cut to ``word``: those with a word after the article
    opening with it, all if at most :data:`ARTICLE_CUT_MAX`; else (``AL-AQ``: the many AL-AQSA ... names) the
    :data:`ARTICLE_CUT_MAX` the query accounts for best: holding one of ``others`` (the query's other words as written)
    first, then the fewest words more or less than the query's ``words`` (of the first :data:`ARTICLE_CUT_SCAN`)."""
    names = ix.compacts.get(ARTICLE_MARK + word, ())
    if len(names) <= ARTICLE_CUT_MAX:
        return list(names)
    ranked: list[tuple[bool, int, int]] = []
    for order, name_id in enumerate(names[:ARTICLE_CUT_SCAN]):
        rec = ix.names.get(name_id)
        if rec is not None:
            ranked.append((others.isdisjoint(rec.tokens), abs(len(rec.prepared[0].tokens) - words), order))
    return [names[order] for _, _, order in heapq.nsmallest(ARTICLE_CUT_MAX, ranked)]


def _largest(acc: dict[int, float], n: int) -> list[tuple[int, float]]:
    """``heapq.nlargest(n, acc.items(), key=weight)``, the same list (ties in the dict's order), with less work per name."""
    return _largest_and_above(acc, n, sorted(acc.values()))[0]


def _largest_and_above(acc: dict[int, float], n: int, values: list[float]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """:func:`_largest` given ``values``, acc's weights sorted ascending, and the items it chose among: every item at least
    as heavy as its last, in the dict's order (all of them when at most ``n``).

    The n-th largest weight is ``values[-n]`` (what ``heapq.nlargest(n, values)[-1]`` is, by a C-level sort rather than a
    Python loop over the names); the items that heavy, sorted by weight (stable: ties in the dict's order), their first n.
    """
    if len(acc) > n:
        above = heavier(acc, values[-n])
    else:
        above = list(acc.items())
    return sorted(above, key=itemgetter(1), reverse=True)[:n], above


def _tie_pool(acc: dict[int, float], values: list[float], above: list[tuple[int, float]], last: float) -> list[tuple[int, float]] | None:
    """The items tied with (or heavier than) ``last``, in the dict's order, when at most :data:`TIE_POOL`; None (too
    many to order) when more. ``values`` and ``above`` are :func:`_largest_and_above`'s: how many they are is read by a
    bisect of ``values`` (no pass over ``acc``), and they are ``above`` when as many (else acc is read again)."""
    size = len(values) - bisect_left(values, last - 1e-9)
    if size > TIE_POOL:
        return None
    return above if size == len(above) else [kv for kv in acc.items() if kv[1] >= last - 1e-9]


def _unknown_vowel_less(variants: tuple[NameVariant, ...], vocab: dict[str, list[int]], text: str) -> tuple[NameVariant, ...]:
    """A query word of a vowel and two consonants that no listed name has is read without its vowels too.

    ``Abu Obd`` is ``Abu Obeida`` with its vowels dropped but the first; :func:`~finguard.screening.model.names.analyse_name`
    leaves such a word as written, as it is a name of its own as often (``Ong``, ``Abd``, ``Amr``, ``Ekt``). Asked of
    the query only, and only when the lists do not know the word: a word they have is a name.
    """
    if not variants or variants[0].kind != "latin" or any(v.kind == "skeleton" for v in variants):
        return variants
    tokens = variants[0].tokens
    unknown = [t for t in tokens if (_vowel_less_syllable(t) or _y_only(t)) and t not in vocab]
    if unknown:
        folded = fold(text)
        if any(f"{t}." not in folded for t in unknown):  # "Okt.", "Öğr.": an abbreviation, written with its dot
            return (*variants, NameVariant(tokens, "skeleton"))
    return variants


def _joined_apart(
    variants: tuple[NameVariant, ...], skel: dict[str, list[str]], vocab: dict[str, list[int]] | None = None
) -> tuple[NameVariant, ...]:  # the extra spellings
    """A word read from Arabic letters whose skeleton no listed word has, read also as two words written without the space.

    Arabic writers join a name's words (``خوسيخافير`` Jose Javier, ``روساسكامبا`` Rosas Camba, a given name run into the
    family name): the joined word's skeleton is no listed word's, and the name is not found by its words. The word is
    cut where both parts are listed words' skeletons of two consonants or more, the longest shorter part first (a cut
    into a two-consonant scrap is found everywhere), then the rarer; the two best cuts are extra spellings of the query
    (returned; the name as read is kept), whose candidates only add to the name's (:data:`JOINED_TAKE`). Only for words
    the index does not know: a known word is a name of its own.

    After them (``vocab`` given), a word read after the article, which ``arabic_prepare`` split off: a foreign name
    opening with al (``الزاتي`` Alzate, ``اليخندرا`` Alejandra) is written so in Arabic letters. The article and the
    word joined again are an extra spelling when their skeleton is a listed word's of :data:`ARTICLE_JOINED_MIN`
    consonants or more that opens with al and is no article and listed word (ALZATE; not ALHASSAN, al + hassan), or are
    cut in two as above when their skeleton is no listed word's (``الفاسبيتزنز``: ALFA SPETZNAZ).
    """
    extra: list[NameVariant] = []
    later: list[NameVariant] = []
    arabic = vocab is not None
    for v in variants:
        if v.kind != "skeleton" or v.hebrew:
            continue
        for i, t in enumerate(v.tokens):
            k = skeleton(t)
            head, tail = v.tokens[:i], v.tokens[i + 1 :]
            if k in skel:
                # a known word is a name of its own, even when it may be two run together: محمدحسين is Mohammadhossein,
                # one Persian given name, as often as Mohammad Hossein (cut, it made the Arabic dev negatives' hits rise)
                continue
            # the article inside the word: a name run into the next one's al- (إياد النعيمي written إيادالنعيمي)
            extra.extend(NameVariant((*head, *apart, *tail), v.kind, v.hebrew) for apart in _article_inside(t, k, skel))
            # two alifs in a row are two words (no word has them): cut there, the second part a name of one consonant
            # too (مجتباعلي written with its alif: Mujtaba Ali); a shorter joined word below
            cut = t.find("aa", 1) + 1
            if cut and len(k) >= JOINED_MIN and skeleton(t[:cut]) in skel and skeleton(t[cut:]) in skel:
                extra.append(NameVariant((*head, t[:cut], t[cut:], *tail), v.kind, v.hebrew))
            if len(k) < JOINED_MIN:
                # a shorter joined word cut at its two alifs too (كاساابولو, ``kasa abwlw``: CASA APOLLO)
                if cut and len(k) == JOINED_MIN - 1 and all(len(x := skeleton(w)) >= 2 and x in skel for w in (t[:cut], t[cut:])):
                    extra.append(NameVariant((*head, t[:cut], t[cut:], *tail), v.kind, v.hebrew))
                elif len(k) == JOINED_MIN - 1:
                    later.extend(NameVariant((*head, *apart, *tail), v.kind, v.hebrew) for apart in _one_consonant_cut(t, skel))
                continue
            apart = _apart(t, skel, arabic)
            extra.extend(NameVariant((*head, *a, *tail), v.kind, v.hebrew) for a in apart)
            if not apart:
                later.extend(NameVariant((*head, *a, *tail), v.kind, v.hebrew) for a in _one_consonant_cut(t, skel))
        if vocab is None or v is not variants[0]:  # the name as read (not its Persian, French or Egyptian letters)
            continue
        for i in range(len(v.tokens) - 1):
            if v.tokens[i] != "al" or v.tokens[i + 1] == "al":
                continue
            t = "al" + v.tokens[i + 1]
            k = skeleton(t)
            bare = len(skel.get(skeleton(v.tokens[i + 1]), ()))  # listed words of the word's own skeleton
            head, tail = v.tokens[:i], v.tokens[i + 2 :]
            if bare > RARE_EXACT:  # a word many listed words are (شيخ, شرف): the article and a name
                continue
            if k in skel:
                if len(k) >= ARTICLE_JOINED_MIN and any(w[:2] == "al" and w[2:] not in vocab for w in skel[k]):
                    later.append(NameVariant((*head, t, *tail), v.kind, v.hebrew))
                    # and its kh as Spanish j when that is a listed word's skeleton too (اليخندرا: Alejandro's
                    # alekhandro, Alejandra's alejandra)
                    later.extend(NameVariant((*head, *j, *tail), v.kind, v.hebrew) for j in _apart(t, skel, arabic)[:1] if len(j) == 1)
            elif len(k) >= JOINED_MIN:
                later.extend(NameVariant((*head, *apart, *tail), v.kind, v.hebrew) for apart in _apart(t, skel, arabic))
    out = extra[:JOINED_MAX]
    out += [x for x in dict.fromkeys(later) if x not in out][: JOINED_MAX - len(out)]
    return tuple(out)


def _apart(t: str, skel: dict[str, list[str]], arabic: bool) -> list[tuple[str, ...]]:
    """:func:`_joined_apart`'s readings of ``t``, a word whose skeleton no listed word has: read from Arabic letters
    (``arabic``) with ``kh`` (خ), with ``kh`` as ``j`` first when that is a listed word's skeleton (Spanish j, which
    Arabic writes خ: ``غرخليس`` Grajales, ``اليخندرا`` Alejandra; the index reads je, jo, ju so, ``names.foreign_in_arabic``),
    then cut in two (:func:`_cuts`)."""
    out: list[tuple[str, ...]] = []
    if arabic and "kh" in t:
        j = t.replace("kh", "j")
        if len(skeleton(j)) >= ARTICLE_JOINED_MIN and skeleton(j) in skel:
            out.append((j,))
    out.extend((t[:j], t[j:]) for j in _cuts(t, skel))
    return out


def _article_inside(t: str, k: str, skel: dict[str, list[str]]) -> list[tuple[str, ...]]:
    """:func:`_joined_apart`'s readings of ``t`` (a word whose skeleton ``k`` no listed word has) with the article inside
    it: two names run together, the second with its al- (``yyadalnymy``: ``yyad al nymy``, Iyad al-Nuaimi). Cut where
    ``al`` follows at least two letters, the part before a listed word's skeleton (not Abd or Abu: عبدالله is one name),
    the part after, or it with the article, one too; at most one reading, the last such place."""
    if len(k) < ARTICLE_INSIDE_MIN:
        return []
    j = len(t)
    while (j := t.rfind("al", 0, j)) >= 2:
        before, after = t[:j], t[j + 2 :]
        kb, ka = skeleton(before), skeleton(after)
        if kb and len(ka) >= 2 and kb in skel and kb not in ("bd", "b") and (ka in skel or "l" + ka in skel):
            return [(before, "al", after)]
    return []


_ONE_CONSONANT_NAMES = frozenset({"ly", "aly", "ysa", "ysy", "yd"})  # علي Ali, عيسى Issa, عيد Eid: as arabic_readings reads them


def _one_consonant_cut(t: str, skel: dict[str, list[str]]) -> list[tuple[str, str]]:
    """:func:`_joined_apart`'s reading of ``t`` (a word no listed word's skeleton, and no cut into two of two consonants
    each) as a name of one consonant run into another: Ali, Issa (علي ``ly``, عيسى ``ysa``) at either end (``lysalh``:
    ``ly salh``, Ali Saleh; ``thmanysa``: ``thman ysa``, Osman Issa). The other part
    of two consonants or more, a listed word's skeleton; the short part one of the few names of one consonant, as read
    (:data:`_ONE_CONSONANT_NAMES`: never a lone letter, which an initial would match, nor a suffix, ``-an``); the
    shortest, at the end first."""
    best: tuple[int, int, int] | None = None
    for j in range(1, len(t)):
        if t[j] == "h" and t[j - 1] in _DIGRAPH_FIRST:
            continue
        a, b = t[:j], t[j:]
        for short, other, end in ((b, a, 0), (a, b, 1)):
            # one of the few names of one consonant, as read from Arabic letters (never a suffix, -an, nor an initial)
            if short in _ONE_CONSONANT_NAMES and len(ko := skeleton(other)) >= 2 and ko in skel:
                if best is None or (len(short), end) < best[:2]:
                    best = (len(short), end, j)
    return [] if best is None else [(t[: best[2]], t[best[2] :])]


def _cuts(t: str, skel: dict[str, list[str]]) -> list[int]:
    """:func:`_joined_apart`'s two best places to cut ``t`` (a word read from Arabic letters) in two listed words.

    Two cuts into the same two skeletons are one reading (``rwsask amba`` and ``rwsaska mba``, both ``rsk`` ``mb``):
    the first place of each pair is kept, so the second cut is another pair (``rwsas kamba``, Rosas Camba). Never inside
    a digraph (``kh``, ``sh``, ``th``, ``dh``, ``gh``, French ``ch``: one Arabic letter, خ ش ث ذ غ, as
    read).
    """
    found: dict[tuple[str, str], tuple[int, int, int]] = {}
    for j in range(1, len(t)):
        if t[j] == "h" and t[j - 1] in _DIGRAPH_FIRST:
            continue
        ka, kb = skeleton(t[:j]), skeleton(t[j:])
        if len(ka) >= 2 and len(kb) >= 2 and ka in skel and kb in skel and (ka, kb) not in found:
            found[ka, kb] = (-min(len(ka), len(kb)), len(skel[ka]) + len(skel[kb]), j)
    return [j for _m, _n, j in sorted(found.values())[:2]]


_DIGRAPH_FIRST = frozenset("ksdtgc")  # kh sh dh th gh ch: one Arabic letter each, as arabic_readings writes them


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"


def _unknown_neighbours(ix: _Index, token: str, found: dict[str, float]) -> None:
    """Listed words a query word no list has may stand for, beyond the delete and prefix keys (added to ``found``).

    * Three letters: one letter changed or two swapped (``OOO 'NMT-K'`` for ``OOO 'CMT-K'``): the delete keys
      are kept for words of :data:`MIN_DELETE_LEN` letters or more, and two short words one letter apart are under
      :data:`MIN_TOKEN_SIM`; they reach scoring at that similarity, and scoring decides.
    * Four letters: the start of a longer word (``M-FINA`` for ``M-FINANS``), under the shortest prefix key.
    * ``ks`` as ``x``: a Latin name written in Cyrillic letters (``Ксу`` for ``XU``).

    Only for words not in the index (a typo or a cut word): a listed word is a name of its own.
    """
    vocab = ix.vocab
    n = len(token)
    if n == 3:
        # a word without vowels is an acronym's typo (its vowels dropped is the skeleton's part): acronyms only
        letters = _CONSONANTS if _VOWEL_LETTERS.isdisjoint(token) else _LETTERS
        for i in range(3):
            head, tail = token[:i], token[i + 1 :]
            for c in letters:
                other = head + c + tail
                if other in vocab and other not in found:
                    found[other] = MIN_TOKEN_SIM
        for other in (token[1] + token[0] + token[2], token[0] + token[2] + token[1]):
            if other in vocab and other not in found:
                found[other] = MIN_TOKEN_SIM
    elif n == PREFIX_MIN - 1:
        for c in _LETTERS:
            longer = token + c
            if longer in vocab and longer not in found:
                found[longer] = max(MIN_TOKEN_SIM, token_similarity(token, longer))
            for other in ix.prefixes.get(longer, ()):
                if other not in found:
                    found[other] = max(MIN_TOKEN_SIM, token_similarity(token, other))
    if "ks" in token:
        other = token.replace("ks", "x")
        if other in vocab and other not in found:
            found[other] = max(MIN_TOKEN_SIM, token_similarity(token, other))


def _vowel_less_syllable(token: str) -> bool:
    """``obd``: a vowel, then two consonants, not a syllable of its own (a final ``ng``, a doubled letter: Ong, Ann)."""
    return (
        len(token) == 3
        and token.isalpha()
        and token[0] in "aeiou"
        and not _VOWEL_LETTERS.intersection(token[1:])
        and token[1] != token[2]
        and not token.endswith("ng")
    )


def _y_only(token: str) -> bool:
    """``jyn``, ``zkry``: a word whose only vowel letter after the first letter is ``y`` (``Jiayuan``, ``Zakariya`` with
    a, e, i, o, u dropped); :func:`~finguard.screening.model.names.analyse_name` reads ``y`` as a vowel (``Glyn``)."""
    return len(token) >= 3 and token.isalpha() and "y" in token[1:] and _VOWEL_LETTERS.isdisjoint(token[1:].replace("y", ""))


def _short_skeletons(bq: Prepared | None, bc: Prepared | None) -> bool:
    """A skeleton comparison (not of Hebrew letters) of names too short for more than :data:`SKELETON_TINY_CAP`, but for
    :func:`~finguard.screening.service.similarity.same_skeleton_words`, which raises a person's name to a close match."""
    if bq is None or bc is None or (bq.kind != "skeleton" and bc.kind != "skeleton") or bq.hebrew or bc.hebrew:
        return False
    shortest = min(len(bq.skel_compact), len(bc.skel_compact))
    if not SKELETON_WORDS_MIN <= shortest < SKELETON_MIN - 1:
        return False
    alt = latin_read_as_arabic(bc, bq.skel) if bq.kind == "skeleton" and bc.kind != "skeleton" else None
    return same_skeleton_words(bq.skel, bc.skel) or (alt is not None and same_skeleton_words(bq.skel, alt))


def _same_start(found: tuple[float, _Name, Prepared | None, Prepared | None], reach: float) -> bool:
    """A listed name scored at least ``reach`` whose first word is the query's (in the spellings compared)."""
    sim, _rec, bq, bc = found
    return sim >= reach and bq is not None and bc is not None and bool(bq.tokens) and bq.tokens[:1] == bc.tokens[:1]


def _own_floor(name_id: int, own: list[tuple[dict[int, float], float]]) -> bool:
    """A name under the query's floor has at least :data:`RELATIVE_FLOOR` of the best evidence of a spelling of the
    query whose every token is common (``own``).

    Spellings weigh on different scales: a spelling of rare tokens (``shahyn``, its skeleton on a few names) sums
    their idf, one of common tokens only (``dawwd myr chahyn``: ``chn`` is also chen, chan, chin ...) intersects
    them at most 2.0. A name the second finds best (``Daoud Umair Chahine``) is not cut by the first's scale.
    """
    return any(mine.get(name_id, 0.0) >= best * RELATIVE_FLOOR for mine, best in own)


def _best_evidence(postings: list[tuple[list[int], float]], budget: int | None = SCAN_BUDGET) -> dict[int, float]:
    """Each name's best weight among a group's postings (at most ``budget`` read per list; None: all), in the order first read."""
    if budget is not None:
        postings = [(ps if len(ps) <= budget else ps[:budget], weight) for ps, weight in postings]
    if len(postings) == 1:
        ps, weight = postings[0]
        return dict.fromkeys(ps, weight)
    # the names in the order first read, then each list's weight written in ascending order: the largest is last
    # (dict-level operations, no Python-level loop over the postings)
    best = dict.fromkeys(chain.from_iterable([ps for ps, _ in postings]), 0.0)  # every value written below
    for ps, weight in sorted(postings, key=itemgetter(1)):
        best.update(zip(ps, repeat(weight)))
    return best


def _spellings(prepared: list[Prepared]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """The query's spellings for candidate gathering: (how its tokens are read, the alternatives for each place).

    Read ``""`` as written, ``"skeleton"`` as a consonant skeleton, ``"hebrew"`` as the skeleton
    of Hebrew letters (:func:`~finguard.screening.model.names.skeleton` with ``letters``).

    Romanised Korean spellings that differ only in their first token (the family name: ``lee``,
    ``yi``, ``ri``, ``rhee``, ``i``) become one spelling whose first place has those alternatives;
    every other spelling has one token per place.
    """
    out: list[tuple[str, list[list[str]]]] = []
    merged: dict[tuple[str, ...], list[str]] = {}
    for p in prepared:
        if p.korean and len(p.tokens) > 1:
            family = merged.get(p.tokens[1:])
            if family is None:
                family = merged[p.tokens[1:]] = []
                out.append(("", [family, *([t] for t in p.tokens[1:])]))
            if p.tokens[0] not in family:
                family.append(p.tokens[0])
            continue
        read = ("hebrew" if p.hebrew else "skeleton") if p.kind == "skeleton" else ""
        if read == "skeleton":  # عبدالغني, ابوالفضل: the second part also as a word (Abdul Ghani, Abul Fazl)
            out.append((read, [[t, *_ARABIC_COMPOUND.findall(t)] for t in p.tokens]))
            # and read as two words, Abd (Abdul, Abdel) then the second part: عبد الوفاء finds WAFA, Abdul among the
            # many Wafa, not by wafa alone (the whole word bdalwfa is on no listed name)
            # (bdal is Abdul, Abdel, or Abd and the article written apart: ABD AL-RAHMAN, bd)
            split: list[list[str]] = []
            for t in p.tokens:
                parts = _ARABIC_COMPOUND_PARTS.findall(t)
                split.extend([[parts[0][0], parts[0][0][:-2]], [parts[0][1]]] if parts else [[t]])
            if len(split) > len(p.tokens):
                out.append((read, split))
            continue
        out.append((read, [[t] for t in p.tokens]))
    return [(abjad, [tuple(slot) for slot in slots]) for abjad, slots in out]


def _rarity(ix: _Index, best: float, name: _Name, bq: Prepared, bc: Prepared, memo: PairMemo | None = None) -> list[Feature]:
    """Re-weigh the token alignment by how rare each token is on the indexed lists (idf).

    Matching only the common part of a listed name (a shared surname, ``Daniel``) is weaker evidence
    than matching its rare part, and missing only a very common token (``Muhammad``) costs little.
    A listed person's first family name that has no counterpart in the query costs
    :data:`SURNAME_PENALTY`: ``Daniel Herrera`` is not ``RENDON HERRERA, Daniel``.
    """
    if bq.kind == "skeleton" and bq.hebrew and bc.kind == "latin":
        lacking = _family_missing_in_skeleton(name, bq, bc)
        return [lacking] if lacking is not None else []
    credits = token_credits(bq, bc, memo)
    if credits is None:
        return []
    n = len(ix.names) + 1
    top = math.log(n + 1)

    def weights(p: Prepared) -> list[float]:
        out = []
        for token, w in zip(p.tokens, p.weights, strict=True):
            idf = math.log((n + 1) / (len(ix.vocab.get(token, ())) + 1)) / top
            out.append(w * max(RARITY_FLOOR, min(1.0, idf)) ** RARITY_POWER)
        return out

    sino = bq.chinese or bc.chinese
    plain = weighted_alignment(credits, list(map(float, bq.weights)), list(map(float, bc.weights)), sino)
    out: list[Feature] = []
    if plain >= best - 1e-6 and not sino:  # the alignment (not the compact comparison) gave the similarity
        rare = weighted_alignment(credits, weights(bq), weights(bc), sino)  # the idf weights only when they are read
        delta = round(max(-RARITY_DOWN, min(RARITY_UP, rare - plain)), 4)
        if abs(delta) >= 0.0001:
            missing = [t for t, g in zip(bc.tokens, credits[1], strict=True) if g <= 0.0]
            why = f"weighing tokens by their rarity on the lists the similarity is {rare:.2f}" + (
                f"; unmatched listed tokens: {' '.join(missing)!r}" if missing else ""
            )
            out.append(Feature(RARITY_FEATURE, round(rare, 4), delta, why))
    if name.family is not None and bc.kind == "latin":
        n_family, first = name.family
        got = credits[1]
        start = len(got) - n_family
        why = ""
        if 0 < start and not any(g > 0.0 for g in got[start:]):
            why = f"none of the listed family names ({' '.join(bc.tokens[start:])!r}) is in the query"
        elif first and start >= 0 and got[-first] <= 0.0 and any(g > 0.0 for g in got[len(got) - first + 1 :]):
            why = f"the query has a later listed family name but not the first, {bc.tokens[-first]!r}"
        if why:
            out.append(Feature(SURNAME_FEATURE, 1.0, -SURNAME_PENALTY, why))
    return out


def _untitled(bq: Prepared | None, bc: Prepared | None) -> tuple[str, ...]:
    """The honorific titles (:data:`~finguard.screening.model.names.HONORIFICS`) two names differ by, if they are
    otherwise the same words (two or more): ``Dr Sally Jones`` / ``JONES, Sally`` -> ``("dr",)``; else ``()``."""
    if bq is None or bc is None or (HONORIFICS.isdisjoint(bq.tokens) and HONORIFICS.isdisjoint(bc.tokens)):
        return ()
    rest_q = sorted(t for t in bq.tokens if t not in HONORIFICS)
    if len(rest_q) < 2 or rest_q != sorted(t for t in bc.tokens if t not in HONORIFICS):
        return ()
    return tuple(t for t in (*bq.tokens, *bc.tokens) if t in HONORIFICS)


def _family_missing_in_skeleton(name: _Name, bq: Prepared, bc: Prepared) -> Feature | None:
    """A name in Hebrew letters (compared by consonant skeleton) that lacks the listed person's family name.

    The rule :func:`_rarity` applies to names in Latin letters (``Muhammad Saad`` is not ``BAABOOD,
    Sa'ad Muhammad``), for a query in Hebrew letters: ``מוחמד סעד`` has no word for ``Baabood``. A
    family name counts as there if its skeleton is within the query's (written apart or joined) or
    near one of its words.
    """
    if name.family is None:
        return None
    n_family, _first = name.family
    start = len(bc.tokens) - n_family
    if start <= 0:
        return None
    family = [skeleton(t) for t in bc.tokens[start:] if len(t) > 1 and t not in _PARTICLES]
    family = [k for k in family if k]
    if not family:
        return None
    for k in family:
        if k in bq.skel_compact or any(token_similarity(k, x, nicknames=False) >= MIN_TOKEN_SIM for x in bq.skel):
            return None
    why = f"none of the listed family names ({' '.join(bc.tokens[start:])!r}) is in the query"
    return Feature(SURNAME_FEATURE, 1.0, -SURNAME_PENALTY, why)


def _no_equal_token(
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    name: _Name,
    query_words: frozenset[str],
    query_legal: tuple[str, ...],
    thresholds: Thresholds,
) -> Feature | None:
    """A name in Latin, Cyrillic or Greek letters of two or more words, none of them as listed: not a hit on its own.

    ``Rocco Marino`` / ``RICCIO, Mariano``, ``Adila Safak`` / ``SAFAR, Adel``: every word a near
    spelling of another is a different name more often than a misspelled one (a typo, a dropped
    vowel or a truncation changes one word, not all). Names read from another script, initials,
    nicknames and companies keep their scores.
    """
    bq, bc = pair
    if not query_words or query_legal or bq is None or bc is None or score < thresholds.close_match:
        return None
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or len(bq.tokens) < 2:
        return None
    listed = set(bc.tokens)
    spellings = {t for p in name.prepared if p.kind == "latin" for t in p.tokens}  # any spelling of either name
    if any(len(t) == 1 for t in bq.tokens) or not query_words.isdisjoint(spellings):
        return None
    if any(nickname_partners(t) & listed for t in bq.tokens):
        return None  # "Bill Gates" for "GATES, William": a nickname is a listed name's other form
    why = f"no word of the query ({' '.join(bq.tokens)!r}) is written as in the listed name ({' '.join(bc.tokens)!r}): near spellings only"
    return _capped(NO_EQUAL_FEATURE, NO_EQUAL_CAP, score, why)


def _extra_words(
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    query_words: frozenset[str],
    thresholds: Thresholds,
    memo: PairMemo | None = None,
) -> Feature | None:
    """The query has words the listed name lacks and writes a listed word otherwise: not a hit on its own.

    ``Jacinto Becerra Marin`` / ``BECERRA, Martin``, ``Samsonov Vladimir Terentevic`` / ``TERENTIEV,
    Vladimir``: a name that holds the listed one and more (another given name, a second family name)
    names the listed person only if it writes the listed words as listed; beside words of its own, a
    near spelling is another person's name more often than a misspelling. A listed word the query
    writes alike in sound (the same sound key: ``Hasan`` / ``Hassan``), a nickname or an initial's
    name counts as written; particles and initials of the query (``de``, ``J.``) are not words of its
    own. Only for names written in Latin, Cyrillic or Greek letters (a reading of another script may
    split or join words) and without a legal form (a company's name adds and drops generic words: ``LTD SUZHOU A-ONE SPECI
    ALLOY CO.``). Romanised Chinese and Korean names keep their scores.
    """
    bq, bc = pair
    if bq is None or bc is None or score < thresholds.close_match or len(bq.tokens) < 3:
        return None
    if not query_words.issuperset(bq.tokens):
        return None
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or bq.korean or bc.korean:
        return None
    credits = token_credits(bq, bc, memo)
    if credits is None:
        return None
    own = [t for t, g in zip(bq.tokens, credits[0], strict=True) if g <= 0.0 and len(t) > 1 and t not in _PARTICLES]
    if not own:
        return None
    sounds = set(bq.phon)
    other = [
        t
        for t, k, g in zip(bc.tokens, bc.phon, credits[1], strict=True)
        if 0.0 < g < 1.0 and abs(g - INITIAL_CREDIT) > 1e-9 and k not in sounds
    ]
    if not other:
        return None
    why = (
        f"the query has words the listed name lacks ({' '.join(own)!r}) and writes the listed {' '.join(other)!r} "
        "otherwise: maybe another person's name, a close match for review at most"
    )
    return _at_most_close(score, thresholds, why)


def _skeleton_lacking(score: float, pair: tuple[Prepared | None, Prepared | None], thresholds: Thresholds) -> Feature | None:
    """A name in Latin letters compared by consonant skeleton (a word written without its vowels) that also lacks a listed word.

    ``Inversiones MNL`` / ``INVERSIONES IRIS MANUELA``: ``MNL`` may be ``Manuela`` written without
    vowels, but with ``Iris`` left out too the name departs from the listed one twice; either alone
    (``Inversiones Iris MNL``, ``Inversiones Manuela``) is a hit as before. Particles do not count.
    The caller applies it to queries in Latin, Cyrillic or Greek letters only (Arabic and Hebrew are
    always compared by skeleton).
    """
    bq, bc = pair
    if bq is None or bc is None or score < thresholds.close_match or bq.kind != "skeleton" or bc.kind == "skeleton":
        return None
    mine = [t for t in bq.tokens if t not in _PARTICLES]
    listed = [t for t in bc.tokens if t not in _PARTICLES]
    if len(mine) >= len(listed):
        return None
    why = (
        f"the query writes a word without its vowels and has fewer words than the listed name ({' '.join(bq.tokens)!r} / "
        f"{' '.join(bc.tokens)!r}): two departures from it, a close match for review at most"
    )
    return _at_most_close(score, thresholds, why)


def _at_most_close(score: float, thresholds: Thresholds, why: str) -> Feature:
    """The two rules above lower a hit to the close-match threshold, never below it: a word added and a
    letter changed (or a word dropped and one written without its vowels) must not turn a listed name
    into no hit at all, which would be a way to pass screening on purpose. Below the threshold they
    would remove more false alarms (measured on the development split at the ninth pass: they did not
    move the held-out false positives); at it, the name goes to a person, with the reason shown."""
    return Feature(EXTRA_FEATURE, 1.0, round(min(0.0, thresholds.close_match - score), 4), why)


def _organisation_letters(
    kind: str,
    score: float,
    similarity: float,
    pair: tuple[Prepared | None, Prepared | None],
    thresholds: Thresholds,
    memo: PairMemo | None = None,
) -> Feature | None:
    """An organisation's name whose hit rests on a letter standing for a word (``J & M`` for ``JDZM``): not a hit.

    A one-letter word of a person's name is an initial (``N. T. HEATH`` for ``HEATH, Noel Timothy``): it stands for
    a given name, and the alignment credits it so. The letters of a company's or a vessel's name (``INMOBILIARIA J & M
    CORP``, ``I AND S HOLDING COMPANY``, ``M-VITO``) are its name, not the initials of other words: ``Inmobiliaria
    MSDT`` is another firm, ``Vito Tapia Morell`` a person. When the listed entry is not a person and a one-letter
    word of either name found its partner only as an initial of a longer word, the comparison is capped below
    ``close_match`` (:data:`NO_EQUAL_CAP`); letters equal to letters (``J M`` / ``J & M``) are not touched.
    """
    bq, bc = pair
    if kind == "person" or bq is None or bc is None or score < thresholds.close_match:
        return None
    if bq.kind != "latin" or bc.kind != "latin" or not (any(len(t) == 1 for t in bq.tokens) or any(len(t) == 1 for t in bc.tokens)):
        return None
    compact = max(Levenshtein.normalized_similarity(bq.compact, bc.compact), Levenshtein.normalized_similarity(bq.compact, bc.compact_rev))
    if compact * COMPACT_DISCOUNT >= similarity - 1e-4:
        return None  # the names compared without spaces gave the similarity (CONSTRUCTORA RT / R & T): spacing, no initial
    credits = token_credits(bq, bc, memo)
    if credits is None:
        return None
    spent = [t for t, g in zip(bq.tokens, credits[0], strict=True) if len(t) == 1 and abs(g - INITIAL_CREDIT) < 1e-9]
    spent += [t for t, g in zip(bc.tokens, credits[1], strict=True) if len(t) == 1 and abs(g - INITIAL_CREDIT) < 1e-9]
    if not spent:
        return None
    why = (
        f"the listed entry is not a person: its letters ({' '.join(sorted(set(spent)))!r}) are its name, not initials of "
        f"other words ({' '.join(bq.tokens)!r} / {' '.join(bc.tokens)!r}): too little to be the same name"
    )
    return _capped(LETTERS_FEATURE, NO_EQUAL_CAP, score, why)


def _single_word(
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    query_legal: tuple[str, ...],
    listed_legal: tuple[str, ...],
    korean_read: frozenset[str] = frozenset(),
) -> Feature | None:
    """One short word against another, spelled differently ("Hamon" / ``HAMOON``, "Bell Ltd" / ``BELLA``): not a hit.

    A one-word name says too little for a letter's difference to be the same name, unless both
    names carry the same legal form (``KHYBR COMPANY`` for ``KHEYBAR COMPANY``, ``TAWAF LTD`` for
    ``TAWAFUK LTD``), which says they are both companies of that kind, and the words have four
    letters or more: ``Akça Ltd.`` is not ``ACA LTDA.``. A Korean name read syllable by syllable is one
    word here: ``(주) 나루`` is not ``NALU`` (r and l are one Hangul letter; ``나루`` for ``NARU`` is equal:
    ``korean_read``, the query's Korean readings without a loose ``l``, joined).
    """
    bq, bc = pair
    if bq is None or bc is None or score <= SINGLE_WORD_CAP or len(bc.tokens) != 1:
        return None
    # a Korean name read syllable by syllable (나루 "na lu") is one word as a company's name: NALU
    korean = bq.kind == "korean" and len(bq.tokens) > 1 and not bq.initials
    if korean and bc.tokens[0] in korean_read:
        return None  # another reading of the query is the listed word (나루 "na ru" for NARU): equal
    mine = (bq.compact,) if korean else bq.tokens
    if len(mine) != 1 or min(len(mine[0]), len(bc.tokens[0])) >= SINGLE_WORD_LETTERS:
        return None
    if mine == bc.tokens and not (korean and len(mine[0]) <= KOREAN_SHORT and _korean_l_reading(bq.tokens)):
        return None
    same_form = q.legal_form(query_legal, listed_legal)
    if same_form is not None and same_form.value >= 1.0 and min(len(mine[0]), len(bc.tokens[0])) >= 4:
        return None
    why = (
        f"one short word against another, spelled differently ({mine[0]!r} / {bc.tokens[0]!r}) "
        "and no common legal form: too little to be the same name"
    )
    return Feature(SINGLE_WORD_FEATURE, 1.0, round(SINGLE_WORD_CAP - score, 4), why)


def _korean_l_reading(syllables: tuple[str, ...]) -> bool:
    """A syllable read with an ``l`` after a syllable ending in a vowel (``na lu`` of 나루): ㄹ there is ``r`` as
    romanised (``naru``); the ``l`` reading is a looser one, one letter off the name as usually written."""
    return any(s.startswith("l") and p[-1:] in "aeiouy" and p for p, s in pairwise(syllables))


def _replaced_words(
    kind: str,
    score: float,
    similarity: float,
    pair: tuple[Prepared | None, Prepared | None],
    query_words: frozenset[str],
    query_legal: tuple[str, ...],
    listed_legal: tuple[str, ...],
    listed_name: str,
    thresholds: Thresholds,
) -> Feature | None:
    """An organisation's name equal to the query in one word and unlike it in the others: not a hit.

    ``Inmobiliaria AMHR S.L.`` / ``INMOBILIARIA U.M.V. S.A.``, ``Constructora Badía`` / ``CONSTRUCTORA VANIA``:
    a long generic word (the trade, the kind of firm) carries most of the letters, so the names score as alike
    while the words that tell firms apart differ. When exactly one word is equal and every other word of the
    query is unlike every other listed word (:data:`REPLACED_SIM`; :func:`_word_likeness`: as written, cut short,
    or by consonant skeleton when one lacks its vowels) the hit is capped below ``close_match``. A person's name
    of at most three words, without a legal form, against a company's name with one, whose other word is a
    known given name (``Lisa Hernandez`` / ``LUIS A. HERNANDEZ Z Y CIA. S.C.S.``, ``María Gómez`` / ``GOMEZ
    MARIN LTDA.``), shares a surname with the firm's owner: its given name must be the owner's, near enough
    (:data:`OWNER_SIM`). Two equal words or more, or a word only added or dropped, are left to the other rules.
    Only for queries in Latin, Cyrillic or Greek letters.
    """
    bq, bc = pair
    if kind != "organisation" or bq is None or bc is None or not query_words or similarity >= 0.999 or score < thresholds.close_match:
        return None
    if bq.kind not in ("latin", "skeleton") or bc.kind not in ("latin", "skeleton") or bq.chinese or bc.chinese or bc.hebrew:
        return None
    if bc.kind == "skeleton" and not all(ch.isascii() or not ch.isalpha() or ord(ch) < 0x370 for ch in listed_name):
        return None  # a listed name in Arabic or Hebrew letters: its words are skeletons, compared otherwise
    equal, rest_q, rest_c = _rest(bq, bc)
    if len(equal) != 1 or not rest_q or not rest_c:
        return None  # two equal words or more name the firm (BONAB STEEL ...); a word only dropped or added: other rules
    owner = not query_legal and bool(listed_legal) and len(bq.tokens) <= 3 and any(nickname_partners(t) for t in rest_q)
    best = _rest_likeness(rest_q, rest_c)
    if best >= (OWNER_SIM if owner else REPLACED_SIM):
        return None
    why = (
        f"beside the equal {' '.join(sorted(equal))!r}, the query's {' '.join(rest_q)!r} is unlike the listed "
        f"{' '.join(rest_c)!r}: the words that tell one organisation from another differ"
    )
    return Feature(REPLACED_FEATURE, round(best, 4), round(min(0.0, NO_EQUAL_CAP - score), 4), why)


def _poor_rest(pair: tuple[Prepared | None, Prepared | None]) -> bool:
    """At most one word shared and the others unlike (:data:`LIFT_SIM`): ``reynaud`` / ``renta``, not ``twfk`` /
    ``tawafuk`` (vowels dropped) nor ``compony`` / ``company`` (a typo)."""
    bq, bc = pair
    if bq is None or bc is None or bq.kind not in ("latin", "skeleton") or bc.kind not in ("latin", "skeleton"):
        return False
    equal, rest_q, rest_c = _rest(bq, bc)
    # two equal words or more name the firm well enough (SUZHOU A-OtE SPECIAL ALLOY CO.): the form may lift it
    return len(equal) <= 1 and bool(rest_q) and bool(rest_c) and _rest_likeness(rest_q, rest_c) < LIFT_SIM


def _rest(bq: Prepared, bc: Prepared) -> tuple[set[str], list[str], list[str]]:
    """The words two names share (particles apart), and each name's other words."""
    mine = [t for t in bq.tokens if t not in _PARTICLES]
    listed = [t for t in bc.tokens if t not in _PARTICLES]
    equal = set(mine) & set(listed)
    return equal, [t for t in mine if t not in equal], [t for t in listed if t not in equal]


def _rest_likeness(rest_q: list[str], rest_c: list[str]) -> float:
    """How alike the closest of the query's other words is to one of the listed name's (:func:`_word_likeness`); one-
    letter words are compared joined (U.M.V. is ``umv``; ``S A``, a legal form not read as one)."""
    others = {*(t for t in rest_c if len(t) > 1), "".join(rest_c)}
    return max(_word_likeness(t, o) for t in {*(t for t in rest_q if len(t) > 1), "".join(rest_q)} for o in others)


def _word_likeness(a: str, b: str) -> float:
    """Two words alike as written, or by consonant skeleton (a word written without its vowels: ``Sntndr``)."""
    if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)):
        return 1.0  # a word cut short (IMP for IMPORT)
    sim = token_similarity(a, b, nicknames=False)
    ka, kb = skeleton(a), skeleton(b)
    if len(ka) >= 2 and len(kb) >= 2 and (_PLAIN_VOWELS.isdisjoint(a[1:]) or _PLAIN_VOWELS.isdisjoint(b[1:])):
        sim = max(sim, token_similarity(ka, kb, nicknames=False))
    return float(sim)


def _written_vowels(
    score: float, pair: tuple[Prepared | None, Prepared | None], query_words: frozenset[str], thresholds: Thresholds
) -> Feature | None:
    """A Latin query compared by consonant skeleton (a word of it lacks its vowels) whose words written with their
    vowels find no listed word alike: not a hit.

    ``Sarah Lynch`` / ``MELNYCHUK, Serhiy``: ``Lynch``, a word no list has whose only vowel letter is ``y``, may be
    a word with its vowels dropped (``zkry``), so the name is also compared by skeleton; there ``Sarah`` and
    ``Serhiy`` are both ``srh`` and ``lnch`` sits in ``mlnchk``. A word the query writes with its vowels says how
    it is spelled: one of them at least must have a listed partner alike as written (:data:`VOWELS_WRITTEN_SIM`; a
    nickname counts).
    """
    bq, bc = pair
    if bq is None or bc is None or not query_words or score < thresholds.close_match or bq.kind != "skeleton" or bc.kind == "skeleton":
        return None
    written = [t for t in bq.tokens if len(t) > 2 and t not in _PARTICLES and not _PLAIN_VOWELS.isdisjoint(t[1:])]
    if not written or not query_words.issuperset(bq.tokens):
        return None
    lone = [t for t in written if max((token_similarity(t, o) for o in bc.tokens), default=0.0) < VOWELS_WRITTEN_SIM]
    if len(lone) < len(written):
        return None  # a word written with its vowels is a listed word: the skeleton compares the others
    why = (
        f"compared by consonant skeleton, the query's {' '.join(lone)!r}, written with its vowels, is like no listed "
        f"word ({' '.join(bc.tokens)!r}) as written: another name"
    )
    return _capped(VOWELS_WRITTEN_FEATURE, NO_EQUAL_CAP, score, why)


def _family_and_given(bc: Prepared, n_family: int) -> tuple[list[str], list[str]]:
    """A listed person's family-name words (its last ``n_family`` tokens) and given-name words (the others), each
    without single letters and particles: the words the family / given precision rules weigh."""
    family = [t for t in bc.tokens[-n_family:] if len(t) > 1 and t not in _PARTICLES]
    given = [t for t in bc.tokens[:-n_family] if len(t) > 1 and t not in _PARTICLES]
    return family, given


def _given_names_differ(
    ix: _Index,
    kind: str,
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    name: _Name,
    written_latin: bool,
    thresholds: Thresholds,
) -> Feature | None:
    """A person's common family name, equal, beside given names that are other names: not a hit.

    ``Lisa Contreras`` / ``CONTRERAS, Luis C.``, ``Dawn Hernandez`` / ``HERNANDEZ, Adan``: a family name on many
    listed names (:data:`COMMON_FAMILY`) says little of who is meant, and the long equal word carries most of the
    letters, so the names score as alike while the given names, which tell its bearers apart, differ. When the
    listed name is written ``FAMILY, Given``, the query has every listed family name as written, and none of the
    query's other words is like any listed given name (:func:`_given_alike`: a spelling, a typo, a truncation, a
    nickname, a word without its vowels), the hit is capped below ``close_match``. Only for names written in Latin
    letters (``written_latin``): a name read from another script is spelled by a machine's rules (``Кекилиа`` is
    ``kekilia``, for ``Cecilia``).
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or not written_latin or score < thresholds.close_match or name.family is None:
        return None
    if bq.kind != "latin" or bc.kind != "latin":
        return None
    n_family = name.family[0]
    if n_family >= len(bc.tokens):
        return None
    family, listed_given = _family_and_given(bc, n_family)
    if not family or not listed_given or not set(family).issubset(bq.tokens):
        return None
    given = [t for t in bq.tokens if len(t) > 1 and t not in _PARTICLES and t not in family]
    if not given or any(_given_alike(a, b) for a in given for b in listed_given):
        return None
    common = [t for t in family if len(ix.vocab.get(t, ())) >= COMMON_FAMILY]
    if len(common) < len(family):
        return None  # a rare family name, equal, is evidence of its own
    why = (
        f"beside the listed family name {' '.join(family)!r}, on many listed names, the query's given name "
        f"{' '.join(given)!r} is not the listed {' '.join(listed_given)!r} (nor a spelling, nickname or short form of it): "
        "another person of that name"
    )
    return _capped(GIVEN_FEATURE, NO_EQUAL_CAP, score, why)


def _abjad_letters(
    kind: str,
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    prepared: list[Prepared],
    query_words: frozenset[str],
    thresholds: Thresholds,
) -> Feature | None:
    """A word read from Hebrew or Arabic letters against a listed run of single letters: not a hit.

    ``עבאס Ltd`` (``bs``) / ``B S COMPANY``: the letters of an abjad word are a name's consonants, and listed single
    letters are Latin initials or an abbreviation; that the one, joined, spells the other says nothing. Capped at
    :data:`SINGLE_WORD_CAP` (below ``close_match`` with a legal form's small lift), and not lifted back.
    """
    bq, bc = pair
    if kind == "person" or bq is None or bc is None or bq.kind != "latin" or score < thresholds.close_match - 0.1:
        return None
    if query_words or not any(p.kind == "skeleton" for p in prepared):
        return None  # written in alphabets (BS Company), or not read from Arabic or Hebrew letters
    n = len(bc.tokens)
    runs = {"".join(bc.tokens[i:j]) for i in range(n) for j in range(i + 2, n + 1) if all(len(t) == 1 for t in bc.tokens[i:j])}
    mine = [t for t in bq.tokens if t in runs]
    if not mine:
        return None
    why = (
        f"the query's {mine[0]!r}, read from Hebrew or Arabic letters, is a name's consonants, "
        f"not the listed letters {' '.join(bc.tokens)!r}"
    )
    return _capped(ABJAD_LETTERS_FEATURE, SINGLE_WORD_CAP, score, why)


def _word_extended(
    kind: str, score: float, pair: tuple[Prepared | None, Prepared | None], query_words: frozenset[str], thresholds: Thresholds
) -> Feature | None:
    """A person's name with a word that is a listed word and more letters at its end: not a hit.

    ``Joseph Cabrera`` / ``CABRERA, Jose Benito``, ``Nicoletta Schiavone`` / ``SCHIAVONE, Nicola``, ``Ivan Saraceno``
    / ``SARAC, Ivan``, ``Ms Alison Khan`` / ``KHAN, Ali``: a name grows into another by a suffix (a feminine form, a
    diminutive, a longer name of which the listed one is the start), so the words score as alike while they name
    others. When a word the customer wrote (Latin letters) is a listed word of three letters or more with
    :data:`EXTENDED_MIN` letters or more added at its end, and no listed word is that word as written, the hit is
    capped below ``close_match``, and no word-level rule lifts it back (``Joseph Cabrera``, 0.81, was lifted to a match as
    a token subset). A typo adds one letter; a word cut short (``Vlad``) has fewer letters, not more.
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or not query_words or score < thresholds.close_match - EXTENDED_REACH:
        return None
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or bq.korean or bc.korean:
        return None
    if not query_words.issuperset(bq.tokens):
        return None
    listed = set(bc.tokens)
    longer = [
        (t, o)
        for t in bq.tokens
        if t not in listed and t not in _PARTICLES
        for o in bc.tokens
        if len(o) >= 3 and o not in _PARTICLES and o not in bq.tokens and _extends(t, o) and not _joined(t, o, bc.tokens)
    ]
    if not longer:
        return None
    t, o = longer[0]
    why = f"the query's {t!r} is the listed {o!r} and more letters at its end: another name, not a spelling of it"
    return _capped(EXTENDED_FEATURE, NO_EQUAL_CAP, score, why)


def _extends(t: str, o: str) -> bool:
    """``t`` is ``o`` with :data:`EXTENDED_MIN` letters or more added at its end, ``o``'s final vowel dropped first or
    not: ``joseph`` / ``jose``, ``nicoletta`` / ``nicola``."""
    if len(t) - len(o) < EXTENDED_MIN:
        return False
    return t.startswith(o) or (len(o) >= 5 and o[-1] in _PLAIN_VOWELS and t.startswith(o[:-1]))


def _joined(t: str, o: str, listed: tuple[str, ...]) -> bool:
    """``t`` is ``o`` and an article or another listed word written joined: ``abdel`` / ``abd``, ``abdullah`` / ``abd allah``,
    ``abdelrahman`` / ``abd al rahman``."""
    rest = t[len(o) :] if t.startswith(o) else t[len(o) - 1 :]
    if rest in _PARTICLES:
        return True
    return any(x != o and (rest.endswith(x) or token_similarity(rest, x, nicknames=False) >= 0.8) for x in listed if len(x) > 2)


def _capped(name: str, cap: float, score: float, why: str) -> Feature:
    """A rule's feature that brings ``score`` down to ``cap`` (never up), explained by ``why``."""
    return Feature(name, 1.0, round(min(0.0, cap - score), 4), why)


def _firm_words_differ(
    kind: str,
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    listed_legal: tuple[str, ...],
    query_words: frozenset[str],
    query_legal: tuple[str, ...],
    written_latin: bool,
    thresholds: Thresholds,
) -> Feature | None:
    """A short name without a legal form, against a company's name with one, not written with the company's words: not a hit.

    ``Marine Gomez`` / ``GOMEZ MARIN LTDA.``, ``Claude Le Texier`` / ``LE CLAUDE, S.A. DE C.V.``, ``Gertrudis Criado`` /
    ``CRIADERO SANTA GERTRUDIS S.A.``: a name of two or three words without a legal form is as likely a person's as a
    firm's, and a firm named after a person writes that name as it is. When a word of the query is no word of the
    listed name as written (nor listed words run together: ``Constructora RT`` / ``CONSTRUCTORA R & T LTDA``; nor, the
    last, one cut short: ``Gomez Mar``; nor a nickname of one), the hit is capped below
    ``close_match``; a query with the firm's legal form, or every word as listed (``Gomez Marin``), is left to the other
    rules. Only for names the customer wrote in Latin letters (``written_latin``): a name in Cyrillic or Greek letters
    reaches the list through a romanisation of ours, which writes neither the firm's words nor its legal form as listed
    (``Джск Фиолент Плант``, ``dzhsk fiolent plant``, is ``JSC FIOLENT PLANT``).
    """
    bq, bc = pair
    if not written_latin:
        return None
    if kind != "organisation" or bq is None or bc is None or not query_words or query_legal or not listed_legal:
        return None
    if score < thresholds.close_match or bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese:
        return None
    if not query_words.issuperset(bq.tokens):
        return None
    if any(len(t) == 1 or t in _CONNECTORS for t in bq.tokens):
        return None  # letters (S.A. read apart, initials) or "and": a firm's name more likely than a person's
    mine = [t for t in bq.tokens if t not in _PARTICLES]
    if not 2 <= len(mine) <= FIRM_WORDS_MAX:
        return None
    n = len(bc.tokens)
    # each listed word, and each run of words joined (R & T: rt), at its place: a word's first, a run's last
    listed: dict[str, int] = {}
    for i, t in enumerate(bc.tokens):
        listed.setdefault(t, i)
    for i in range(n):
        for j in range(i + 2, n + 1):
            listed.setdefault("".join(bc.tokens[i:j]), j - 1)
    other = [
        t
        for t in mine
        if t not in listed
        and not (nickname_partners(t) & listed.keys())
        and not any(_word_likeness(t, form) >= REPLACED_SIM for form in listed_legal)  # the legal form misspelled: CMPNY
    ]
    if other == [mine[-1]] and len(other[0]) >= 3:
        # the last word cut short, after the others' places (Gomez Mar; not Gertrudis Criado / CRIADERO SANTA GERTRUDIS)
        # (a run's place: its last word; bc.tokens.index raised for a joined run, stop 25's held-out negatives)
        after = max((listed[t] for t in mine[:-1] if t in listed), default=-1)
        if any(o.startswith(other[0]) for o in bc.tokens[after + 1 :]):
            return None
    if not other:
        return None
    why = (
        f"without a legal form, {' '.join(bq.tokens)!r} may be a person's name; the company's name "
        f"({' '.join(bc.tokens)!r}) has no {' '.join(other)!r} as written: not a firm named after that person"
    )
    return _capped(FIRM_WORDS_FEATURE, NO_EQUAL_CAP, score, why)


def _hebrew_family_differs(
    ix: _Index, kind: str, score: float, pair: tuple[Prepared | None, Prepared | None], name: _Name, thresholds: Thresholds
) -> Feature | None:
    """A name in Hebrew letters none of whose words is the listed person's family name by skeleton, or beside a common
    family name none of whose other words is a listed given name: not a hit.

    ``מיתר מנסור`` (``mtr mnsr``) / ``THAER, Mansour``, ``רגב-מנסור`` (``rg mnsr``) / ``BORGHEI, Mansour``,
    ``סלמא מנשה`` (``slm mns``) / ``MANSUR, Salim``: Hebrew writes every consonant of a name, so a listed family name
    whose consonant skeleton is no query word's (read letter by letter or as Latin digraphs, or after the article
    joined, or with bet read b), is not across two of its words, and has no query word of as many consonants near it
    (a letter Hebrew writes otherwise: ג'מאל ``gml`` for ``JAMAL``) is another family name, one consonant added or
    dropped; what the names share is a given name, often a common one (Muhammad, Mansour). With the family name there
    and on :data:`COMMON_FAMILY` listed names or more, the query's other words must be a listed given name so read
    (``hebrew_given_differs``: קליין-מנסור, ``kln mnsr``, is not ``MANSUR, Khalil``, ``kl``), as
    :func:`_given_names_differ` asks of Latin letters. Either caps the hit below ``close_match``, and no word-level
    rule lifts it back. Only for listed names written ``FAMILY, Given`` in Latin letters with their vowels (a name
    listed without them, as the synthetic list's romanised Hebrew names are, is compared as before).
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or score < thresholds.close_match or name.family is None:
        return None
    if bq.kind != "skeleton" or not bq.hebrew or bc.kind != "latin" or bc.chinese:
        return None
    n_family = name.family[0]
    if n_family >= len(bc.tokens):
        return None
    family = [t for t in bc.tokens[-n_family:] if len(t) > 1 and t not in _PARTICLES and not _PLAIN_VOWELS.isdisjoint(t)]
    if not family:
        return None
    read = {k for x in bq.tokens for k in _hebrew_reads(x)}
    lacking = [t for t in family if not _skeleton_found(skeleton(t), read, bq.skel_compact)]
    if lacking:
        if len(lacking) < len(family):
            return None  # one of two family names: the other rules
        why = (
            f"the listed family name {' '.join(family)!r} is none of the query's words by consonant skeleton "
            f"({' '.join(sorted(read))!r}): Hebrew letters write its consonants, and the names share given names only"
        )
        return _capped(HEBREW_FAMILY_FEATURE, NO_EQUAL_CAP, score, why)
    # the family name there: a common one (COMMON_FAMILY) beside a given name that is none of the listed ones (קליין-מנסור,
    # kln mnsr / MANSUR, Khalil: kl) is another person of that family name, as _given_names_differ reads Latin letters
    if any(len(ix.vocab.get(t, ())) < COMMON_FAMILY for t in family):
        return None
    listed_given = [skeleton(t) for t in bc.tokens[:-n_family] if len(t) > 1 and t not in _PARTICLES]
    listed_given = [k for k in listed_given if k]
    keys = {skeleton(t) for t in family}
    given = [x for x in bq.tokens if (ks := _hebrew_reads(x)) and ks.isdisjoint(keys) and "l" not in ks]
    if not listed_given or not given:
        return None
    for x in given:
        if any(_skeleton_found(g, _hebrew_reads(x), "") for g in listed_given):
            return None
    why = (
        f"beside the listed family name {' '.join(family)!r}, on many listed names, the query's "
        f"{' '.join(given)!r} is by consonant skeleton none of the listed given names ({' '.join(listed_given)!r}): "
        "another person of that name"
    )
    return _capped(HEBREW_GIVEN_FEATURE, NO_EQUAL_CAP, score, why)


# Hebrew letters that write a consonant at a word's start: every other (alef, ayin, he, vav, yod) may write a vowel there
_HEBREW_HARD_INITIAL = frozenset("בגדזחטכלמנספצקרשת")
_HEBREW_VOWEL_INITIAL = frozenset("אע")  # alef and ayin: the letters that write a name's first vowel
_HEBREW_WORD = re.compile("[\u05d0-\u05ea][\u05d0-\u05ea'\u05f3]*")  # with its geresh (ע'אזי: Ghazi; ג'מאל: Jamal)


def _hebrew_initial_consonant(
    score: float, pair: tuple[Prepared | None, Prepared | None], text: str, thresholds: Thresholds
) -> Feature | None:
    """A Hebrew word that starts with a consonant's letter against a listed word that starts with a vowel: not a hit.

    ``זוהר סעדה`` (``zwhr sdh``) / ``ASSAD, Zuhair``, ``מוחמד מאיר`` (``mwhmd myr``, Meir) / ``OMER, Muhammad``, ``שרה
    נאסר`` / ``ANSAR AL-SHARIAH``: Hebrew writes a word's first vowel with a letter of its own (alef or ayin: אסעד,
    עומר, אנסאר), so a word that starts with samekh, mem or nun is a name that starts with that consonant; the consonant
    skeletons agree only because the skeleton drops the listed word's first vowel. A query word so read whose closest
    listed word (by skeleton, at least :data:`MIN_TOKEN_SIM` alike, and no listed word starting with a consonant as
    alike) starts with a vowel caps the hit below ``close_match``. The reverse too: a word starting with alef or ayin
    (עאסלה, Asala) is not a listed word starting with a consonant (``SALEH``), unless a geresh makes the letter another
    consonant (ע'אזי, Ghazi) or it is the article (אלחסן). Not for a listed word with the Arabic article joined
    (``ALHASSAN`` for חסן) or a particle (``ibn`` for בן).
    """
    bq, bc = pair
    if bq is None or bc is None or score < thresholds.close_match or bq.kind != "skeleton" or not bq.hebrew:
        return None
    if bc.kind != "latin" or bc.chinese:
        return None
    words = _HEBREW_WORD.findall(text)
    if len(words) != len(bq.tokens):
        return None  # a legal form or a Latin word among them: the words and the readings are not paired one to one
    listed = [t for t in bc.tokens if len(t) > 2 and t not in _PARTICLES and skeleton(t)]
    for word, x in zip(words, bq.tokens, strict=True):
        geresh = len(word) > 1 and word[1] in "'\u05f3"  # ע'אזי is Ghazi: the letter is another consonant
        hard = word[0] in _HEBREW_HARD_INITIAL
        # alef or ayin first writes a vowel first (עאסלה, Asala, is not SALEH); not the article (אלחסן: al-Hassan)
        soft = word[0] in _HEBREW_VOWEL_INITIAL and not geresh and not word.startswith(("אל", "על"))
        if not hard and not soft:
            continue
        reads = _hebrew_reads(x)
        best, partner = 0.0, ""
        for t in listed:
            k = skeleton(t)
            sim = max((token_similarity(k, r, nicknames=False) for r in reads), default=0.0)
            if sim > best or (sim == best and t[0] not in _PLAIN_VOWELS):
                best, partner = sim, t
        if best < MIN_TOKEN_SIM or partner[:2] in _ARTICLES:
            continue
        if hard and partner[0] in _PLAIN_VOWELS:
            why = (
                f"the query's {word!r} starts with a consonant's letter, and Hebrew writes a name's first vowel with a "
                f"letter of its own (alef or ayin): it is not the listed {partner!r}, which starts with a vowel"
            )
        elif soft and partner[0] not in _VOWEL_LETTERS:
            why = (
                f"the query's {word!r} starts with alef or ayin, the letters Hebrew writes a name's first vowel with: "
                f"it is not the listed {partner!r}, which starts with a consonant"
            )
        else:
            continue
        return _capped(HEBREW_VOWEL_FEATURE, NO_EQUAL_CAP, score, why)
    return None


def _hebrew_given_left_out(
    ix: _Index, kind: str, score: float, pair: tuple[Prepared | None, Prepared | None], name: _Name, thresholds: Thresholds
) -> Feature | None:
    """A name in Hebrew letters of common words only, a word of the listed name left out: not a hit.

    ``מוחמד סלימאן`` (``mwhmd slymn``) / ``SULAYMAN, Salih Muhammad``, ``מוחמד מנסור`` / ``MANSOUR, Mohammad
    Yousef``: each of the query's words is a listed word by consonant skeleton, a skeleton on :data:`COMMON_FAMILY`
    listed names or more (``mhmd``, ``slmn``: Sulayman, Suleiman, Salman), and a listed word (a given name) is none of
    the query's. A reading by skeleton has lost its vowels, so the skeleton, not the listed spelling, is what the query
    says, and a part of a name of common skeletons names many people: the word that would tell them apart is not there.
    Capped below ``close_match``, not lifted back; a rare listed word the query has (``TURGEMAN``) keeps the hit, and a
    listed family name the query lacks is :func:`_hebrew_family_differs`'s question (asked first).
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or score < thresholds.close_match or len(bq.tokens) < 2:
        return None
    if bq.kind != "skeleton" or not bq.hebrew or bc.kind != "latin" or bc.chinese:
        return None
    listed = [t for t in bc.tokens if len(t) > 1 and t not in _PARTICLES and skeleton(t)]
    if len(listed) <= len(bq.tokens):
        return None
    read = {k for x in bq.tokens for k in _hebrew_reads(x)}
    there = [t for t in listed if _skeleton_found(skeleton(t), read, "")]
    left = [t for t in listed if t not in there]
    if not left or len(there) < len(bq.tokens):
        return None
    if any(_skeleton_names(ix, t) < COMMON_FAMILY for t in there):
        return None  # a rare listed word, read in the query, is evidence of its own
    why = (
        f"the query's words, by consonant skeleton, are the listed {' '.join(there)!r}, skeletons on many listed names; "
        f"the listed {' '.join(left)!r} is none of them: a part of a common name, read without its vowels"
    )
    return _capped(HEBREW_PARTIAL_FEATURE, NO_EQUAL_CAP, score, why)


def _skeleton_names(ix: _Index, token: str) -> int:
    """How many indexed names have a word of ``token``'s consonant skeleton (counted once per word: an upper bound)."""
    return sum(len(ix.vocab.get(t, ())) for t in ix.skel.get(skeleton(token), ()))


def _common_pair_partial(
    ix: _Index, kind: str, score: float, pair: tuple[Prepared | None, Prepared | None], name: _Name, thresholds: Thresholds
) -> Feature | None:
    """Two common words of a listed person's name, a given name and a family name of it both left out: not a hit.

    ``Roberto Lopez`` / ``LOPEZ GOMEZ, Roberto Jose``: the query is a given name and a family name as listed, each on
    :data:`COMMON_FAMILY` listed names or more, and the listed name has both another given name and another family
    name the query lacks. Two departures from the listed name around a pair of common words name a common pair more
    often than the listed person (as ``token_subset`` reads ``Kevin Chavez`` / ``FLORES CHAVEZ, Kevin Sebastian``);
    a name one word short (a middle name or one family name left out) is not touched, nor a rare word kept
    (``Ovidio Guzman``), nor a pair whose names' counts multiply to less than :data:`COMMON_PAIR`: a given name and
    the first family name is how Spanish names are written short (``Eduardo Arellano`` / ``ARELLANO FELIX, Eduardo
    Ramon``), and the rule cost 50 of 863 such dev names their hit to remove 2 of about 178,000 dev negatives. Capped
    below ``close_match``, not lifted back.
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or score < thresholds.close_match or name.family is None:
        return None
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or bq.korean or bc.korean:
        return None
    n_family = name.family[0]
    if n_family >= len(bc.tokens):
        return None
    words = [t for t in bq.tokens if len(t) > 1 and t not in _PARTICLES]
    family, given = _family_and_given(bc, n_family)
    if len(words) != 2 or len(set(words)) != 2 or not set(words).issubset(family + given):
        return None
    pair_floor = COMMON_PAIR
    if not any(t not in words for t in family) or not any(t not in words for t in given):
        # one word short at most on one side: token_subset's reading; but a given name and the first of two family
        # names, the second left out ("Rosa Vargas" / VARGAS LLOSA, Rosa), both very common: a common pair (COMMON_PAIR_SHORT)
        short = len(family) == 2 and family[0] in words and family[1] not in words and all(t in words for t in given)
        if not short:
            return None
        pair_floor = COMMON_PAIR_SHORT
    if not any(t in words for t in family) or not any(t in words for t in given):
        return None
    counts = [len(ix.vocab.get(t, ())) for t in words]
    if min(counts) < COMMON_FAMILY or counts[0] * counts[1] < pair_floor:
        return None  # a rarer pair (Eduardo Arellano, Jairo Urdinola): how such a name is written short, kept a hit
    why = (
        f"the query is the listed {' '.join(words)!r}, two words on many listed names, and lacks both a listed given name "
        "and a listed family name: a common pair of names, another person more often than the listed one"
    )
    return _capped(COMMON_PAIR_FEATURE, NO_EQUAL_CAP, score, why)


def _family_left_out_and_near(
    kind: str,
    score: float,
    pair: tuple[Prepared | None, Prepared | None],
    name: _Name,
    thresholds: Thresholds,
    memo: PairMemo | None = None,
) -> Feature | None:
    """One of a listed person's two family names (or the first of two given names) left out and another listed word
    written otherwise: not a hit.

    ``Alonso Riera`` / ``RIVERA MUNOZ, Alonso``, ``Jose Francisco Angel`` / ``RANGEL GOMEZ, Francisco Jose``: a name
    one family name short is how a person is often written (``Alonso Rivera``), and a misspelt word is a typo; both at
    once are two departures from the listed name, and the word written otherwise is then another family name more
    often than a typo (Riera, Angel). The mirror of :func:`_extra_words` (words of its own beside a word written
    otherwise). A listed word the query writes alike in sound (the same sound key), as an initial, or as listed
    counts as written. Only for listed names written ``FAMILY, Given`` with two family names or more, in Latin letters
    (romanised Chinese and Korean names apart). ``Ian Taylor`` / ``TAYLOR, Mark John`` (screenfp3): the first given name
    left out and a middle one written as a nickname (Ian for John) are two departures too, a common English pair of
    names more often than the listed person; a middle name as listed (``John Taylor``) is token_subset's reading.
    Capped below ``close_match``, not lifted back.
    """
    bq, bc = pair
    if kind != "person" or bq is None or bc is None or score < thresholds.close_match or name.family is None:
        return None
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or bq.korean or bc.korean:
        return None
    n_family = name.family[0]
    if n_family >= len(bc.tokens):
        return None
    credits = token_credits(bq, bc, memo)
    if credits is None:
        return None
    got = credits[1]
    start = len(bc.tokens) - n_family
    lacking = (
        [bc.tokens[j] for j in range(start, len(bc.tokens)) if got[j] <= 0.0 and len(bc.tokens[j]) > 1 and bc.tokens[j] not in _PARTICLES]
        if n_family >= 2
        else []
    )
    if not lacking and start >= 2 and got[0] <= 0.0 and len(bc.tokens[0]) > 1 and bc.tokens[0] not in _PARTICLES:
        lacking = [bc.tokens[0]]  # the first of two given names left out: Ian Taylor / TAYLOR, Mark John (screenfp3)
    if not lacking:
        return None
    sounds = set(bq.phon)
    # a credit of INITIAL_CREDIT is an initial's only when the query wrote one; otherwise a nickname (Ian for John)
    other = [
        t
        for t, k, g in zip(bc.tokens, bc.phon, got, strict=True)
        if 0.0 < g < 1.0 and (abs(g - INITIAL_CREDIT) > 1e-9 or not bq.initials) and k not in sounds and t not in bq.tokens
    ]
    if not other:
        return None
    why = (
        f"the listed family name {' '.join(lacking)!r} is left out and the listed {' '.join(other)!r} written otherwise: "
        "two departures from the listed name, another person's name more often than a typo"
    )
    return _capped(FAMILY_SHORT_FEATURE, NO_EQUAL_CAP, score, why)


def _hebrew_reads(x: str) -> set[str]:
    """A Hebrew word's skeletons: its letters one by one, as Latin digraphs, and with bet read b (הרבי, ``hrvy``: Harbi)."""
    return {k for k in (skeleton(x, True), skeleton(x), skeleton(x.replace("v", "b"), True)) if k}


def _skeleton_found(k: str, read: set[str], compact: str) -> bool:
    """A listed word's skeleton among a Hebrew name's words read (:func:`_hebrew_family_differs`): as a word, after the
    article written joined (אלעדני: ``ldn``), across two words (``compact``: the name's joined skeleton), or a word
    of as many consonants near it (a letter Hebrew writes otherwise: ג'מאל ``gml`` for ``JAMAL``)."""
    if not k or k in read or "l" + k in read:
        return True
    if compact and k in compact and not any(k in x for x in read):
        return True
    return any(len(x) == len(k) and token_similarity(k, x, nicknames=False) >= MIN_TOKEN_SIM for x in read)


def _given_alike(a: str, b: str) -> bool:
    """Two given names that may be one: equal, a nickname (:func:`~finguard.screening.service.nicknames.related`),
    one cut short, a typo (one edit), spelled alike (:data:`GIVEN_SIM`), one written without its vowels (``Mhmd``),
    or the same sound key, first vowel and consonant skeleton (``Yusuf`` / ``Youssef``, ``Mohamed`` / ``Muhammad``).
    ``Lisa`` / ``Luis`` (first vowels differ), ``Joanna`` / ``John`` (consonants differ) are other names."""
    if a == b or b in nickname_partners(a) or a.startswith(b) or b.startswith(a):
        return True
    if DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1 or token_similarity(a, b, nicknames=False) >= GIVEN_SIM:
        return True
    ka, kb = skeleton(a), skeleton(b)
    if _PLAIN_VOWELS.isdisjoint(a[1:]) or _PLAIN_VOWELS.isdisjoint(b[1:]):
        return ka == kb or (len(ka) >= 2 and len(kb) >= 2 and token_similarity(ka, kb, nicknames=False) >= GIVEN_SIM)
    return ka == kb and phonetic_key(a) == phonetic_key(b) and vowels_agree(a, b)


def _same_form(query_legal: tuple[str, ...], rec: _Name, best: _Name) -> bool:
    """``rec`` has a legal form of the query's and ``best`` has not."""
    mine, theirs = q.legal_form(query_legal, rec.legal_forms), q.legal_form(query_legal, best.legal_forms)
    return mine is not None and mine.value >= 1.0 and (theirs is None or theirs.value < 1.0)


def _tie_order(
    ix: _Index,
    pool: list[int],
    weight: dict[int, float],
    spelled: list[list[_Group]],
    initials: set[str],
    legal: tuple[str, ...] = (),
) -> list[int]:
    """Candidates of equal evidence, more than are scored, the ones the query accounts for best first.

    A name that has a near spelling of every token of the query (in one of its spellings) comes
    first, the fewest of its own tokens the query has nothing for first: a token is accounted for by
    a near spelling of a query token, or by an initial of the query (each initial once). ``A Armed``
    finds ``Ahmed, A`` before ``AHMED, Karim``, ``MUHAMMAD GROUP`` finds ``MUHAMMAD JAMAL GROUP``
    before 600 MUHAMMAD names of three tokens or more. The others keep the order they were found in
    (a name sharing only ``and`` with the query is not preferred for being short). A query word of two letters
    accounts for a longer word it begins (a word cut short: ``Mohammed AL-MA`` for ``AL-MASRI, Mohammed``). Ties are scored,
    never cut at random; this orders them when there are more than :data:`MAX_TIED`. Among names the query accounts for
    equally, those with the query's legal form (``legal``) come first: ``Abu Group`` finds ``Abu Ahmed Group`` before
    hundreds of persons named Abu and one word more (a word left out of a company's name, the legal form kept).
    """
    return tie_order(ix.names, pool, weight, spelled, initials, legal, _same_legal_form)  # compiled: ranking.py


def _token_subset(
    kind: str,
    score: float,
    name: _Name,
    found: list[tuple[float, _Name, Prepared | None, Prepared | None]],
    thresholds: Thresholds,
    written_latin: bool = False,
    memo: PairMemo | None = None,
) -> Feature | None:
    """A person's full listed name holds every token of the query, in order, and lacks only middle ones.

    ``Vladimir Putin`` for ``PUTIN, Vladimir Vladimirovich``, ``Yong Jang`` for ``JANG, Yong Son``:
    the tokens left out are patronymics or middle names, which a customer file often omits, so
    the name is a match, not a close match. A name written in Latin letters (``written_latin``)
    needs a word as listed: with none, it is a near spelling of the listed name, not a part of it.
    """
    if kind != "person" or score >= thresholds.match + SUBSET_EXACT_ABOVE:
        return None
    rec = next(((bq, bc) for _s, r, bq, bc in found if r is name and bq is not None and bc is not None), None)
    if rec is None:
        return None
    bq, bc = rec
    # the listed name's pinyin reading (sino: "WU, Nan Hsiung" as nan xiong wu) may be the one the query aligns with best
    if bq.kind != "latin" or bc.kind not in ("latin", "sino") or len(bq.tokens) < 2:
        return None
    if bq.chinese or bc.chinese:
        return _sino_subset(score, bq, bc, thresholds) if score < thresholds.match else None
    if bc.kind != "latin":
        return None
    credits = token_credits(bq, bc, memo)
    if credits is None or min(credits[0]) < SUBSET_TOKEN - 1e-9:
        return None
    got = credits[1]
    kept = [j for j, g in enumerate(got) if g > 0.0]
    if len(kept) != len(bq.tokens) or not got[0] > 0.0 or not got[-1] > 0.0:
        return None  # the given name and the family name must both be there
    if written_latin and set(bq.tokens).isdisjoint(bc.tokens):
        # a name the customer wrote in Latin letters (no romanisation of ours between it and the list) of which no word
        # is as listed: with nothing left out it is no subset but a near spelling of every word ("Adrien Thomas" /
        # TOMAS, Adrian, capped by no_equal_token), and with a word left out two departures from the listed name
        # ("Marina Serao" / SERNA, Maria Norby): another person's name more often than the listed one's. A name read
        # from Cyrillic or Greek letters is lifted as before: our romanisation and the list's differ in every word
        # (Юхим Приходько, "iukhym prykhodko" / Yukhym Prykhod'ko)
        return None
    first_missing = False
    if name.family is not None:
        n_family, first = name.family
        lacking = [j for j in range(len(got) - n_family, len(got)) if got[j] <= 0.0]
        # "Alejandro Miranda" for "CHACON MIRANDA, Alejandro": the second of two family names, alone, is
        # how a person is often known; a close match at most (another Miranda may be meant)
        first_missing = (
            bool(first)
            and lacking == [len(got) - first]
            and all(len(bc.tokens[j]) >= 4 for j in lacking)
            and all(t in bc.tokens for t in bq.tokens)  # and every query token as listed ("Maria" is not "Mario")
            # and nothing else left out: "Kevin Chavez" lacks both FLORES and SEBASTIAN of "FLORES CHAVEZ, Kevin
            # Sebastian", two departures from the listed name, a common given and family name pair more often than him
            and all(got[j] > 0.0 for j in range(len(got) - n_family))
        )
        if lacking and not first_missing:
            return None  # "Daniel Herrera" lacks a family name of "RENDON HERRERA, Daniel", not a middle name
    if any(max(token_similarity(t, o) for o in bc.tokens) < SUBSET_SPELLING for t in bq.tokens):
        return None  # alike by sound key only ("jiyon" / "chin"): too loose to lift a partial name to a match
    # a nickname for a listed name ("Bill Gates" for "GATES, William Henry") lifts to a close match only
    spelled = all(max(token_similarity(t, o, nicknames=False) for o in bc.tokens) >= SUBSET_SPELLING for t in bq.tokens)
    target = thresholds.match if spelled and not first_missing else thresholds.close_match
    # every word written as listed (no near spelling, no initial): the listed person's name less middle names, which
    # customer files leave out more often than they misspell a word, so it ranks above a namesake's near spelling
    exact = spelled and not first_missing and not bq.initials and all(t in bc.tokens for t in bq.tokens)
    if exact:
        target = thresholds.match + SUBSET_EXACT_ABOVE
    if score >= target:
        return None
    order = _partners(bq.tokens, bc.tokens)
    if order != sorted(order):
        return None
    missing = [t for t, g in zip(bc.tokens, got, strict=True) if g <= 0.0]
    if any(len(t) < 4 and t not in _PARTICLES for t in missing):
        return None  # a left-out syllable of a Korean or Chinese given name ("To" of "PAK TO CHUN") is not a middle name
    lift = round(target - score + (0.0 if exact else 0.005), 4)
    why = f"every token of the query is in the listed name, in order; only middle names or patronymics are left out ({' '.join(missing)!r})"
    if first_missing:
        why = (
            "every token of the query is in the listed name, in order; the first of its two family names "
            f"({' '.join(missing)!r}) is left out, as people known by the second are written: a close match at most"
        )
    elif not spelled:
        why += "; a nickname stands for a listed given name: a close match at most"
    return Feature(SUBSET_FEATURE, 1.0, lift, why)


def _sino_short(bq: Prepared | None, bc: Prepared | None) -> bool:
    """The query, romanised Chinese in Latin letters, is the listed name as written (or as read in pinyin: ``Nan WU``
    for ``WU, Nan Hsiung``, read nan xiong wu) less one middle syllable."""
    if bq is None or bc is None or bq.kind != "latin" or bc.kind not in ("latin", "sino") or bq.korean or bc.korean:
        return False
    if not (bq.chinese or bc.chinese) or len(bq.tokens) < 2 or len(bc.tokens) != len(bq.tokens) + 1:
        return False
    kept = [t for t in bc.tokens if t in bq.tokens]
    return bc.tokens[0] == bq.tokens[0] and bc.tokens[-1] == bq.tokens[-1] and tuple(kept) == bq.tokens


def _sino_subset(score: float, bq: Prepared, bc: Prepared, thresholds: Thresholds) -> Feature | None:
    """A romanised Chinese name as listed but for one syllable of its given name: a close match, never a match.

    ``Chi LAU`` for ``LAU, Chi Wai``, ``Hsien CHOU`` for ``CHOU, Hsien Cheng``: a customer file
    keeps the first syllable of a two-syllable given name as often as both, yet Chinese names have
    no middle names, and ``Chi Lau`` may be another person. Every query token must be a listed
    token as written, in order, the first and last in place (the family name and the given name
    both there): a syllable spelled otherwise or a family name left out is not lifted.
    """
    if score >= thresholds.close_match or not _sino_short(bq, bc):
        return None
    missing = next(t for t in bc.tokens if t not in bq.tokens)
    why = (
        f"every token of the query is in the listed name as written, in order; one syllable of the given name ({missing!r}) "
        "is left out, and a Chinese name has no middle names: a close match at most"
    )
    return Feature(SUBSET_FEATURE, 1.0, round(thresholds.close_match - score + 0.005, 4), why)


def _org_subset(
    ix: _Index,
    kind: str,
    score: float,
    name: _Name,
    found: list[tuple[float, _Name, Prepared | None, Prepared | None]],
    thresholds: Thresholds,
    query_legal: tuple[str, ...] = (),
    memo: PairMemo | None = None,
) -> Feature | None:
    """An organisation's listed name holds every word of the query, in order, and one of them is rare on the lists.

    ``MOBARAKEH COMPANY`` for ``MOBARAKEH STEEL COMPANY``: a close match (never a match: the
    words left out may name another company). ``SYRIAN COMPANY`` for ``SYRIAN PETROLEUM
    COMPANY`` is not lifted: ``syrian`` is on many listed names and says little. One word is lifted
    only with a legal form the listed name has too (``MAHROUS GROUP`` for ``MAHROUS TRADING GROUP``):
    ``Marshall Group`` is as likely a firm named after another Marshall as ``MARSHALL CAPITAL``.
    """
    if kind != "organisation" or score >= thresholds.close_match:
        return None
    rec = next(((bq, bc) for _s, r, bq, bc in found if r is name and bq is not None and bc is not None), None)
    if rec is None:
        return None
    bq, bc = rec
    if len(bq.tokens) < 2 and not query_legal:
        return None  # one word and no legal form ("Adler" / ADLER BG AD): as likely a person's name as the company's
    if len(bq.tokens) < 2 and not _same_legal_form(query_legal, name.legal_forms):
        return None  # one word and a legal form the listed name lacks ("Marshall Group" / MARSHALL CAPITAL): a namesake's firm
    if bq.kind != "latin" or bc.kind != "latin" or bq.chinese or bc.chinese or len(bc.tokens) <= len(bq.tokens):
        return None
    credits = token_credits(bq, bc, memo)
    if credits is None or min(credits[0]) < SUBSET_TOKEN:
        return None
    if any(max(token_similarity(t, o, nicknames=False) for o in bc.tokens) < SUBSET_SPELLING for t in bq.tokens):
        return None
    order = _partners(bq.tokens, bc.tokens)
    if order != sorted(order):
        return None
    n = len(ix.names) + 1
    top = math.log(n + 1)
    if order[0] != 0:
        # the query must start where the listed name starts, its first word naming the company, or have the listed
        # name's legal form and its rarest word, a generic word leading it (VIAJES GUAMA, SANATORIUM AY-PETRI, S.A.)
        fewest = min(len(ix.vocab.get(t, ())) for t in bc.tokens)
        form = q.legal_form(query_legal, name.legal_forms)
        if not any(len(ix.vocab.get(t, ())) == fewest for t in bq.tokens) or form is None or form.value < 1.0:
            return None
    rare = [
        t
        for t in bq.tokens
        if len(t) >= ORG_RARE_LETTERS and t in bc.tokens and math.log((n + 1) / (len(ix.vocab.get(t, ())) + 1)) / top >= ORG_RARE_IDF
    ]
    if not rare:
        return None
    missing = [t for t, g in zip(bc.tokens, credits[1], strict=True) if g <= 0.0]
    if sum(not legal_form_word(t) for t in bq.tokens) == 1:
        # one word and a legal form names the listed firm when at most one word of its name is left out (MOA SA for MOA
        # NICKEL SA, MAHROUS GROUP for MAHROUS TRADING GROUP); with more left out it is a firm named otherwise ("Seven
        # Şti." / SEVEN SEA GOLDEN GENERAL TRADING LLC, "Singh Ltd" / SINGH DAILY CULTURE PRESS LIMITED). A legal form's
        # word kept as a word names nothing ("Compañía Iberia" / COMPANIA DE IMPORTACION Y EXPORTACION IBERIA: one word);
        # a connector counts ("Reynolds Ltd" / REYNOLDS AND WILSON, LTD.: a firm named by both partners)
        named = [t for t in missing if t not in _PARTICLES and not legal_form_word(t)]
        if len(named) > 1:
            return None
    lift = round(thresholds.close_match - score + 0.005, 4)
    why = (
        f"every word of the query is in the listed name, in order, and {' '.join(rare)!r} is rare on the lists; "
        f"left out: {' '.join(missing)!r}: a close match at most"
    )
    return Feature(SUBSET_FEATURE, 1.0, lift, why)


def _same_legal_form(query_legal: tuple[str, ...], listed_legal: tuple[str, ...]) -> bool:
    """The listed name has the query's legal form: the same word (``GROUP``) or the same class (``Ltd`` / ``LIMITED``)."""
    if not set(query_legal).isdisjoint(listed_legal):
        return True
    same = q.legal_form(query_legal, listed_legal)
    return same is not None and same.value >= 1.0


def sim_han(a: str, b: str) -> float:
    """Share of Han characters two names have in common, position by position."""
    same = sum(x == y for x, y in zip(a, b, strict=False))
    return same / max(len(a), len(b))


def _partners(tokens: tuple[str, ...], listed: tuple[str, ...]) -> list[int]:
    """Where in the listed name each of the query's tokens has its closest partner, read left to right.

    A name may hold a word twice (``KARIM ALI, Ali Abdel``: Ali is the given and the family name): of
    equally close partners a token takes the first after the previous token's, so ``Ali Abdel ALI``
    reads as the listed words in order (0, 1, 3), not as its last ``Ali`` going back to the first (0, 1, 0).
    """
    out: list[int] = []
    for token in tokens:
        sims = [token_similarity(token, other) for other in listed]
        best = max(sims)
        tied = [j for j, x in enumerate(sims) if x == best]
        after = [j for j in tied if not out or j > out[-1]]
        out.append((after or tied)[0])
    return out


INFERRED_KIND_SHARE = 0.5  # of the kind penalty, when the kind is read from the query's legal form

# legal forms that also read as a person's initials or a word of a name ("A.B.", "Sa", "Oy"): they say nothing of the kind
_AMBIGUOUS_FORMS = frozenset({"sa", "ab", "oy", "ag", "kg", "bv", "nv", "sl", "lp", "est"})


def _kind_by_legal_form(
    query: str | None, legal: tuple[str, ...], listed: str, pair: tuple[Prepared | None, Prepared | None] = (None, None)
) -> q.Qualifier | None:
    """A query of no stated kind whose name carries a company's legal form (``Langlois Andre S.A.R.L.``) names an organisation.

    A listed person is less likely it: half the kind qualifier's penalty when every word of the
    query is a word of the listed name as written (a company may be named after its owner, so the
    listed person's own name with a legal form stays a close match); the whole penalty otherwise
    (``OOO Vladimirov-Naumova`` for ``NAUMOV, Vladimir``: a firm named after its owner writes the
    owner's name as the owner does, and a near spelling of it beside a legal form is two
    departures from the listed person, another firm's name).
    """
    if query is not None or listed != "person":
        return None
    forms = [f for f in legal if f not in _AMBIGUOUS_FORMS and f not in ("group", "holding", "establishment")]
    if not forms:
        return None
    qual = q.kind("organisation", listed)
    if qual is None:
        return None
    bq, bc = pair
    owner = bq is not None and bc is not None and bq.kind == bc.kind and set(bq.tokens) <= set(bc.tokens)
    why = f"the query's name carries a legal form ({', '.join(forms)}), an organisation's; the listed entry is a person"
    if not owner:
        why += ", and the query does not write the person's name as listed"
    return q.Qualifier(qual.name, qual.value, qual.contribution * (INFERRED_KIND_SHARE if owner else 1.0), why)


def _kind(query: str | None, listed: str) -> q.Qualifier | None:
    if query == "organisation" and listed in ("vessel", "aircraft"):
        return None  # a company name may well be a ship's
    return q.kind(query, listed)


def _explain_name(query: str, listed: str, sim: float, bq: Prepared | None, bc: Prepared | None) -> str:
    if bq is None or bc is None:
        return f"{query!r} against the listed {listed!r}: similarity {sim:.2f}"
    how = "equal" if sim >= 0.999 else f"similarity {sim:.2f}"
    return (
        f"{query!r} against the listed {listed!r}: {how}, comparing {' '.join(bq.tokens)!r} "
        f"({_VARIANT_WORDS.get(bq.kind, bq.kind)}) with {' '.join(bc.tokens)!r} ({_VARIANT_WORDS.get(bc.kind, bc.kind)})"
    )

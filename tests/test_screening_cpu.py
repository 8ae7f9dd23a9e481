"""The screener's CPU work changes no answer (issue #16, ninth pass): the alignment against the loop it replaced.

``_align`` finds each listed token's partners among the query's tokens once per query (``_partners``, kept in
the query's memo) instead of comparing every token pair per alignment. ``_align_before`` is the previous
alignment, kept here as the reference: the two give the same similarity for every pair of token tuples, flags
and initials, with and without a memo shared across a query's calls.
"""

from __future__ import annotations

import random
from typing import Any

from rapidfuzz.distance import Indel, JaroWinkler, Levenshtein

from finguard.screening.model.names import analyse_name, korean_key, phonetic_key
from finguard.screening.service.nicknames import table as nickname_table
from finguard.screening.service.similarity import (
    COMPACT_DISCOUNT,
    INITIAL_CREDIT,
    INITIALS_CAP,
    MIN_TOKEN_SIM,
    NICKNAME_SIM,
    PHONETIC_FLOOR,
    SINGLE_TOKEN_CAP,
    SINO_MIN_WEIGHT,
    TOKEN_PENALTY,
    PairMemo,
    Prepared,
    _align,
    _combine,
    _korean_compact_equal,
    _korean_order,
    _rotations,
    _syllable_similarity,
    _vowels_agree,
    _weight,
    korean_similarity,
    other_name,
    prepare,
)


def _align_before(
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
    """:func:`_align` as it was before the ninth pass (every token pair compared per alignment), with the
    tenth pass's change of what it computes (an initial stands for a long Chinese given name) made here too."""
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
        compact = max(Levenshtein.normalized_similarity(qc, cc), Levenshtein.normalized_similarity(qc, cc_rev)) * COMPACT_DISCOUNT
    pairs: list[tuple[float, int, int]] = []
    phon = qp is not None and cp is not None
    jw = JaroWinkler.normalized_similarity
    nick = nickname_table() if not sino else {}
    initial_pairs: set[tuple[int, int]] = set()
    # the listed side's tokens, their lengths and whether each is an initial: once, not once per query token
    listed = [(j, b, len(b), len(b) == 1 and (ci is None or b in ci)) for j, b in enumerate(ct)]
    for i, a in enumerate(qt):
        la = len(a)
        nick_a = nick.get(a)
        a_initial = la == 1 and (qi is None or a in qi)
        # the pair's similarity below is a function of the two tokens and these three flags (a token's sound key is a
        # function of the token): one query compares the same pairs across its spellings and candidates, once
        row = None if memo is None or korean else memo.setdefault((a, phon, sino, pinyin), {})
        for j, b, lb, b_initial in listed:
            if a == b:
                pairs.append((1.0, i, j))
                continue
            if a_initial or b_initial:
                if a[0] == b[0] and (la == 1) != (lb == 1):
                    pairs.append((0.75, i, j))
                    initial_pairs.add((i, j))
                continue
            if korean:
                sim = korean_similarity(a, b)
                if sim:
                    pairs.append((sim, i, j))
                continue
            known = None if row is None else row.get(b)
            if known is not None:
                if known >= MIN_TOKEN_SIM:
                    pairs.append((known, i, j))
                continue
            if la >= 4 and lb >= 4:
                sim = jw(a, b, score_cutoff=0.7)
            else:
                sim = Indel.normalized_similarity(a, b, score_cutoff=0.6)
            if phon and PHONETIC_FLOOR <= sim < 0.9 and qp[i] == cp[j] and _vowels_agree(a, b):  # type: ignore[index]
                sim = 0.9
            if nick_a is not None and sim < NICKNAME_SIM and b in nick_a:
                sim = NICKNAME_SIM
            if (sino or pinyin) and sim >= MIN_TOKEN_SIM:
                sim = _syllable_similarity(a, b, sim, pinyin)  # screenfp5: pinyin we read is never misspelled
            elif phon and sim >= MIN_TOKEN_SIM and qp[i] != cp[j] and (nick_a is None or b not in nick_a) and other_name(a, b):  # type: ignore[index]
                sim = 0.0  # "Guzenko" / "Rudenko": another name, not a misspelling of it
            if row is not None:
                row[b] = sim
            if sim >= MIN_TOKEN_SIM:
                pairs.append((sim, i, j))
    if not pairs:
        return compact
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
    initial_weight = 0
    letters = ""
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
    firsts = [j for j in range(len(ct)) if by_initial >> j & 1 and not (j and by_initial >> (j - 1) & 1)]
    if sino and by_initial and all(ct[j][0] in letters for j in firsts):
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
    return max(align, compact)


def _args(q: Prepared, c: Prepared, skeleton: bool) -> tuple[Any, ...]:
    if skeleton:  # as variant_similarity aligns consonant skeletons
        return (q.skel, c.skel, None, None, q.skel_weights, c.skel_weights, q.skel_compact, c.skel_compact, c.skel_compact_rev)
    return (q.tokens, c.tokens, q.phon, c.phon, q.weights, c.weights, q.compact, c.compact, c.compact_rev)


QUERIES = [
    "N. T. HEATH",
    "A Ahmd",
    "Bill Gates",
    "Miroslav Guzenko",
    "Мухаммад Хади 'Абд-Ал-Рахман Ал-'Анизи",
    "Zhang Wei",
    "Chen Guiying",
    "晁玉珍",
    "Kim Yong Jin",
    "이유진",
    "محمد علي",
    "מוחמד סעד",
    "DONG FENG 6",
    "Mohammed al Hakim",
]
LISTED = [
    "HEATH, Noel Timothy",
    "AHMED, A",
    "GATES, William Henry",
    "RUDENKO, Miroslav",
    "AL-ANIZI, Muhammad Hadi Abd al-Rahman",
    "ZHANG, Wei",
    "CHENG Guoying",
    "Chao Yu Zhen",
    "KIM Yong-jin",
    "LEE Yu Jin",
    "MUHAMMAD ALI",
    "SAAD, Muhammad",
    "DONG FENG 5",
    "AL-HAKIM, Muhamad",
    "Kadosh Romi",
]


def test_the_alignment_is_the_one_it_replaced_on_analysed_names() -> None:
    """Every pair of variants of these names, each flag setting variant_similarity uses: the same similarity."""
    listed = [prepare(analyse_name(name, None).variants) for name in LISTED]
    compared = 0
    for query in QUERIES:
        memo: PairMemo = {}  # one query's, kept across its candidates as screen() keeps it
        for q in prepare(analyse_name(query, None).variants):
            for variants in listed:
                for c in variants:
                    if "han" in (q.kind, c.kind) or "transcribed" in (q.kind, c.kind):
                        continue
                    skeleton = "skeleton" in (q.kind, c.kind)
                    args = _args(q, c, skeleton)
                    if skeleton:
                        flags: tuple[Any, ...] = (False, False, False, None, None)
                    else:
                        flags = (q.chinese or c.chinese, q.korean or c.korean, q.pinyin or c.pinyin, q.initials, c.initials)
                    before = _align_before(*args, *flags)
                    assert _align(*args, *flags, memo) == before, (query, q.tokens, c.tokens)
                    assert _align(*args, *flags) == before, (query, q.tokens, c.tokens)
                    compared += 1
    assert compared > 500


def test_the_alignment_is_the_one_it_replaced_on_random_tokens() -> None:
    """Token tuples drawn from near spellings, nicknames, initials, one-letter syllables and pinyin, any flags."""
    pool = (
        "william bill will billy mohammed muhammad mohamad ahmad ahmed hmd zhang zhnag chen cheng guiying guoying "
        "wei li lee yi jin jong jung yong kim gim rudenko guzenko teslenko telizhenko o to a b n t h 6 8 dong feng "
        "vladimir volodymyr sergei serhiy maria mario aleksandr sasha heath"
    ).split()
    rng = random.Random(2203)
    for round_ in range(300):
        memo: PairMemo = {}
        qt = tuple(rng.choice(pool) for _ in range(rng.randint(1, 4)))
        sino, korean, pinyin = rng.random() < 0.2, rng.random() < 0.15, rng.random() < 0.2
        skeleton = rng.random() < 0.15
        singles = [t for t in qt if len(t) == 1]
        qi = None if skeleton else frozenset(t for t in singles if rng.random() < 0.7)
        qp = None if skeleton else tuple(phonetic_key(t) for t in qt)
        for _ in range(20):
            ct = tuple(rng.choice(pool) for _ in range(rng.randint(1, 5)))
            ci = None if skeleton else frozenset(t for t in ct if len(t) == 1 and rng.random() < 0.7)
            cp = None if skeleton else tuple(phonetic_key(t) for t in ct)
            args = (
                qt,
                ct,
                qp,
                cp,
                tuple(_weight(t) for t in qt),
                tuple(_weight(t) for t in ct),
                "".join(qt),
                "".join(ct),
                "".join(reversed(ct)),
                sino,
                korean,
                pinyin,
                qi,
                ci,
            )
            before = _align_before(*args)
            assert _align(*args, memo) == before, (round_, qt, ct, sino, korean, pinyin, qi, ci)
            assert _align(*args) == before, (round_, qt, ct)

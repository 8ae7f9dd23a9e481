"""Issue #16 (screenblk2), development split only: the dev negatives the joined-word paths can touch.

    NN=50000 SEEDS=2210,2216 PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/fp_blockjoin.py

``fp_blockcut.py``'s run with another filter: only the names with a reading compared by consonant skeleton (Arabic letters,
or Latin words written without their vowels) are screened. screenblk2's changes read only those: ``_joined_apart``
(the article joined again, kh read j, the cuts of a joined word) runs on skeleton readings, and the new index keys
(zh read j, ``names.other_skeletons``) are read by skeleton lookups. Lines: ``HIT`` (seed, query, listed name, score,
outcome), then per seed the names touched and their hits (namesakes apart). Run it in both trees and compare.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fp_blockcut

from finguard.screening.model.names import analyse_name
from finguard.screening.service.matcher import _unknown_vowel_less


def touched(q: str, vocab: dict[str, list[int]]) -> bool:
    """A reading compared by skeleton, the query's own or the one the matcher adds (``_unknown_vowel_less``: ``Obd``)."""
    return any(v.kind == "skeleton" for v in _unknown_vowel_less(analyse_name(q).variants, vocab, q))


if __name__ == "__main__":
    fp_blockcut.main(lambda q, s: touched(q, s._ix.vocab), "2210,2216")

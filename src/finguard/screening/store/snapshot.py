"""The name screener's snapshot: an SQLite file read in place, so a process is ready in seconds.

A screener over OFAC + UN + a million listed names holds tens of millions of small Python
objects: unpickling them all takes longer than a start may (#10 asks for a process ready in
<= 3 s). The snapshot therefore keeps each of the index's maps (token -> names, deletion keys,
prefixes, sound keys, skeletons, identifiers, the analysed names and the entries) as a table of
``(key, value)`` rows, both pickled, in one SQLite file. Opening it reads one row of metadata; a
query reads only the rows it needs (SQLite's B-tree, memory-mapped, and the page cache of the
operating system).

The changes after the snapshot's sequence are applied on top, in memory: :class:`LayeredMap`
answers from what the process changed first, then from the file, and remembers which of the
file's keys were removed. The file itself is never written after it is made: a new snapshot is
written beside it and moved over it, so a process reading the old one keeps reading it.

The file is ours, in the per-user data folder (``FINGUARD_HOME``): whoever can write it could
already change the database beside it (the same trust as the pickle it replaces).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from finguard.screening.service.matcher import NameScreener, _Index

# 3: the analysed names' skeletons tell the Arabic article from Ali (similarity.ARTICLE_SKELETON)
# 4: listed words also keyed by the skeletons of their Arabic-script spellings (names.other_skeletons)
# 5: French dj among those skeletons; a listed Arabic-script name's final ه also read as a vowel (scripts.arabic_readings)
# 6: a listed name keeps its non-Han spellings' distinct token tuples (matcher._Name.tie_tokens, read by _tie_order)
# 7: legal forms of many more countries stripped from listed names (names.strip_legal_forms, issue #16)
# 8: Japanese readings (long oo also o; a given name read kanji by kanji), Ukrainian є as e in ISO 9, a name of
#    initials and a legal-form word read as a person's (stop 21: screenjp, screenrec)
# 9: the Arabic article assimilated to a sun letter (es sayed, ash shaikh) read as the article in skeletons
#    (similarity.article_places); a listed Arabic-script name's ة after alif read t (scripts.arabic_prepare)
# 10: listed names also keyed by their words' initials in the compacts map (matcher._compact_keys: a query of initials only)
# 11: similarity.Prepared pickles through its own __reduce__ (_rebuilt_prepared), the same pure and mypyc-compiled
# 12: listed words also keyed by their Arabic-script spellings by sound (p b, v f, c k / s, x ks, ch tsh / sh) and, when
#     they open with al, without it (names.foreign_in_arabic, other_skeletons: issue #16, screenarb)
# 13: listed Arabic-script names read with marks and tatweel dropped first, a hamza on the article after عبد / أبو, a
#     joined kunya also apart, Urdu ہ / ۃ (scripts.arabic_prepare, arabic_kunya_apart: issue #16, screenarab)
# 14: Russian Инк, Инкорпорэйтед and Групп read as legal forms (names._LEGAL_FORMS_LATIN: a listed name's words change)
# 15: a legal form of several words leading a listed name, its first written with dots (S.A. DE C.V. X), stripped as a
#     whole (names.strip_legal_forms: issue #16, screentok)
# 16: a listed name with a Wade-Giles syllable inside it (WU, Nan Hsiung), not only at its start or end, also read in
#     pinyin (names._WG_ONLY_HINT), and a bare PAO beside Chinese syllables only kept as the family name, not stripped as
#     the Russian legal form (names._FAMILY_FORMS: PAO, Yu Yi; issue #16, screentd)
# 17: listed names also keyed by the first two and three letters of a word after the Arabic article (matcher._compact_keys:
#     a query whose word after al- is cut short, AL-AQ for AL-AQSA: issue #16, screenblk)
# 18: a legal form leading a listed name that ends in one too (LLC GUDZON SHIPPING CO), stripped without its dots; Latin
#     ink no legal form (only Russian Инк); a joined Persian family name of a kunya not split (ابوطالبی: issue #16, screentd2)
# 19: a listed word with zh also keyed by its skeleton with zh read j, as Arabic letters write Russian zh (names.other_skeletons:
#     Slizheuski, سليجيوسكي: issue #16, screenblk2)
# 20: a listed word with j before a or i and a Spanish ending also keyed with that j read kh (names.foreign_in_arabic:
#     Grajales, غرخليس: issue #16, screenblk3)
# 21: a listed romanised Chinese name written FAMILY, Given regrouped with its last word (once turned) as the family name,
#     and Wade-Giles chi before a vowel (chiang) read in pinyin (names._sino_variants: PAO, Hua Chiang); a leading LIMITED
#     before a single word kept as the firm's word (names.strip_legal_forms: Limited Edition Co; issue #16, screenfp3)
# 22: the index's key lists (deletes, prefixes, sound keys, skeletons) hold a name's new words in their written order, not
#     a set's hash order (matcher._add: ties among candidates no longer depend on PYTHONHASHSEED; issue #16, screenlat3)
# 23: a listed word of only vowels and weak letters opening with a vowel keyed by them (``_w`` / ``_y``: Oo, Aye), and a
#     word opening with a hard c by its Arabic-script skeleton of two consonants (Casa: ks; names.weak_keys,
#     names.other_skeletons; issue #16, screenblk4)
# 24: a listed name with a generic word of firm names (TRADING, SHIPPING, HONG KONG) keyed by its other words joined
#     (matcher._firm_key: a Han firm name's English reading meets it; issue #16, screenblk5)
# 25: a listed kanji given name also read as JMnedict reads it as a given name, when jamdict-data is installed (scripts.
#     _given_name_readings: 知実 Satomi beside Tomomi; issue #16, screenfp5)
# 26: those JMnedict readings on every install, from the shipped data/jmnedict_given.tsv.gz (a snapshot written at 25
#     without jamdict-data lacks them; issue #16, screenjmn)
FORMAT = 26
_MISSING = object()
_BATCH = 20_000
CACHE = 100_000  # values kept per map after a read; the cache is emptied when it is full


def _key(key: Any) -> bytes:
    return pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL)


class _Reader:
    """One read-only connection per thread to an immutable file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA mmap_size=1073741824")
            conn.execute("PRAGMA cache_size=-65536")
            self._local.conn = conn
        return conn


class LayeredMap(MutableMapping[Any, Any]):
    """A map read from one table of the snapshot, with this process's changes on top.

    Values read from the file are kept in a bounded cache, shared by readers: a reader must not
    change a value it got; a writer that changes one in place takes it with :meth:`setdefault`,
    which first moves it into the top layer (as a dict would hand out its own list).
    """

    def __init__(self, reader: _Reader, table: str, count: int) -> None:
        self._reader = reader
        self._get = f'SELECT v FROM "{table}" WHERE k = ?'
        self._all = f'SELECT k FROM "{table}"'
        self._top: dict[Any, Any] = {}
        self._gone: set[Any] = set()  # keys of the file removed by this process
        self._len = count
        # the file's table has no rows (a snapshot saved before any list was loaded): nothing to ask it (#19)
        self._empty = count == 0
        self._cache: dict[Any, Any] = {}

    def _disk(self, key: Any) -> Any:
        if self._empty or key in self._gone:
            return _MISSING
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            row = self._reader.conn().execute(self._get, (_key(key),)).fetchone()
            value = None if row is None else pickle.loads(row[0])  # noqa: S301 - our own snapshot (module docstring)
            if len(self._cache) >= CACHE:
                self._cache = {}
            self._cache[key] = value
        return _MISSING if value is None else value

    def _on_disk(self, key: Any) -> bool:
        # read through _disk and kept (a key the file lacks too): a query's tokens are asked for again and
        # again ("wei", "zhang" in every other Chinese payee), and a key the file has is mostly read next (#19)
        return self._disk(key) is not _MISSING

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self._top:
            return self._top[key]
        value = self._disk(key)
        return default if value is _MISSING else value

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if key in self._top:
            return True
        return key not in self._gone and self._on_disk(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self._len += 1
        self._top[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        self._top.pop(key, None)
        if key not in self._gone and self._on_disk(key):
            self._gone.add(key)
        self._len -= 1

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key in self._top:
            return self._top[key]
        value = self._disk(key)
        if value is _MISSING:
            self._len += 1
            value = default
        else:
            self._cache.pop(key, None)  # from now on this process's own copy, changed in place
        self._top[key] = value
        return value

    def __iter__(self) -> Iterator[Any]:
        yield from list(self._top)
        for (raw,) in self._reader.conn().execute(self._all):
            key = pickle.loads(raw)  # noqa: S301
            if key not in self._top and key not in self._gone:
                yield key

    def __len__(self) -> int:
        return self._len


def _maps(ix: _Index) -> list[str]:
    return [f.name for f in fields(ix) if isinstance(getattr(ix, f.name), dict | LayeredMap)]


def save(path: Path, tag: Any, screener: NameScreener, progress: Callable[[int], None] | None = None) -> None:
    """Write the screener to ``path`` (replaced whole, never half-written)."""
    ix = screener._ix
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        written = 0
        counts: dict[str, int] = {}
        for name in _maps(ix):
            conn.execute(f'CREATE TABLE "{name}" (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
            rows = sorted((_key(k), pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in getattr(ix, name).items())
            for start in range(0, len(rows), _BATCH):
                conn.executemany(f'INSERT INTO "{name}" VALUES (?, ?)', rows[start : start + _BATCH])
                written += len(rows[start : start + _BATCH])
                if progress is not None:
                    progress(written)
            counts[name] = len(rows)
        state = {k: v for k, v in screener.__getstate__().items() if k != "_ix"}
        meta = {"format": FORMAT, "tag": tag, "state": state, "stale": ix.stale, "counts": counts}
        conn.execute("INSERT INTO meta VALUES ('meta', ?)", (pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL),))
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, path)  # readers see the old snapshot or the new one, never half of one


def load(path: Path) -> tuple[Any, NameScreener]:
    """The snapshot's tag and its screener, reading the file in place. Raises ``ValueError`` for
    a file of another format, ``sqlite3.Error`` / ``OSError`` for one that cannot be read."""
    reader = _Reader(path)
    row = reader.conn().execute("SELECT v FROM meta WHERE k = 'meta'").fetchone()
    if row is None:
        raise ValueError("no metadata")
    meta = pickle.loads(row[0])  # noqa: S301 - our own snapshot (module docstring)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("another snapshot format")
    screener = NameScreener.__new__(NameScreener)
    screener.__setstate__(dict(meta["state"]))
    ix = _Index(stale=meta["stale"])
    for name in _maps(ix):
        if name not in meta["counts"]:
            raise ValueError(f"no table for {name}")
        setattr(ix, name, LayeredMap(reader, name, meta["counts"][name]))
    screener._ix = ix
    return meta["tag"], screener

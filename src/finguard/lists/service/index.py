"""The hot index: which entries carry an identifier, answered from memory in microseconds.

Layout (12 bytes per identifier in the base): a sorted ``int64`` array of identifier keys
(:func:`finguard.core.identifiers.identifier_key`, a 64-bit BLAKE2b of ``type:value``) and a
parallel ``int32`` array of entry ids. Changes since the base was built live in a small
overlay: a dict from key to entry ids, plus a set of entry ids whose base postings are void.
A key is only a candidate: a hit is always confirmed against the stored entry, so a 64-bit
collision can never produce a false hit.

Names of listed parties are kept in a dict from name key to entry ids for the name matcher.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from finguard.lists.model.lists import Change

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Base:
    keys: I64
    ids: npt.NDArray[np.int32] | I64


def build_base(keys: Iterable[int] | I64, ids: Iterable[int] | I64) -> Base:
    k = np.asarray(keys if isinstance(keys, np.ndarray) else np.fromiter(keys, dtype=np.int64), dtype=np.int64)
    i = np.asarray(ids if isinstance(ids, np.ndarray) else np.fromiter(ids, dtype=np.int64), dtype=np.int64)
    order = np.argsort(k, kind="stable")
    id_dtype = np.int32 if (i.size == 0 or int(i.max()) < 2**31) else np.int64
    return Base(np.ascontiguousarray(k[order]), np.ascontiguousarray(i[order].astype(id_dtype)))


class HotIndex:
    """Identifier keys and name keys to entry ids. Reads take no lock; writes do."""

    def __init__(self, base: Base | None = None, names: dict[str, set[int]] | None = None) -> None:
        self._base = base or build_base([], [])
        # Single lookups bisect memoryviews of the arrays: ndarray.searchsorted releases the GIL,
        # and getting it back behind a busy background thread costs milliseconds (a convoy).
        self._key_view = self._base.keys.data
        self._id_view = self._base.ids.data
        self._overlay: dict[int, tuple[int, ...]] = {}
        self._void: set[int] = set()
        self._entry_keys: dict[int, tuple[int, ...]] = {}
        self._entry_names: dict[int, tuple[str, ...]] = {}
        self._entry_seq: dict[int, int] = {}
        self.names: dict[str, set[int]] = names if names is not None else {}
        for name, ids in self.names.items():
            for entry_id in ids:
                self._entry_names[entry_id] = (*self._entry_names.get(entry_id, ()), name)
        self._lock = threading.Lock()

    # -- reads -------------------------------------------------------------------------

    def lookup(self, key: int) -> list[int]:
        keys = self._key_view
        out: list[int] = []
        lo = bisect_left(keys, key)
        n = len(keys)
        if lo < n and keys[lo] == key:
            ids = self._id_view
            void = self._void
            hi = lo
            while hi < n and keys[hi] == key:
                entry_id = ids[hi]
                if entry_id not in void:
                    out.append(entry_id)
                hi += 1
        extra = self._overlay.get(key)
        if extra:
            out.extend(extra)
        return out

    def lookup_many(self, keys: Sequence[int] | I64) -> list[list[int]]:
        """Vectorised lookup for batches: one searchsorted over the whole batch.

        Equal to ``[self.lookup(k) for k in keys]``: base postings first, then the overlay's.
        """
        arr = np.asarray(keys, dtype=np.int64)
        base = self._base
        out: list[list[int]] = [[] for _ in range(arr.shape[0])]
        if base.keys.shape[0] and arr.shape[0]:
            pos = base.keys.searchsorted(arr)
            pos_clipped = np.minimum(pos, base.keys.shape[0] - 1)
            found = np.nonzero(base.keys[pos_clipped] == arr)[0]
            if found.shape[0]:
                base_keys, base_ids, void, n = base.keys, base.ids, self._void, int(base.keys.shape[0])
                for i, lo in zip(found.tolist(), pos[found].tolist(), strict=True):
                    key = base_keys.item(lo)
                    hi = lo
                    hits = out[i]
                    while hi < n and base_keys.item(hi) == key:
                        entry_id = int(base_ids.item(hi))
                        if entry_id not in void:
                            hits.append(entry_id)
                        hi += 1
        overlay = self._overlay
        if overlay:
            for i, key in enumerate(arr.tolist()):
                extra = overlay.get(key)
                if extra:
                    out[i].extend(extra)
        return out

    def changed_seq(self, entry_id: int) -> int:
        """The sequence of the last change applied to this entry since the base was built (0: none)."""
        return self._entry_seq.get(entry_id, 0)

    def lookup_name(self, name_key: str) -> list[int]:
        return list(self.names.get(name_key, ()))

    def __len__(self) -> int:
        return int(self._base.keys.shape[0]) + sum(len(v) for v in self._overlay.values())

    def memory_bytes(self) -> dict[str, int]:
        base = self._base
        return {"base_keys": int(base.keys.nbytes), "base_ids": int(base.ids.nbytes), "overlay_keys": len(self._overlay)}

    # -- writes ------------------------------------------------------------------------

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply change-log rows. Idempotent, and an older snapshot never undoes a newer one."""
        with self._lock:
            for change in changes:
                if self._entry_seq.get(change.entry_id, -1) >= change.seq:
                    continue
                self._entry_seq[change.entry_id] = change.seq
                self._replace(change.entry_id, change.snapshot)

    def _replace(self, entry_id: int, snapshot: dict[str, Any]) -> None:
        self._void.add(entry_id)
        for key in self._entry_keys.pop(entry_id, ()):
            remaining = tuple(e for e in self._overlay.get(key, ()) if e != entry_id)
            if remaining:
                self._overlay[key] = remaining
            else:
                self._overlay.pop(key, None)
        for name in self._entry_names.pop(entry_id, ()):
            ids = self.names.get(name)
            if ids is not None:
                ids.discard(entry_id)
                if not ids:
                    del self.names[name]
        if snapshot.get("delisted_at"):
            return
        keys = tuple(int(k) for k in snapshot.get("id_keys", ()))
        for key in keys:
            self._overlay[key] = (*self._overlay.get(key, ()), entry_id)
        self._entry_keys[entry_id] = keys
        names = tuple(snapshot.get("name_keys", ()))
        for name in names:
            self.names.setdefault(name, set()).add(entry_id)
        self._entry_names[entry_id] = names

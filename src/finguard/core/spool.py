"""A small append-only spool file: records a database could not take yet, kept on disk until it can.

One JSON object per line, appended and fsynced; ``drain`` hands every record to a writer in the
order they came and empties the file only after the writer returned. A crash between the two
writes the records again on the next drain (at least once, never lost).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class JsonSpool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def put(self, records: Sequence[dict[str, Any]]) -> None:
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode()
        with self._lock, self.path.open("ab") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def drain(self, write: Callable[[list[dict[str, Any]]], object]) -> int:
        """Give every spooled record to ``write`` (which raises to keep them); return how many."""
        with self._lock:
            if not self.pending():
                return 0
            records = []
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        continue  # a line torn by a crash mid-write: the rest is still written
            if records:
                write(records)
            self.path.write_bytes(b"")
            return len(records)

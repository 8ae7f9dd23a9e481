"""The local-file registry: a UTF-8 CSV with the columns ``id_number,name`` (tests and the demo)."""

from __future__ import annotations

import csv
from pathlib import Path

from finguard.identity.model.documents import clean
from finguard.identity.service.registry import RegistryUnavailable


class FileRegistry:
    """Reads the whole file on each change of its modification time (it is small by design)."""

    name = "local-file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._names: dict[str, str] = {}

    def name_for(self, id_number: str) -> str | None:
        try:
            mtime = self.path.stat().st_mtime
            if mtime != self._mtime:
                with self.path.open(encoding="utf-8", newline="") as fh:
                    names = {clean(row["id_number"]): row["name"] for row in csv.DictReader(fh)}
                if any(not isinstance(v, str) for v in names.values()):
                    raise KeyError("a row has fewer fields than the header")
                self._names = names
                self._mtime = mtime
        except (OSError, KeyError, csv.Error, UnicodeDecodeError, AttributeError, TypeError) as exc:
            raise RegistryUnavailable(f"registry file {self.path.name} cannot be read: {exc}") from exc
        return self._names.get(clean(id_number))

"""The model registry: every trained version with its data fingerprint and metrics, and which
version is the champion (its score is enforced through the rules) and which the challenger
(scored on every decision in shadow, never enforced).

A folder: ``<dir>/<version>/model.txt`` + ``model.json`` (the sidecar) per version, and
``registry.json`` holding the versions, the two roles and an append-only history of who
registered, promoted or set a challenger, when and why. Writes replace the file atomically.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finguard.core.clock import utcnow
from finguard.core.errors import InvalidInput, NotFound

_VERSION = re.compile(r"m\d{4,}")


@dataclass(frozen=True, slots=True)
class ModelVersion:
    version: str
    name: str
    created_at: str
    data: dict[str, Any]
    metrics: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "name": self.name, "created_at": self.created_at, "data": self.data, "metrics": self.metrics}


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def _file(self) -> Path:
        return self.root / "registry.json"

    def _read(self) -> dict[str, Any]:
        if not self._file.is_file():
            return {"versions": [], "champion": None, "challenger": None, "history": []}
        data: dict[str, Any] = json.loads(self._file.read_text())
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self._file)

    def next_path(self) -> tuple[str, Path]:
        """A fresh version id and where its model file goes."""
        versions = [v["version"] for v in self._read()["versions"]]
        number = max((int(v[1:]) for v in versions), default=0) + 1
        version = f"m{number:04d}"
        return version, self.root / version / "model.txt"

    def register(self, version: str, sidecar: dict[str, Any], actor: str) -> ModelVersion:
        data = self._read()
        entry = ModelVersion(
            version,
            str(sidecar.get("name") or version),
            utcnow().isoformat(timespec="seconds"),
            dict(sidecar.get("data") or {}),
            dict(sidecar.get("metrics") or {}),
        )
        data["versions"].append(entry.as_dict())
        data["history"].append({"at": entry.created_at, "actor": actor, "action": "register", "version": version})
        self._write(data)
        return entry

    def versions(self) -> list[ModelVersion]:
        return [ModelVersion(**v) for v in self._read()["versions"]]

    def roles(self) -> dict[str, str | None]:
        data = self._read()
        return {"champion": data.get("champion"), "challenger": data.get("challenger")}

    def history(self) -> list[dict[str, Any]]:
        return list(self._read()["history"])

    def path_of(self, version: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise InvalidInput.for_field("version", f"{version[:20]!r} is not a model version (m0001, ...)")
        if version not in {v.version for v in self.versions()}:
            raise NotFound(f"no model version {version}")
        return self.root / version / "model.txt"

    def set_role(self, role: str, version: str | None, actor: str, reason: str = "") -> None:
        """Make ``version`` the champion or the challenger (None: no challenger). Recorded in the history."""
        if role not in ("champion", "challenger"):
            raise InvalidInput.for_field("role", "must be champion or challenger")
        if version is not None:
            self.path_of(version)
        elif role == "champion":
            raise InvalidInput.for_field("version", "a champion needs a version")
        data = self._read()
        data[role] = version
        if role == "champion" and data.get("challenger") == version:
            data["challenger"] = None
        data["history"].append(
            {
                "at": utcnow().isoformat(timespec="seconds"),
                "actor": actor,
                "action": f"set_{role}",
                "version": version,
                "reason": reason,
            }
        )
        self._write(data)

    def role_path(self, role: str) -> Path | None:
        version = self.roles().get(role)
        return None if version is None else self.root / version / "model.txt"

    def remove_files(self, version: str) -> None:
        """Delete a version's files that never got registered (a failed training)."""
        shutil.rmtree(self.root / version, ignore_errors=True)

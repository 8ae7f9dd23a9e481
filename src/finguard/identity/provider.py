"""Wiring of the identity checks: settings, the process-wide face engine, the audited use cases.

``identity_for(platform)`` builds the checks over the platform's database on first use and keeps
them for that platform; the face models are loaded once per process, on the first face check.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from finguard.identity.service.checks import IdentityChecks
from finguard.identity.service.face import FaceVerifier
from finguard.identity.service.face_engine import DlibFaceEngine
from finguard.identity.store.audit import SqlVerificationLog
from finguard.identity.store.registry_file import FileRegistry


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINGUARD_IDENTITY_", env_file=".env", extra="ignore")

    registry_file: Path | None = Field(
        default=None,
        description="CSV (id_number,name) the name/ID check reads; unset: name checks answer unavailable. For tests and the demo.",
    )
    max_image_bytes: int = Field(default=5_000_000, ge=10_000, description="Largest picture accepted by the API and the staff page.")


_lock = threading.Lock()
_verifier: FaceVerifier | None = None
_built: WeakKeyDictionary[Any, IdentityChecks] = WeakKeyDictionary()


def face_verifier() -> FaceVerifier:
    """The process's verifier (the models load on its first verification, ~0.2 s)."""
    global _verifier
    with _lock:
        if _verifier is None:
            _verifier = FaceVerifier(DlibFaceEngine())
        return _verifier


def make_identity(engine: Engine, settings: IdentitySettings | None = None) -> IdentityChecks:
    s = settings or IdentitySettings()
    registry = FileRegistry(s.registry_file) if s.registry_file else None
    return IdentityChecks(SqlVerificationLog(engine), face_verifier, registry)


def identity_for(platform: Any) -> IdentityChecks:
    """The checks of ``platform`` (``finguard.app.platform.Platform``), built on first use."""
    with _lock:
        found = _built.get(platform)
    if found is None:
        found = make_identity(platform.engine)
        with _lock:
            found = _built.setdefault(platform, found)
    return found

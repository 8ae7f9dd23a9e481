"""The credit capability's signing step calls the identity capability's face check (#17).

Credit and identity are siblings that do not import each other: credit declares what it needs
(``SigningFaceCheck``) and this adapter, at the app level, answers it with
``IdentityChecks.verify_face`` (audited there, without the pictures).  A check that cannot run
(the face models or dlib missing, the engine failing) is answered ``unavailable`` with the
reason, so signing refuses instead of passing silently; a picture that cannot be read stays an
input error naming ``photo`` or ``capture``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from finguard.core.errors import InvalidInput
from finguard.credit.service import FaceCheckResult

if TYPE_CHECKING:
    from finguard.identity.service.checks import IdentityChecks

log = logging.getLogger(__name__)


class IdentitySigningCheck:
    def __init__(self, checks: Callable[[], IdentityChecks]) -> None:
        self._checks = checks

    def check(self, photo: bytes, capture: bytes, *, actor: str, channel: str) -> FaceCheckResult:
        try:
            result = self._checks().verify_face(photo, capture, actor=actor, channel=f"{channel}:signing")
        except InvalidInput:
            raise
        except Exception as exc:
            log.warning("face check unavailable at signing: %s", type(exc).__name__)
            return FaceCheckResult("unavailable", f"{type(exc).__name__}: {exc}"[:200])
        from finguard.identity.model.face import REASON_TEXT

        d = result.decision
        zh, en = REASON_TEXT.get(d.reason, ("", ""))
        return FaceCheckResult(d.verdict.value, d.reason.value, d.score, zh, en)

"""The public check's edge: the shared rate limit, tightened for clients the enumeration detector
flagged, and the detector fed with the values each check asked about (normalised, then hashed)."""

from __future__ import annotations

from collections.abc import Mapping

from finguard.access.service.enumeration import EnumerationDetector, Probe
from finguard.access.service.ratelimit import RateLimiter
from finguard.core.errors import InvalidInput
from finguard.core.identifiers import IdType, normalize


class PublicEdge:
    def __init__(self, limiter: RateLimiter, detector: EnumerationDetector) -> None:
        self.limiter = limiter
        self.detector = detector

    def admit(self, client: str, subnet: str) -> None:
        """Spend one public check for the client, or raise RateLimited (recorded)."""
        self.limiter.take(client, tightened=self.detector.tightened(client, subnet))

    def observe(self, client: str, subnet: str, values: Mapping[str, str | None]) -> None:
        """Count the identifiers a public check asked about (fields named as in the request)."""
        probes: list[Probe] = []
        for field, raw in values.items():
            if not raw or not raw.strip():
                continue
            try:
                probes.append(Probe(field, normalize(IdType(field), raw, field)))
            except (InvalidInput, ValueError):
                continue  # refused by the check itself; nothing to count
        if probes:
            self.detector.observe(client, subnet, probes)

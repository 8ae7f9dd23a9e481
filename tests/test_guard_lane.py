"""The guard's lean HTTP path (#19, guardlean): the event lane sits inside the edge's middleware,
the key found at the edge is reused only for the same secret, and the body limit's leaner checks
refuse what they refused before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from finguard.access.http import KEY_SEEN
from finguard.app.http import BODY_LIMITS, create_app
from finguard.app.platform import Platform
from finguard.core.admission import AdmissionControl
from finguard.core.edge import BodyLimit, _check_nul
from finguard.core.errors import InvalidInput
from finguard.guard.http.routes import EventLane


def test_the_lane_is_the_innermost_of_the_apps_middleware(platform: Platform) -> None:
    app = create_app(platform)
    kinds = [m.cls for m in app.user_middleware]
    assert kinds == [AdmissionControl, BodyLimit, EventLane]


def test_a_key_seen_at_the_edge_is_used_only_for_its_own_secret(platform: Platform, analyst_key: str) -> None:
    seen: list[object] = []

    class Spy:
        def __init__(self, app: object) -> None:
            self.app = app

        async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            if scope["type"] == "http":
                # a stale entry for another secret: the key check must not take it
                scope[KEY_SEEN] = ("fg_not-the-callers-key", object())
            await self.app(scope, receive, send)  # type: ignore[operator]
            seen.append(scope.get(KEY_SEEN))

    app = create_app(platform)
    app.add_middleware(Spy)  # outermost: its entry comes before the edge's own
    with TestClient(app) as client:
        r = client.get("/api/v1/guard/rules", headers={"X-API-Key": analyst_key})
    assert r.status_code == 200
    assert seen and seen[0] is not None


@pytest.mark.parametrize(
    ("body", "json_body"),
    [(b'{"a":"\\u0000"}', True), (b'{"a":"\\U0000"}', True), (b'{"a":"\x00"}', True), (b"a=%00", False), (b"a=\x00", False)],
)
def test_a_nul_in_a_body_is_still_refused_naming_the_body(body: bytes, json_body: bool) -> None:
    with pytest.raises(InvalidInput) as caught:
        _check_nul(body, json_body)
    assert caught.value.problems[0].field == "body"


def test_the_body_limit_reads_the_last_of_a_repeated_header_by_lower_case_name() -> None:
    edge = BodyLimit(lambda s, r, w: None, BODY_LIMITS)  # type: ignore[arg-type,return-value]
    headers = [(b"Content-Type", b"text/plain"), (b"X-Api-Key", b"k1"), (b"content-type", b"application/json"), (b"accept", b"*/*")]
    scope = {"headers": headers}
    assert edge._headers(scope) == {"content-type": "application/json", "x-api-key": "k1"}

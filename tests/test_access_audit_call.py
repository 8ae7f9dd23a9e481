"""The staff API's audit record of a call (#19: its path read from the scope when that is the same)."""

from __future__ import annotations

import ipaddress
import random
import unicodedata
from typing import Any

import pytest
from starlette.requests import Request

from finguard.access.http import audit_call
from finguard.core.identifiers import IdType, InvalidIdentifier, normalize, normalize_ip


class _Audit:
    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []

    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None) -> None:
        self.records.append((actor, action, target, detail))


class _App:
    def __init__(self) -> None:
        self.state = type("State", (), {})()
        self.state.platform = type("P", (), {})()
        self.state.platform.audit = _Audit()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/guard/events", b""),
        ("/api/v1/guard/customers/c-1:2_3.4~x/controls", b""),
        ("/api/v1/guard/decisions", b"customer_id=c1&limit=5"),
        ("/api/v1/screening/search/张伟", b""),
        ("/api/v1/x y/a?b#c\\d%41", b""),
        ("/api/v1/tab\there", b"q=%E5%BC%A0"),
        ("/api/v1/empty-query", b"&"),
    ],
)
def test_the_audit_target_is_the_urls_path_and_query(path: str, query: bytes) -> None:
    app = _App()
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": query,
        "app": app,
        "headers": [(b"host", b"example.test:8443")],
        "scheme": "https",
        "server": ("10.0.0.1", 8443),
    }
    request = Request(scope)
    audit_call(request, "key:ops")
    url = Request(dict(scope)).url
    expected = {"query": url.query[:1000]} if url.query else {}
    assert app.state.platform.audit.records == [("key:ops", "api.get", url.path, expected)]


def test_a_dotted_quad_normalises_as_ipaddress_does() -> None:
    rng = random.Random(19)
    octets = [str(i) for i in range(300)] + ["00", "01", "001", "+1", "-1", " 1", "٣", "1e1"]
    texts = [".".join(rng.choice(octets) for _ in range(4)) for _ in range(20_000)] + ["0.0.0.0", "255.255.255.255", "1.2.3.04"]
    for text in texts:
        try:
            expected: str | None = ipaddress.ip_address(unicodedata.normalize("NFKC", text).strip()).compressed
        except ValueError:
            expected = None
        try:
            got: str | None = normalize_ip(text)
        except InvalidIdentifier:
            got = None
        assert got == expected, text
    assert normalize(IdType.IP, "10.0.0.1") == normalize("ip", "10.0.0.1") == "10.0.0.1"


def test_check_json_refuses_as_the_two_scans_did() -> None:
    """#19: check_json takes the strings out once for both of its checks; the same refusals."""
    from finguard.core import jsonsafe
    from finguard.core.errors import InvalidInput

    def before(data: bytes) -> str | None:
        if jsonsafe.json_depth(data) > jsonsafe.MAX_JSON_DEPTH:
            return "deep"
        if jsonsafe._LONG_NUMBER.search(jsonsafe._STRING.sub(b'""', data)):
            return "long"
        return None

    rng = random.Random(7)
    parts = [b"[", b"]", b"{", b"}", b'"', b"\\", b"1" * 41, b"12", b'"[[["', b'"\\"["', b",", b":", b"e5", b"-", b"."]
    docs = [b"".join(rng.choice(parts) for _ in range(rng.randint(1, 90))) for _ in range(20_000)]
    docs += [b"[" * 65 + b"]" * 65, b"[" * 64 + b"]" * 64, b'{"a": "' + b"[" * 100 + b'"}']
    docs += [b'{"n": ' + b"9" * 41 + b"}", b'{"n": "' + b"9" * 41 + b'"}']
    for doc in docs:
        try:
            jsonsafe.check_json(doc)
            got = None
        except InvalidInput as exc:
            got = "deep" if "deeper" in str(exc) else "long"
        assert got == before(doc), doc

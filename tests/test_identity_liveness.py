"""The head-turn liveness challenge on frames derived from the London set (#17), through the
service and the API: a turning head passes; a still frame repeated, too few frames or another
person in a frame fail; bad uploads are 422 naming the frame. What it cannot catch (a replayed
video of a turning head passes) is written in docs/identity.md and in every answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.errors import InvalidInput
from finguard.identity.provider import identity_for
from tests.identity_frames import head_turn


@pytest.fixture(scope="module")
def frames(shared_data: Path) -> dict[str, list[bytes]]:
    root = shared_data / "faces" / "london-set"
    return {
        "turn": head_turn(root / "neutral" / "001.jpg"),
        "turn2": head_turn(root / "smiling" / "001.jpg"),
        "still": [(root / "neutral" / "001.jpg").read_bytes()] * 3,
        "other": (root / "smiling" / "002.jpg").read_bytes(),
    }


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def key(platform: Platform) -> dict[str, str]:
    return {"X-API-Key": platform.keys.create("teller-7", "analyst", actor="test")[1]}


def _parts(frames: list[bytes]) -> dict[str, tuple[str, bytes, str]]:
    return {f"frame{i}": (f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(frames, 1)}


@pytest.mark.parametrize("name", ["turn", "turn2"])
def test_a_turning_head_passes_and_a_still_frame_repeated_fails(platform, frames, name):
    checks = identity_for(platform)
    moving = checks.check_liveness(frames[name], actor="teller", channel="test")
    assert moving.result.passed, moving.result.reason
    yaws = [o.quality.yaw for o in moving.frames if o.quality]
    assert max(yaws) - min(yaws) >= 0.15 and all(o.faces == 1 for o in moving.frames)
    still = checks.check_liveness(frames["still"], actor="teller", channel="test")
    assert not still.result.passed and "did not turn" in still.result.reason


def test_another_person_in_a_frame_fails_and_every_check_is_audited_without_pictures(platform, frames):
    checks = identity_for(platform)
    swapped = checks.check_liveness([*frames["turn"][:2], frames["other"]], actor="teller", channel="test")
    assert not swapped.result.passed and "changed" in swapped.result.reason
    entry = checks.log.recent(1)[0][1]
    assert entry.kind == "liveness" and entry.outcome == "failed" and "embedding" not in str(entry.detail)
    with pytest.raises(InvalidInput) as caught:
        checks.check_liveness(frames["turn"][:2], actor="teller", channel="test")
    assert caught.value.problems[0].field == "frames"


def test_the_liveness_api_answers_with_each_frame_and_the_weak_point(api, key, frames):
    r = api.post("/api/v1/identity/liveness", headers=key, files=_parts(frames["turn"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["passed"] and len(body["frames"]) == 3 and "replayed video" in body["weak_point"]
    r = api.post("/api/v1/identity/liveness", headers=key, files=_parts(frames["still"]))
    assert r.status_code == 200 and not r.json()["passed"]
    r = api.post("/api/v1/identity/liveness", headers=key, files=_parts([*frames["turn"], frames["turn"][0]]))
    assert r.status_code == 200 and r.json()["passed"] and len(r.json()["frames"]) == 4


def test_bad_liveness_uploads_are_422_naming_the_frame(api, key, frames):
    r = api.post("/api/v1/identity/liveness", headers=key, files=_parts(frames["turn"][:2]))
    assert r.status_code == 422 and "frame3" in r.text
    bad = _parts(frames["turn"])
    bad["frame2"] = ("f2.jpg", b"not a picture at all", "image/jpeg")
    r = api.post("/api/v1/identity/liveness", headers=key, files=bad)
    assert r.status_code == 422 and "frame2" in r.text
    r = api.post("/api/v1/identity/liveness", headers=key, json={"frames": []})
    assert r.status_code == 422 and "multipart" in r.text
    assert api.post("/api/v1/identity/liveness", files=_parts(frames["turn"])).status_code in (401, 413)  # no key: refused

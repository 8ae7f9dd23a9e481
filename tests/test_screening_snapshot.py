"""The name screener's snapshot on disk: a process loads it and replays only the later changes.

Given a platform whose lists hold a person, the first name check builds the screener and saves a
snapshot; a second process loads that snapshot, sees a person listed after it, and no longer sees
one delisted after it. A snapshot of another database is never used.
"""

from __future__ import annotations

from pathlib import Path

from finguard.app.platform import Platform
from finguard.lists.model.lists import RiskLevel
from finguard.screening.service.matcher import ScreenQuery
from tests.conftest import make_settings


def _listed(p: Platform, name: str) -> bool:
    return any(h.listed_name == name for h in p.screener.screen(ScreenQuery(name)))


def _add_person(p: Platform, key: str, name: str) -> int:
    from finguard.lists.model.lists import EntryDraft, Party, SubjectKind

    entry = p.lists.add_entry("watch", EntryDraft(key=key, subject=SubjectKind.PERSON, reason="test", party=Party((name,))), actor="t")
    return entry.id


def test_snapshot_is_saved_loaded_and_caught_up(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path)
    with Platform(settings, follow=False) as first:
        first.lists.create_list("watch", "Watch", "internal", "bank", RiskLevel.HIGH, "")
        _add_person(first, "a", "Zhang Weiguo")
        gone = _add_person(first, "b", "Olumide Adebayo")
        assert _listed(first, "Zhang Weiguo")
    snapshots = list((tmp_path / "index").glob("names-*.pickle"))
    assert len(snapshots) == 1
    with Platform(settings, follow=False) as writer:
        _add_person(writer, "c", "Mariana Kowalczyk")
        writer.lists.delist(gone, "test", actor="t")
    with Platform(settings, follow=False) as second:
        assert _listed(second, "Zhang Weiguo")  # from the snapshot
        assert _listed(second, "Mariana Kowalczyk")  # listed after it: replayed
        assert not _listed(second, "Olumide Adebayo")  # delisted after it: replayed


def test_a_snapshot_of_another_database_is_not_used(tmp_path: Path) -> None:
    index = tmp_path / "shared-index"
    one = make_settings(f"sqlite:///{tmp_path / 'one.db'}", tmp_path, index_dir=index)
    with Platform(one, follow=False) as p:
        p.lists.create_list("watch", "Watch", "internal", "bank", RiskLevel.HIGH, "")
        _add_person(p, "a", "Zhang Weiguo")
        assert _listed(p, "Zhang Weiguo")
    other = make_settings(f"sqlite:///{tmp_path / 'other.db'}", tmp_path, index_dir=index)
    with Platform(other, follow=False) as p:
        assert not _listed(p, "Zhang Weiguo")


def test_a_corrupt_snapshot_is_rebuilt(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'fg.db'}", tmp_path)
    with Platform(settings, follow=False) as p:
        p.lists.create_list("watch", "Watch", "internal", "bank", RiskLevel.HIGH, "")
        _add_person(p, "a", "Zhang Weiguo")
        assert _listed(p, "Zhang Weiguo")
    for snap in (tmp_path / "index").glob("names-*.pickle"):
        snap.write_bytes(b"not a pickle")
    with Platform(settings, follow=False) as p:
        assert _listed(p, "Zhang Weiguo")

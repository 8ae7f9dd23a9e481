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
    snapshots = list((tmp_path / "index").glob("names-*.sqlite"))
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
    for snap in (tmp_path / "index").glob("names-*.sqlite"):
        snap.write_bytes(b"not a pickle")
    with Platform(settings, follow=False) as p:
        assert _listed(p, "Zhang Weiguo")


def _un_entries() -> list[tuple[int, str, object]]:
    import finguard
    from finguard.lists.service.importers.un import parse_un

    xml = Path(finguard.__file__).parent / "data" / "un-consolidated.xml"
    return [(i, "un", row.draft) for i, row in enumerate(parse_un(xml), start=1) if row.draft is not None]


def test_a_screener_read_from_its_file_answers_as_the_one_in_memory(tmp_path: Path) -> None:
    """The file-backed screener gives the same hits, scores and explanations as the screener it
    was saved from, before and after the same later changes (a new entry, a removed one, a
    re-indexed one)."""
    from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
    from finguard.screening.service.matcher import NameScreener
    from finguard.screening.store import snapshot

    entries = _un_entries()
    memory = NameScreener()
    for entry_id, code, draft in entries:
        memory.add(entry_id, code, draft)  # type: ignore[arg-type]
    memory.match("Zhang Wei")  # a kept answer is of this process: the file holds none
    path = tmp_path / "names.sqlite"
    snapshot.save(path, "tag", memory)
    tag, disk = snapshot.load(path)
    assert tag == "tag"
    assert disk.match_cache_stats() == {"hits": 0, "misses": 0, "kept": 0, "capacity": memory.match_cache}
    assert len(disk) == len(memory)
    queries = [n for _, _, d in entries[::7] for n in d.party.names[:1]]  # type: ignore[attr-defined]
    queries += ["Osama bin Ladin", "Kim Jong Un", "Mohamad Hassan", "Zhang Wei", "Acme Trading LLC"]

    def same() -> None:
        for q in queries:
            assert memory.screen(ScreenQuery(q)) == disk.screen(ScreenQuery(q)), q
            assert memory.match(q) == disk.match(q) == disk.match(q), q

    same()
    newcomer = EntryDraft(key="n", subject=SubjectKind.PERSON, reason="t", party=Party(("Mariana Kowalczyk",)))
    renamed = EntryDraft(key="r", subject=SubjectKind.PERSON, reason="t", party=Party(("Olumide Adebayo",)))
    first_id = entries[0][0]
    for s in (memory, disk):
        s.add(10_000_000, "watch", newcomer)
        s.remove(entries[1][0])
        s.add(first_id, "watch", renamed)
    queries += ["Mariana Kowalczyk", "Olumide Adebayo", *entries[1][2].party.names[:1]]  # type: ignore[attr-defined]
    same()
    assert len(disk) == len(memory)
    assert any(h.entry_id == 10_000_000 for h in disk.screen(ScreenQuery("Mariana Kowalczyk")))


def test_a_key_asked_again_is_answered_without_the_file(tmp_path: Path) -> None:
    """Membership is read once per key, absent or present (#19: a payee's tokens are asked for again
    and again); what this process adds or removes afterwards still counts at once."""
    from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
    from finguard.screening.service.matcher import NameScreener
    from finguard.screening.store import snapshot

    memory = NameScreener()
    memory.add(1, "watch", EntryDraft(key="a", subject=SubjectKind.PERSON, reason="t", party=Party(("Zhang Weiguo",))))
    path = tmp_path / "names.sqlite"
    snapshot.save(path, "tag", memory)
    _tag, disk = snapshot.load(path)
    vocab = disk._ix.vocab
    assert isinstance(vocab, snapshot.LayeredMap)
    reads = 0
    conn = vocab._reader.conn

    def counted() -> object:
        nonlocal reads
        reads += 1
        return conn()

    vocab._reader.conn = counted  # type: ignore[method-assign]
    listed = next(iter(memory._ix.vocab))
    for _ in range(3):
        assert "nosuchtoken" not in vocab
        assert listed in vocab
        assert vocab.get(listed) == memory._ix.vocab[listed]
    assert reads == 2  # one for each key, however often it is asked
    vocab["nosuchtoken"] = [7]  # this process's own change, after the file said no
    assert "nosuchtoken" in vocab and vocab["nosuchtoken"] == [7]
    del vocab[listed]
    assert listed not in vocab and vocab.get(listed) is None
    assert reads == 2

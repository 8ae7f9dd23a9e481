"""The payee check: outcomes, zero lag, and 'unavailable' when the answer cannot be trusted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from finguard.app.platform import Platform
from finguard.core.errors import InvalidInput
from finguard.core.identifiers import IdType
from finguard.core.settings import Settings
from finguard.lists.model.check import CheckRequest, Outcome, public_view
from finguard.lists.model.lists import EntryDraft, Identifier, Party, SubjectKind
from finguard.lists.service.demo import (
    DEMO_CLEAN_ACCOUNT,
    DEMO_DEBTOR_ID,
    DEMO_FRAUD_ACCOUNT,
    DEMO_FRAUD_PHONE,
    DEMO_MULE_CARD,
    DEMO_VERIFIED_ACCOUNT,
)

from .conftest import make_settings


def ident(key: str, id_type: IdType, value: str) -> EntryDraft:
    return EntryDraft(key, SubjectKind.IDENTIFIER, (Identifier(id_type, value),), reason="reported")


def test_demo_shows_every_outcome(platform: Platform) -> None:
    platform.load_demo(sanctions=False)
    cases = {
        DEMO_FRAUD_ACCOUNT: Outcome.BLOCK,
        DEMO_VERIFIED_ACCOUNT: Outcome.PASS,
        DEMO_CLEAN_ACCOUNT: Outcome.PASS,
    }
    for account, outcome in cases.items():
        assert platform.checker.check(CheckRequest(account=account)).outcome is outcome
    assert platform.checker.check(CheckRequest(card=DEMO_MULE_CARD)).outcome is Outcome.BLOCK
    assert platform.checker.check(CheckRequest(phone=DEMO_FRAUD_PHONE)).outcome is Outcome.WARN
    assert platform.checker.check(CheckRequest(id_number=DEMO_DEBTOR_ID.lower())).outcome is Outcome.WARN


def test_identifiers_match_after_normalisation(platform: Platform) -> None:
    """Full-width digits, spaces, dashes, a +86 prefix and a 15-digit ID all find the entry."""
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "6222021001122334455"), "t")
    platform.lists.add_entry("police", ident("p", IdType.PHONE, "+8613912345678"), "t")
    platform.lists.add_entry("police", ident("i", IdType.ID_NUMBER, "11010519491231002X"), "t")
    check = platform.checker.check
    assert check(CheckRequest(account="６２２２ ０２１０-０１１２ ２３３４ ４５５")).outcome is Outcome.BLOCK
    assert check(CheckRequest(phone="+86 139-1234-5678")).outcome is Outcome.BLOCK
    assert check(CheckRequest(id_number="110105491231002")).outcome is Outcome.BLOCK


def test_result_carries_hits_sequence_and_check_id(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "6222021001122334455"), "t")
    result = platform.checker.check(CheckRequest(account="6222021001122334455", amount=None))
    assert result.seq == platform.list_store.head_seq()
    assert len(result.check_id) == 32
    (hit,) = result.hits
    assert (hit.list_code, hit.field, hit.entry_key, hit.reason) == ("police", "account", "a", "reported")


def test_name_hit_warns_but_never_blocks(platform: Platform) -> None:
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    party = Party(names=("MADURO MOROS, Nicolas", "Nicolás Maduro"))
    platform.lists.add_entry("sdn", EntryDraft("m", SubjectKind.PERSON, party=party), "t")
    result = platform.checker.check(CheckRequest(name="Nicolas Maduro Moros"))
    assert result.outcome is Outcome.WARN
    assert result.hits[0].field == "name"


def test_invalid_input_names_every_bad_field(platform: Platform) -> None:
    with pytest.raises(InvalidInput) as exc:
        platform.checker.check(CheckRequest(account="12ab", card="4111111111111112", phone="12"))
    assert [p.field for p in exc.value.problems] == ["account", "card", "phone"]
    with pytest.raises(InvalidInput) as exc:
        platform.checker.check(CheckRequest())
    assert exc.value.problems[0].field == "payee"


def test_batch_reports_bad_items_without_stopping(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "6222021001122334455"), "t")
    results = platform.checker.check_many(
        [CheckRequest(account="6222021001122334455"), CheckRequest(account="bad!"), CheckRequest(account="62220000000000")] * 5
    )
    assert [getattr(r, "outcome", None) for r in results[:3]] == [Outcome.BLOCK, None, Outcome.PASS]
    assert isinstance(results[1], InvalidInput)


def test_change_is_visible_to_the_next_check_in_the_same_process(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    assert platform.checker.check(CheckRequest(account="62220000000077")).outcome is Outcome.PASS
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "62220000000077"), "t")
    assert platform.checker.check(CheckRequest(account="62220000000077")).outcome is Outcome.BLOCK


def blocks_within(reader: Platform, account: str, seconds: float) -> bool:
    """Whether ``reader`` blocks ``account`` within ``seconds`` (checked every 2 ms)."""
    deadline = time.monotonic() + seconds
    while True:
        if reader.checker.check(CheckRequest(account=account)).outcome is Outcome.BLOCK:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def test_change_in_another_platform_is_seen_within_100ms(settings: Settings) -> None:
    """Two platforms on one database are two processes' worth of state: the follower carries changes."""
    with Platform(settings) as writer, Platform(settings) as reader:
        writer.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        writer.lists.add_entry("police", ident("a", IdType.ACCOUNT, "62220000000088"), "t")
        assert blocks_within(reader, "62220000000088", 0.1)


def test_a_woken_follower_reads_less_often_and_still_sees_a_change_at_once(settings: Settings) -> None:
    """A notification (PostgreSQL) or SQLite's data_version wakes the follower; its read without one
    only confirms it is current."""
    with Platform(settings) as writer, Platform(settings) as reader:
        assert type(reader.follower.waiter).__name__ in ("PgNotifyWaiter", "SqliteVersionWaiter")
        expected = max(settings.feed_poll_ms, min(settings.feed_listen_poll_ms, settings.max_staleness_ms / 4))
        assert reader.follower.poll_seconds == pytest.approx(expected / 1000)
        assert reader.follower.fallback_poll_seconds == pytest.approx(settings.feed_poll_ms / 1000)
        writer.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        time.sleep(0.3)  # past one confirming read: only the notification can bring the next change early
        writer.lists.add_entry("police", ident("a", IdType.ACCOUNT, "62220000000066"), "t")
        assert blocks_within(reader, "62220000000066", 0.1)
        assert reader.follower.is_current()


def test_a_lost_notification_connection_falls_back_to_polling(settings: Settings) -> None:
    class Broken:
        closed = False

        def wait(self, timeout: float) -> None:
            raise OSError("connection lost")

        def close(self) -> None:
            Broken.closed = True

    with Platform(settings) as writer, Platform(settings, follow=False) as reader:
        from finguard.lists.service.feed import Follower, SleepWaiter

        writer.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        index = reader.index
        follower = Follower(reader.list_store, index, reader._index_seq, poll_seconds=5.0, waiter=Broken(), fallback_poll_seconds=0.01)
        follower.start()
        try:
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and not isinstance(follower.waiter, SleepWaiter):
                time.sleep(0.005)
            assert isinstance(follower.waiter, SleepWaiter) and Broken.closed
            assert follower.poll_seconds == 0.01
            assert follower.fallback is not None and "OSError" in follower.fallback  # shown by /readyz
            seq = follower.seq
            writer.lists.add_entry("police", ident("b", IdType.ACCOUNT, "62220000000044"), "t")
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline and follower.seq == seq:
                time.sleep(0.005)
            assert follower.seq > seq  # still following, by polling
        finally:
            follower.stop()


def test_change_from_another_os_process_is_seen(settings: Settings, tmp_path: Path) -> None:
    with Platform(settings) as reader:
        reader.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        script = (
            "from finguard.app.platform import Platform; from finguard.core.settings import Settings;"
            "from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind; from finguard.core.identifiers import IdType;"
            f"p = Platform(Settings(database_url={settings.database_url!r}, demo_on_first_start=False), follow=False);"
            "p.lists.add_entry('police', EntryDraft('x', SubjectKind.IDENTIFIER, (Identifier(IdType.ACCOUNT, '62220000000099'),)), 'proc');"
            "p.close()"
        )
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if reader.checker.check(CheckRequest(account="62220000000099")).outcome is Outcome.BLOCK:
                break
            time.sleep(0.005)
        assert reader.checker.check(CheckRequest(account="62220000000099")).outcome is Outcome.BLOCK


def test_a_process_that_cannot_confirm_it_is_current_answers_unavailable(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path, max_staleness_ms=50, feed_poll_ms=10)
    with Platform(settings) as p:
        p.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
        p.follower.stop()  # the feed is lost: nothing confirms we are current any more
        time.sleep(0.1)
        result = p.checker.check(CheckRequest(account="62220000000011"))
        assert result.outcome is Outcome.UNAVAILABLE
        assert public_view(result).outcome is Outcome.UNAVAILABLE


def test_a_store_that_cannot_be_read_gives_unavailable_not_pass(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "62220000000012"), "t")

    def down(_ids: object) -> object:
        raise ConnectionError("database is down")

    monkeypatch.setattr(platform.list_store, "get_entries", down)
    assert platform.checker.check(CheckRequest(account="62220000000012")).outcome is Outcome.UNAVAILABLE


def test_public_view_is_identical_whatever_the_list(platform: Platform) -> None:
    platform.lists.create_list("police", "Police", "fraud_account", "PSB", "critical")
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    platform.lists.add_entry("police", ident("a", IdType.ACCOUNT, "62220000000013"), "t")
    platform.lists.add_entry("sdn", ident("b", IdType.ACCOUNT, "62220000000014"), "t")
    a = public_view(platform.checker.check(CheckRequest(account="62220000000013")))
    b = public_view(platform.checker.check(CheckRequest(account="62220000000014")))
    assert (a.outcome, a.advice_zh, a.advice_en) == (b.outcome, b.advice_zh, b.advice_en)
    assert "96110" in a.advice_zh and "96110" in a.advice_en


def test_every_check_is_logged_masked_for_review(platform: Platform) -> None:
    """The audit log keeps when, which view, the client and the masked query; never the number."""
    from sqlalchemy import select

    from finguard.lists.store.tables import check_log

    platform.checker.check(CheckRequest(account="6222021001122334455"), view="public", client="abc123")
    platform.check_log.flush()
    with platform.engine.connect() as conn:
        row = conn.execute(select(check_log)).one()
    assert (row.view, row.client, row.outcome) == ("public", "abc123", "pass")
    assert row.at is not None and row.query["account"] != "6222021001122334455"
    assert row.query["account"].endswith("4455")


def test_batch_response_has_the_documented_shape(client, admin_key) -> None:  # type: ignore[no-untyped-def]
    from finguard.lists.http.schemas import BatchOut

    body = {"items": [{"account": "6222021001122334455"}, {"account": "bad!"}]}
    r = client.post("/api/v1/check/batch", json=body, headers={"X-API-Key": admin_key})
    assert r.status_code == 200
    parsed = BatchOut.model_validate(r.json())
    assert parsed.results[0].result is not None and parsed.results[1].error is not None


def test_the_name_outcome_stands_beside_the_identifier_outcome(platform: Platform) -> None:
    """A payee check with a name screens it: the result says match / close_match / no_match for the name."""
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    platform.lists.add_entry("sdn", EntryDraft("m", SubjectKind.PERSON, party=Party(names=("MADURO MOROS, Nicolas",))), "t")
    listed = platform.checker.check(CheckRequest(account="62220000000015", name="Nicolas Maduro Moros"))
    assert (listed.outcome, listed.name_outcome) == (Outcome.WARN, "match")
    near = platform.checker.check(CheckRequest(account="62220000000015", name="Nicolas Maduro"))
    assert near.name_outcome in ("match", "close_match") and near.hits[0].matched_value.startswith("MADURO")
    clean = platform.checker.check(CheckRequest(account="62220000000015", name="Li Xiaoming"))
    assert (clean.outcome, clean.name_outcome) == (Outcome.PASS, "no_match")
    assert platform.checker.check(CheckRequest(account="62220000000015")).name_outcome is None


# -- the payee's name: kept screening answers never outlive a list change (#19) ---------------------

MADURO = EntryDraft("m", SubjectKind.PERSON, party=Party(names=("MADURO MOROS, Nicolas",)))


def _name_check(platform: Platform) -> tuple[Outcome, str | None]:
    result = platform.checker.check(CheckRequest(account="62220000000015", name="Nicolas Maduro Moros"))
    return result.outcome, result.name_outcome


def test_a_kept_name_answer_gives_way_to_the_next_list_change(platform: Platform) -> None:
    platform.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    assert _name_check(platform) == (Outcome.PASS, "no_match")
    hits = platform.screener.match_hits
    assert _name_check(platform) == (Outcome.PASS, "no_match")
    assert platform.screener.match_hits == hits + 1  # answered from the kept answer
    entry = platform.lists.add_entry("sdn", MADURO, "t")
    assert _name_check(platform) == (Outcome.WARN, "match")  # the very next check
    assert _name_check(platform) == (Outcome.WARN, "match")
    platform.lists.delist(entry.id, "court order", "t")
    assert _name_check(platform) == (Outcome.PASS, "no_match")


def test_the_name_cache_size_is_a_setting(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path, name_cache_size=0)) as p:
        p.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
        assert _name_check(p) == _name_check(p) == (Outcome.PASS, "no_match")
        assert p.screener.match_cache_stats() == {"hits": 0, "misses": 0, "kept": 0, "capacity": 0}


def test_the_screening_evidence_kept_is_a_setting(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path, screening_evidence_kept=0)) as p:
        p.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
        assert p.screener.evidence_kept == 0
        assert _name_check(p) == (Outcome.PASS, "no_match")


def test_a_kept_name_answer_gives_way_to_a_change_from_another_os_process(settings: Settings) -> None:
    """The other process's change reaches this one through the follower: the first check after the
    follower applied it (here: called at once, as its thread would on its next wake-up) sees it."""
    with Platform(settings) as reader:
        reader.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
        assert _name_check(reader) == _name_check(reader) == (Outcome.PASS, "no_match")
        assert reader.screener.match_hits >= 1
        script = (
            "from finguard.app.platform import Platform; from finguard.core.settings import Settings;"
            "from finguard.lists.model.lists import EntryDraft, Party, SubjectKind;"
            f"p = Platform(Settings(database_url={settings.database_url!r}, demo_on_first_start=False), follow=False);"
            "p.lists.add_entry('sdn', EntryDraft('m', SubjectKind.PERSON, party=Party(names=('MADURO MOROS, Nicolas',))), 'proc');"
            "p.close()"
        )
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
        reader.follower.catch_up()
        assert _name_check(reader) == (Outcome.WARN, "match")


def test_a_process_without_a_follower_is_current_after_building_its_screener(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI command has no follower thread; building the screener from OFAC-sized lists takes longer than
    FINGUARD_MAX_STALENESS_MS, and the command then answered 'unavailable' with current lists."""
    from finguard.screening.provider import build_screener
    from finguard.screening.service import ScreenQuery

    settings = make_settings(db_url, tmp_path, max_staleness_ms=300)
    with Platform(settings) as p:
        p.lists.create_list("own", "Own list", "internal", "risk", "high")
        p.lists.add_entry("own", EntryDraft("k", SubjectKind.PERSON, (), Party(names=("KADYROV, Ramzan",))), "t")

    def slow(*args: object, **kwargs: object) -> object:  # as long as a build from a large list
        time.sleep(0.6)
        return build_screener(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("finguard.screening.provider.build_screener", slow)
    with Platform(settings, follow=False) as cli:
        hits = cli.diligence.screen_name(ScreenQuery("Ramzan Kadyrov"))
        assert [h.outcome for h in hits] == ["match"]


def test_a_change_the_follower_applies_while_the_screener_is_built_reaches_the_screener(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follower thread goes on while the name screener is built (seconds for OFAC-sized lists).
    A change it applied after the build had read the lists, and before the screener was installed,
    reached the index but never the screener: the listed name was not found until a restart."""
    from finguard.screening.provider import build_screener
    from finguard.screening.service import ScreenQuery

    settings = make_settings(db_url, tmp_path)
    with Platform(settings, follow=False) as p:
        p.lists.create_list("own", "Own list", "internal", "risk", "high")
        p.lists.add_entry("own", EntryDraft("k", SubjectKind.PERSON, (), Party(names=("KADYROV, Ramzan",))), "t")

        def built_then_changed(*args: object, **kwargs: object) -> object:
            screener = build_screener(*args, **kwargs)  # type: ignore[arg-type]
            # another process lists a name; the follower applies it before the screener is installed
            with Platform(settings, follow=False) as other:
                other.lists.add_entry("own", EntryDraft("m", SubjectKind.PERSON, (), Party(names=("MADURO MOROS, Nicolas",))), "t")
            p.follower.catch_up()
            return screener

        monkeypatch.setattr("finguard.screening.provider.build_screener", built_then_changed)
        assert [h.outcome for h in p.diligence.screen_name(ScreenQuery("Nicolas Maduro Moros"))] == ["match"]
        assert [h.outcome for h in p.diligence.screen_name(ScreenQuery("Ramzan Kadyrov"))] == ["match"]
        assert p.screener.seq == p.follower.seq

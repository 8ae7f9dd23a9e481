"""No one person can lower an outcome (#18), as a property.

Any sequence of list writes by one teller (adds, level changes, expiry changes and delistings, on
a mule list and an allow list, through ``ListAuthority`` as the API, pages and CLI do) never makes
any account's check answer lower than before: every write that could is held as a pending change.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finguard.access.model import PendingChange, Principal, Role
from finguard.app.platform import Platform
from finguard.core.errors import FinguardError
from finguard.lists.model.check import CheckRequest
from finguard.lists.model.lists import EntryDraft, Identifier, RiskLevel, SubjectKind
from tests.conftest import make_settings

RANK = {"pass": 0, "warn": 1, "block": 2}
TELLER = Principal("key", "teller-1", Role.ANALYST)
LEVELS = st.sampled_from(list(RiskLevel))
_run = itertools.count()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    tmp: Path = tmp_path_factory.mktemp("prop")
    with Platform(make_settings(f"sqlite:///{tmp / 'p.db'}", tmp, delta_screening=False), follow=False) as p:
        yield p


ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "level", "expire", "delist"]),
        st.sampled_from(["mules", "allow"]),
        st.integers(0, 1),  # which account
        LEVELS,
        st.integers(-2, 48),  # hours from now for an expiry
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops)
def test_no_sequence_of_one_teller_s_writes_lowers_any_outcome(
    shared: Platform, sequence: list[tuple[str, str, int, RiskLevel, int]]
) -> None:
    run = next(_run)
    lists = {"mules": f"mules-{run}", "allow": f"allow-{run}"}
    shared.lists.create_list(lists["mules"], "M", "mule_account", "bank", "high")
    shared.lists.create_list(lists["allow"], "A", "allow", "bank", "medium")
    accounts = [f"6222{run:011d}{i:04d}" for i in range(2)]
    idents = [Identifier.parse("account", a) for a in accounts]

    def outcomes() -> list[int]:
        shared.follower.catch_up()  # no follower thread here: confirm the index is current
        return [RANK[shared.checker.check(CheckRequest(account=a), view="staff", client="t").outcome.value] for a in accounts]

    entries: dict[tuple[str, int], int] = {}
    before = outcomes()
    for op, which, i, level, hours in sequence:
        code = lists[which]
        try:
            if op == "add":
                draft = EntryDraft(f"k{i}", SubjectKind.IDENTIFIER, (idents[i],), risk_level=level)
                found = shared.list_authority.add_entry(code, draft, TELLER)
                if not isinstance(found, PendingChange):
                    entries[(which, i)] = found.id
            elif (which, i) in entries:
                entry_id = entries[(which, i)]
                if op == "delist":
                    shared.list_authority.delist(entry_id, "because", TELLER)
                elif op == "level":
                    shared.list_authority.modify_entry(entry_id, {"risk_level": level.label}, TELLER)
                else:
                    expiry = datetime.now(UTC) + timedelta(hours=hours)
                    shared.list_authority.modify_entry(entry_id, {"expires_at": expiry}, TELLER)
        except FinguardError as exc:
            assert exc.status in (409, 422), exc  # refused (a key already listed): nothing changed
            continue
        after = outcomes()
        assert all(b <= a for b, a in zip(before, after, strict=True)), (op, which, i, before, after)
        before = after

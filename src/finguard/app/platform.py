"""Wiring: one :class:`Platform` builds the store, the hot index, the follower and the services.

The API, the CLI, the web pages and library users all go through a Platform, so they share
the same service functions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from finguard.access.model import Principal, Role
from finguard.access.service.accounts import AccountService
from finguard.access.service.approvals import ApprovalService
from finguard.access.service.audit import AuditLog
from finguard.access.service.keys import KeyService
from finguard.access.store import SqlKeyStore
from finguard.access.store.accounts import SqlAccountStore
from finguard.access.store.approvals import SqlApprovalStore
from finguard.access.store.audit import SqlAuditStore, audit_log
from finguard.core.chain import GENESIS, ChainReport
from finguard.core.clock import utcnow
from finguard.core.db import NotAFileDatabase, PgNotifyWaiter, SqliteVersionWaiter, is_sqlite, make_engine, redact_url, upgrade
from finguard.core.errors import InvalidInput
from finguard.core.settings import Settings
from finguard.core.spool import JsonSpool
from finguard.lists.model.lists import Change, RiskLevel
from finguard.lists.service.authority import ListAuthority
from finguard.lists.service.checking import NameCandidate, PayeeChecker
from finguard.lists.service.demo import DEMO_LISTS, demo_rows
from finguard.lists.service.feed import Follower, SleepWaiter, Waiter
from finguard.lists.service.importers import ParsedRow
from finguard.lists.service.importing import ImportGuards, ImportMode, ImportReport, import_rows, read_rows, source_date
from finguard.lists.service.index import HotIndex
from finguard.lists.service.lists import ListService
from finguard.lists.store.check_log import BufferedCheckLog
from finguard.lists.store.repo import SqlListStore, verify_change_log
from finguard.lists.store.tables import change_log
from finguard.monitors.model import MonitorConfig
from finguard.monitors.service import BackgroundStatus, load_config, monitor_ledger_incremental

if TYPE_CHECKING:  # the capabilities load when a command first uses them
    from finguard.alerts.service.cases import CaseService
    from finguard.credit.service import CreditService
    from finguard.guard.service.authority import GuardAuthority
    from finguard.guard.service.engine import GuardService
    from finguard.ledger.service import LedgerService
    from finguard.ledger.service.register import AccountRegister
    from finguard.ledger.store.mirror import LedgerMirror
    from finguard.loans.service import LoanService
    from finguard.loans.service.education import EducationService
    from finguard.loans.service.outreach import OutreachService
    from finguard.monitors.store import SqlMonitorStore
    from finguard.robots.model import RefreshSource
    from finguard.robots.service.robots import RobotService
    from finguard.screening.service.batch import BatchJobs
    from finguard.screening.service.diligence import DiligenceService
    from finguard.screening.service.matcher import NameScreener, Thresholds

log = logging.getLogger(__name__)
DATA = Path(__file__).parents[1] / "data"
SANCTIONS = (
    ("ofac-sdn", "OFAC SDN 美国财政部制裁名单", "ofac", DATA / "ofac-sdn" / "sdn.csv", "US Treasury OFAC"),
    ("un-sc", "联合国安理会综合制裁名单 UN consolidated list", "un", DATA / "un-consolidated.xml", "UN Security Council"),
)


def screening_thresholds(raw: dict[str, dict[str, float]]) -> dict[str, Thresholds]:
    """Per-list thresholds from settings; a bad value stops start-up with the list named."""
    from finguard.screening.service.matcher import Thresholds

    out: dict[str, Thresholds] = {}
    for code, values in raw.items():
        unknown = set(values) - {"match", "close_match"}
        if unknown:
            raise InvalidInput.for_field(
                f"screening_thresholds.{code}", f"unknown key {sorted(unknown)[0]!r}; accepted: match, close_match"
            )
        try:
            out[code] = Thresholds(**values)
        except InvalidInput as exc:
            raise InvalidInput.for_field(f"screening_thresholds.{code}", exc.problems[0].problem if exc.problems else exc.message) from None
    return out


class _LazyNames:
    """The payee check's name matcher, built on the first check by name: a check by identifier
    (and every command that makes none) never pays for analysing the listed names."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def match(self, name: str) -> list[NameCandidate]:
        return self._platform.screener.match(name)


class Platform:
    """The composition root. Every part is built on first use (``cached_property``), so a command
    pays only for what it touches: ``keys create`` opens the database and nothing else; a check
    by identifier loads the hot index; only a name check, screening or delta screening analyses
    the listed names; only the guard loads the model. A serving process (``follow=True``) builds
    the index and the name screener at start, so its first request is as fast as its last."""

    def __init__(self, settings: Settings | None = None, *, follow: bool = True) -> None:
        self.settings = settings or Settings()
        started = time.perf_counter()
        self.engine = make_engine(self.settings.database_url)
        upgrade(self.engine)
        self.list_store = SqlListStore(self.engine)
        self._build_lock = threading.RLock()
        self._screener_lock = threading.Lock()  # installing the name screener vs the follower's changes
        self._screener_pending: list[Change] | None = None
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._delta: threading.Thread | None = None
        self._monitors: threading.Thread | None = None
        self._monitor_config: MonitorConfig | None = None
        self._anchors: threading.Thread | None = None
        self._robots: threading.Thread | None = None
        self._behind_warned = 0.0
        self.monitor_status = BackgroundStatus(self.settings.monitor_incremental_seconds if follow else 0)
        if follow:
            self.follower.start()
            _ = self.screener  # warm: a server's first name check must not wait for the analysis
            if self.settings.delta_screening:
                self._delta = threading.Thread(target=self._delta_screening, name="finguard-delta-screening", daemon=True)
                self._delta.start()
            if self.settings.monitor_incremental_seconds > 0:
                self._monitors = threading.Thread(target=self._monitor_loop, name="finguard-monitors", daemon=True)
                self._monitors.start()
            if self.settings.audit_anchor_path is not None:
                self._anchors = threading.Thread(target=self._anchor_loop, name="finguard-anchors", daemon=True)
                self._anchors.start()
            if self.settings.robots_poll_seconds > 0:
                self._robots = threading.Thread(target=self._robots_loop, name="finguard-robots", daemon=True)
                self._robots.start()
        self.ready_seconds = time.perf_counter() - started

    # -- the risk lists and the payee check ---------------------------------------------------

    @cached_property
    def index(self) -> HotIndex:
        with self._build_lock:
            base, names, seq = self.list_store.load_index()
            self._index_seq = seq
            return HotIndex(base, names)

    @cached_property
    def follower(self) -> Follower:
        with self._build_lock:
            index = self.index
            waiter: Waiter = SleepWaiter()
            poll_ms: float = self.settings.feed_poll_ms
            fallback: str | None = None
            sqlite = is_sqlite(self.engine)
            try:
                if sqlite:
                    # woken by the change log's writes only, not by every commit to the file (#19)
                    waiter = SqliteVersionWaiter(
                        self.settings.database_url, self.settings.feed_poll_ms / 1000, watch="SELECT max(seq) FROM change_log"
                    )
                else:
                    waiter = PgNotifyWaiter(self.settings.database_url)
                # A notification (PostgreSQL) or a changed data_version (SQLite) wakes the follower at
                # once; the read without one only confirms the process is current, so it need not run
                # every few ms (each read costs the serving process CPU and the GIL: 9 % of a core on
                # PostgreSQL, 4 % on SQLite, at 20 ms).
                poll_ms = max(poll_ms, min(self.settings.feed_listen_poll_ms, self.settings.max_staleness_ms / 4))
            except NotAFileDatabase:  # an in-memory database: polling is the design, not a fallback
                pass
            except Exception as exc:  # polling still keeps us current, at more CPU: say so, once
                from finguard.core.http_errors import redact  # the error's text, without secrets or numbers

                what = "SQLite data_version" if sqlite else "PostgreSQL LISTEN"
                fallback = f"{what} unavailable ({type(exc).__name__})"
                log.warning(
                    "%s, polling the change log every %d ms instead: %s",
                    fallback,
                    self.settings.feed_poll_ms,
                    redact(redact_url(str(exc), self.settings.database_url)),
                )
            follower = Follower(
                self.list_store,
                index,
                self._index_seq,
                poll_seconds=poll_ms / 1000,
                fallback_poll_seconds=self.settings.feed_poll_ms / 1000,
                max_staleness=self.settings.max_staleness_ms / 1000,
                waiter=waiter,
                on_apply=self._on_apply,
                fallback=fallback,
            )
            follower.catch_up()
            return follower

    @cached_property
    def screener(self) -> NameScreener:
        from finguard.screening.provider import build_screener

        with self._build_lock:
            # The follower thread goes on applying changes while the screener is built (seconds for
            # OFAC-sized lists): _on_apply keeps them here, and those past what the build read are
            # applied before the screener is installed. Once installed, _on_apply reaches it directly.
            with self._screener_lock:
                self._screener_pending = []
            screener = build_screener(
                self.list_store,
                self.follower.seq,
                screening_thresholds(self.settings.screening_thresholds),
                snapshot_dir=self.settings.index_dir,
                database=self.settings.database_url,
            )
            screener.match_cache = self.settings.name_cache_size  # a snapshot's screener too
            screener.evidence_kept = self.settings.screening_evidence_kept
            with self._screener_lock:
                missed = [c for c in self._screener_pending or () if c.seq > screener.seq]
                self._screener_pending = None
                if missed:
                    screener.apply(missed)
                self.__dict__["screener"] = screener
            # Building it from OFAC-sized lists takes seconds, longer than FINGUARD_MAX_STALENESS_MS: a
            # process without a follower thread (a CLI command) then answered "unavailable" with current
            # lists. Confirm currency now, the screener in place so that changes since reach it.
            self.follower.catch_up()
            return screener

    @cached_property
    def lists(self) -> ListService:
        return ListService(self.list_store, utcnow, on_change=self._catch_up)

    def _catch_up(self) -> None:
        # A write makes the next check in this process see it, once the index exists at all.
        if "follower" in self.__dict__:
            self.follower.catch_up()

    @cached_property
    def check_log(self) -> BufferedCheckLog:
        return BufferedCheckLog(self.engine, spool=self._spool("check_log.jsonl"))

    def log_backlog(self) -> dict[str, int]:
        """Records waiting for this process's check-log and audit-log writers (0 for a log not opened)."""
        found = self.__dict__
        return {name: found[name].pending() if name in found else 0 for name in ("check_log", "audit")}

    def logs_behind(self) -> bool:
        """Whether either log has more records waiting than ``max_log_backlog`` (the HTTP server then
        refuses new requests until it has caught up: :mod:`finguard.core.admission`). Asked for every
        request, so it reads two lengths and nothing else."""
        limit = self.settings.max_log_backlog
        if limit <= 0:
            return False
        found = self.__dict__
        checks, audit = found.get("check_log"), found.get("audit")
        waiting = max(checks.pending() if checks is not None else 0, audit.pending() if audit is not None else 0)
        if waiting <= limit:
            return False
        now = time.monotonic()
        if now - self._behind_warned > 10:
            self._behind_warned = now
            log.warning("the check or audit log is %d records behind (limit %d): refusing new requests until it catches up", waiting, limit)
        return True

    @property
    def list_authority(self) -> ListAuthority:
        """List writes by a person: authority per list kind, maker-checker for lowering changes."""
        _ = self.approvals
        authority: ListAuthority = self.__dict__["_list_authority"]
        return authority

    # -- staff access: keys, accounts, sessions, approvals, the audit log --------------------------

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(SqlAuditStore(self.engine), self._spool("audit_log.jsonl"), utcnow)

    def _spool(self, name: str) -> JsonSpool:
        folder = self.settings.spool_dir
        assert folder is not None  # the settings put it in FINGUARD_HOME when unset
        return JsonSpool(folder / name)

    @cached_property
    def approvals(self) -> ApprovalService:
        # Every capability whose changes can wait for approval registers how to apply them here,
        # so any process (the API, the CLI) can apply an approved change.
        from finguard.guard.service.authority import GuardAuthority

        service = ApprovalService(SqlApprovalStore(self.engine), self.audit, utcnow)
        self.__dict__["_list_authority"] = ListAuthority(self.lists, service)
        self.__dict__["_guard_authority"] = GuardAuthority(lambda: self.guard, service)
        return service

    @property
    def guard_authority(self) -> GuardAuthority:
        """Guard changes by a person: maker-checker for rules, conditions and controls that lower outcomes."""
        _ = self.approvals
        authority: GuardAuthority = self.__dict__["_guard_authority"]
        return authority

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(SqlAccountStore(self.engine), utcnow, self.audit, session_hours=self.settings.session_hours)

    def cli_principal(self) -> Principal:
        """Who the CLI acts as: ``FINGUARD_CLI_ACTOR`` or the operating-system user, never a
        free-text option; a staff account of that name gives the role, otherwise admin."""
        import getpass

        name = self.settings.cli_actor or getpass.getuser()
        user = self.accounts.user(name)
        if user is not None and user.disabled_at is None:
            return Principal("user", user.name, user.role)
        return Principal("os", name, Role.ADMIN)

    def chain_hash_at(self, table: str, seq: int) -> str | None:
        """The stored hash of one row of a chained log (``change_log`` or ``audit_log``)."""
        log_table = {"change_log": change_log, "audit_log": audit_log}[table]
        with self.engine.connect() as conn:
            found = conn.execute(select(log_table.c.row_hash).where(log_table.c.seq == seq)).scalar()
        return str(found) if found is not None else None

    def chain_heads(self) -> dict[str, dict[str, object]]:
        """The last row (sequence and hash) of each chained log: what an anchor records."""
        self.audit.flush()
        heads: dict[str, dict[str, object]] = {}
        with self.engine.connect() as conn:
            for name, table in (("change_log", change_log), ("audit_log", audit_log)):
                row = conn.execute(select(table.c.seq, table.c.row_hash).order_by(table.c.seq.desc()).limit(1)).first()
                heads[name] = {"seq": int(row.seq) if row else 0, "hash": (row.row_hash if row else None) or GENESIS}
        return heads

    def write_anchor(self, path: Path, actor: str, *, verified: bool | None = None) -> dict[str, object]:
        """Append the chains' heads with the time to ``path`` (JSON lines) and to the audit log."""
        anchor: dict[str, object] = {"at": utcnow().isoformat(), "by": actor, "chains": self.chain_heads()}
        if verified is not None:
            anchor["verified"] = verified
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(anchor, ensure_ascii=False) + "\n")
        self.audit.record(actor, "audit.anchor", str(path), anchor, sync=True)
        return anchor

    def _anchor_loop(self) -> None:
        """Every ``audit_anchor_minutes``, append the chains' heads to ``audit_anchor_path`` (a file
        the database's administrators cannot rewrite: a mounted WORM share, a log shipper's input)."""
        path = self.settings.audit_anchor_path
        assert path is not None
        while not self._stop.wait(self.settings.audit_anchor_minutes * 60):
            try:
                self.write_anchor(path, "system:anchor")
            except Exception:
                log.exception("audit anchor failed; the next round tries again")

    def verify_logs(self) -> list[ChainReport]:
        """Walk the change log's and the audit log's hash chains."""
        return [verify_change_log(self.engine), self.audit.verify()]

    @cached_property
    def checker(self) -> PayeeChecker:
        return PayeeChecker(self.list_store, self.index, self.follower, utcnow, names=_LazyNames(self), check_log=self.check_log)

    # -- the other capabilities -----------------------------------------------------------------

    @cached_property
    def keys(self) -> KeyService:
        return KeyService(SqlKeyStore(self.engine), utcnow, audit=self.audit, on_revoke=self._key_revoked)

    def _key_revoked(self, name: str, actor: str) -> None:
        # A page session opened with the key ends with it.
        self.accounts.revoke_sessions(f"key:{name}", actor=actor)

    @cached_property
    def ledger(self) -> LedgerService:
        from finguard.ledger.provider import make_ledger

        return make_ledger(self.engine)

    @cached_property
    def account_register(self) -> AccountRegister:
        """Settlement accounts opened, changed and closed (#13), for the PBOC filing."""
        from finguard.ledger.provider import make_register

        return make_register(self.engine)

    @cached_property
    def guard(self) -> GuardService:
        from finguard.guard.provider import load_models, make_guard
        from finguard.guard.service.engine import GuardConfig

        model, challenger = load_models(self.settings.guard_model_path, self.settings.guard_model_registry)
        return make_guard(
            self.engine,
            self.checker,
            redis_url=self.settings.redis_url,
            model=model,
            challenger=challenger,
            config=GuardConfig(explain_floor=self.settings.guard_explain_floor),
            rates_path=self.settings.guard_rates_path,
        )

    @cached_property
    def diligence(self) -> DiligenceService:
        from finguard.screening.service.diligence import DiligenceService
        from finguard.screening.store import SqlDiligenceStore

        return DiligenceService(SqlDiligenceStore(self.engine), self.list_store, self.screener, self.follower, self.list_store, utcnow)

    @cached_property
    def batch_dd(self) -> BatchJobs:
        """Batch due diligence as background jobs (the staff page), files under FINGUARD_HOME/batch-dd."""
        from finguard.screening.pages.report import render_report
        from finguard.screening.service.batch import BatchJobs
        from finguard.screening.store.batchjobs import FileBatchJobs

        return BatchJobs(
            FileBatchJobs(self.settings.home / "batch-dd"),
            lambda: self.diligence,
            lambda results, problems: render_report(results, problems, "csv", "en")[0],
            utcnow,
        )

    @cached_property
    def loans(self) -> LoanService:
        from finguard.loans.provider import make_loans

        return make_loans(self.engine)

    @cached_property
    def outreach(self) -> OutreachService:
        from finguard.loans.service.outreach import OutreachService
        from finguard.loans.store.outreach import SqlOutreachStore

        # loans may not import the guard: the weak-security segment reads the guard's check-up through this seam
        return OutreachService(SqlOutreachStore(self.engine), self.loans, utcnow, security=self.security_checkup)

    def security_checkup(self, customer_ids: Sequence[str]) -> dict[str, list[tuple[str, str, str]]]:
        """The guard's security check-up of each customer (code, zh, en), without loading the guard's
        models: its controls store and check-up only. One read per customer."""
        from finguard.guard.service.customer import CustomerControlService
        from finguard.guard.store.repo import SqlGuardStore

        controls = CustomerControlService(SqlGuardStore(self.engine), utcnow)
        return {cid: [(a.code, a.zh, a.en) for a in controls.checkup(cid)] for cid in customer_ids}

    @cached_property
    def education(self) -> EducationService:
        from finguard.loans.provider import make_education

        return make_education(self.engine)

    @cached_property
    def credit(self) -> CreditService:
        from finguard.app.signing import IdentitySigningCheck
        from finguard.credit.provider import make_credit
        from finguard.identity.provider import identity_for

        return make_credit(self.engine, home=self.settings.home, face_check=IdentitySigningCheck(lambda: identity_for(self)),
                           cases=lambda: self.cases)  # fmt: skip

    @cached_property
    def cases(self) -> CaseService:
        from finguard.alerts.provider import make_cases
        from finguard.credit.provider import register_approvals

        svc = make_cases(self.engine, attachment_limit=self.settings.case_attachment_max_bytes)
        # Closing a loan_approval case approves or refuses the credit application behind it.
        register_approvals(svc, lambda: self.credit)
        return svc

    @cached_property
    def ledger_mirror(self) -> LedgerMirror:
        # Loaded on the first monitor run, not at start-up: most processes never run one.
        from finguard.ledger.store.mirror import LedgerMirror

        return LedgerMirror(self.engine, self.settings.monitor_mirror_max_transfers)

    @property
    def monitor_config(self) -> MonitorConfig:
        """The thresholds of ``FINGUARD_MONITOR_THRESHOLDS`` (read on first use; a bad file is an
        ``InvalidInput`` naming the setting, for every run until it is fixed)."""
        if self._monitor_config is None:
            try:
                self._monitor_config = load_config(self.settings.monitor_thresholds)
            except InvalidInput as exc:
                raise InvalidInput(
                    f"FINGUARD_MONITOR_THRESHOLDS: {exc}",
                    problems=[replace(p, field=f"FINGUARD_MONITOR_THRESHOLDS:{p.field}") for p in exc.problems],
                ) from None
        return self._monitor_config

    def monitor_store(self) -> SqlMonitorStore:
        """The monitors' store, reading transfers through this process's ledger mirror."""
        from finguard.monitors.store import SqlMonitorStore

        return SqlMonitorStore(self.engine, self.ledger_mirror)

    def _monitor_loop(self) -> None:
        """Run the monitors over new transfers every ``monitor_incremental_seconds``, off the
        request path. A failure is logged with its traceback and shown by
        ``GET /api/v1/monitors/status``; a later round retries from the cursor."""
        interval = self.settings.monitor_incremental_seconds
        failing = 0
        # After failures the wait doubles (up to 64 intervals), so a broken store is not hammered.
        while not self._stop.wait(interval * min(2**failing, 64)):
            try:
                result = monitor_ledger_incremental(self.monitor_store(), utcnow(), self.monitor_config)
            except Exception as exc:
                failing += 1
                log.exception("background monitor run failed (%d in a row)", failing)
                self.monitor_status.failed(utcnow(), exc)
            else:
                failing = 0
                self.monitor_status.ok(utcnow(), result)

    @cached_property
    def robots(self) -> RobotService:
        """The robots (#13): due diligence of the bank's accounts and cards, list freshness, the
        settlement report, the case SLA sweep; their job table, run history and leases."""
        from finguard.lists.service.importing import SourceFormat
        from finguard.robots.model import parse_sources
        from finguard.robots.provider import make_robots
        from finguard.robots.store.fetch import HttpFetcher

        def sources() -> list[RefreshSource]:  # read at each refresh: a bad setting fails that run, naming its field
            return parse_sources(self.settings.list_sources, tuple(SourceFormat))

        return make_robots(
            self.engine,
            list_max_age_hours=self.settings.list_max_age_hours,
            list_sources=sources,
            lists=self.lists,
            import_guards=self.import_guards(),
            fetcher=HttpFetcher(timeout_seconds=self.settings.list_fetch_timeout_seconds, max_bytes=self.settings.list_fetch_max_bytes),
        )

    def _robots_loop(self) -> None:
        """Run the robots that are due every ``robots_poll_seconds``. Leases make it safe for every
        serving process to do so: a job runs in one process at a time."""
        while not self._stop.wait(self.settings.robots_poll_seconds):
            try:
                self.robots.runner.run_due()
            except Exception:
                log.exception("the robots' scheduler round failed; the next round retries")

    def _on_apply(self, changes: list[Change]) -> None:
        with self._screener_lock:
            screener = self.__dict__.get("screener")
            if screener is not None:
                screener.apply(changes)
            elif self._screener_pending is not None:  # being built: installed with these applied
                self._screener_pending.extend(changes)
        self._changed.set()

    def _delta_screening(self) -> None:
        """Re-screen stored parties affected by list changes, off the request path."""
        while not self._stop.is_set():
            if not self._changed.wait(timeout=1.0):
                continue
            self._changed.clear()
            try:
                self.diligence.rescreen_pending()
            except Exception as exc:  # keep the thread; the next change retries from the cursor
                log.warning("delta screening failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._changed.set()
        if self._delta is not None:
            self._delta.join(timeout=10)
        if self._monitors is not None:
            self._monitors.join(timeout=30)
        if self._anchors is not None:
            self._anchors.join(timeout=10)
        if self._robots is not None:
            self._robots.join(timeout=30)
        if "follower" in self.__dict__:
            self.follower.stop()
        if "guard" in self.__dict__:
            self.guard.close()  # the API's batcher decides what it holds, then stops
        if "check_log" in self.__dict__:
            self.check_log.close()
        if "audit" in self.__dict__:
            self.audit.close()
        self.engine.dispose()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def import_file(
        self,
        list_code: str,
        fmt: str,
        path: Path,
        *,
        actor: str | None = None,
        who: Principal | None = None,
        mode: str = "sync",
        skip_bad_rows: bool = False,
        allow_mass_delist: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import a file. By a person (``who``): the list kind's authority applies and changes that
        would lower outcomes are held for approval. By ``actor`` alone: a trusted feed (the demo)."""
        if who is not None:
            return self.list_authority.import_rows(
                list_code,
                read_rows(fmt, path),
                who,
                mode=ImportMode.of(mode),
                skip_bad_rows=skip_bad_rows,
                progress=progress,
                guards=self.import_guards(allow_mass_delist=allow_mass_delist),
                fmt=fmt,
                source=path.name,
                source_date=source_date(fmt, path),
            )
        if actor is None:
            raise ValueError("import_file needs who (a person) or actor (a trusted feed)")
        return import_rows(
            self.lists,
            list_code,
            read_rows(fmt, path),
            actor=actor,
            mode=ImportMode.of(mode),
            skip_bad_rows=skip_bad_rows,
            progress=progress,
            guards=self.import_guards(allow_mass_delist=allow_mass_delist),
            fmt=fmt,
            source=path.name,
            source_date=source_date(fmt, path),
        )

    def import_guards(self, *, allow_mass_delist: bool = False) -> ImportGuards:
        return ImportGuards(
            max_bad_share=self.settings.list_import_max_bad_share,
            max_delist_share=self.settings.list_import_max_delist_share,
            allow_mass_delist=allow_mass_delist,
        )

    def import_rows(
        self, list_code: str, rows: Iterable[ParsedRow], *, actor: str, mode: str = "sync", allow_mass_delist: bool = False
    ) -> ImportReport:
        return import_rows(
            self.lists,
            list_code,
            rows,
            actor=actor,
            mode=ImportMode.of(mode),
            guards=self.import_guards(allow_mass_delist=allow_mass_delist),
        )

    def is_empty(self) -> bool:
        return not self.lists.all_lists()

    def load_demo(self, *, progress: Callable[[str], None] | None = None, sanctions: bool = True) -> list[ImportReport]:
        """Create the demo lists (idempotent) and load them: synthetic Chinese lists plus OFAC and UN."""
        reports = []
        existing = {lst.code for lst in self.lists.all_lists()}
        for demo in DEMO_LISTS:
            if demo.code not in existing:
                self.lists.create_list(demo.code, demo.name, demo.kind, demo.owner, demo.level, demo.description)
            if progress:
                progress(demo.code)
            reports.append(self.import_rows(demo.code, demo_rows(demo.code), actor="demo"))
        if sanctions:
            for code, name, fmt, path, owner in SANCTIONS:
                if code not in existing:
                    self.lists.create_list(code, name, "sanctions", owner, RiskLevel.CRITICAL, f"Real {owner} list shipped for the demo.")
                if progress:
                    progress(code)
                reports.append(self.import_file(code, fmt, path, actor="demo", skip_bad_rows=True))
        return reports

"""Laundering-pattern monitors (#5): typologies, thresholds and the alerts they raise.

Money is integer minor units (fen) throughout; times are epoch seconds (UTC). Every threshold
has a documented default; ``MonitorConfig.with_overrides`` builds a variant from plain values
(a TOML/JSON table, CLI options) and names the field of any bad value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.core.money import format_yuan

HOUR = 3600
DAY = 86400
YUAN = 100  # fen


class Typology(StrEnum):
    FAN_IN = "fan_in"
    FAN_OUT = "fan_out"
    CYCLE = "cycle"
    SCATTER_GATHER = "scatter_gather"
    GATHER_SCATTER = "gather_scatter"
    PASS_THROUGH = "pass_through"
    STACK = "stack"
    DORMANT = "dormant"
    # Long-window typologies over payments out of their payer's habit (#12, ``HabitConfig``).
    STRUCTURING = "structuring"
    SLOW_CYCLE = "slow_cycle"

    @property
    def alert_kind(self) -> str:
        return f"aml_{self.value}"


@dataclass(frozen=True, slots=True)
class FanConfig:
    """Fan-in (many senders to one account) and fan-out (one account to many receivers).

    An account is flagged when, within ``window`` seconds, it deals with at least
    ``min_counterparties`` distinct counterparties for at least ``min_total`` fen, and that
    burst is ``min_burst`` times what its own traffic outside the window would predict (so a
    shop that always receives from many customers is not flagged; 0 turns the test off).
    """

    window: int = 4 * DAY
    min_counterparties: int = 5
    min_total: int = 0
    min_burst: float = 3.0


@dataclass(frozen=True, slots=True)
class GatherScatterConfig:
    """One account gathers from ``min_in`` senders, then scatters to ``min_out`` receivers,
    the outflow starting within ``window`` of the inflow, both bursts against its baseline, and
    at least ``min_total`` fen gathered."""

    window: int = 4 * DAY
    min_in: int = 3
    min_out: int = 3
    min_burst: float = 3.0
    min_total: int = 0


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """A *relay*: an account receives a transfer and sends one on within ``max_delay`` seconds
    (``slack`` seconds earlier is tolerated: booking times of related transfers can be out of
    order), the amount sent being between ``1 - max_shrink`` and ``1 + max_grow`` times the amount
    received. Relays are the steps of cycles, stacks and scatter-gather paths."""

    max_delay: int = 2 * DAY
    slack: int = 0
    max_shrink: float = 0.2
    max_grow: float = 0.05
    min_amount: int = 0


@dataclass(frozen=True, slots=True)
class CycleConfig:
    """Money that comes back to where it started: ``min_length``..``max_length`` hops, each a
    relay (amount within the relay tolerance), all within ``window``. A ring's hops may be booked
    out of order: up to ``slack`` seconds (or the relay's own slack, whichever is larger) of an
    onward transfer before the one that funds it are tolerated. Rings are rare in ordinary
    traffic, so their hops may be smaller than ``relay.min_amount``: ``min_amount`` applies."""

    min_length: int = 2
    max_length: int = 6
    window: int = 10 * DAY
    slack: int = 0
    min_amount: int = 0
    # A ring's own hop delay (#12): slow rings pass the money on weeks apart, longer than the
    # relays of stacks and scatter-gather wait.
    max_hop_delay: int = 2 * DAY


@dataclass(frozen=True, slots=True)
class ScatterGatherConfig:
    """One account sends to ``min_paths`` distinct intermediaries that each relay the money on
    to the same final account, all within ``window``."""

    min_paths: int = 3
    window: int = 10 * DAY


@dataclass(frozen=True, slots=True)
class PassThroughConfig:
    """An account that relays ``min_events`` incoming transfers out again within ``max_delay``
    seconds, the amount out within ``tolerance`` of the amount in, for at least ``min_total`` fen."""

    max_delay: int = DAY
    tolerance: float = 0.1
    min_events: int = 2
    min_total: int = 0


@dataclass(frozen=True, slots=True)
class StackConfig:
    """A layering chain: ``min_hops`` or more consecutive relays through distinct accounts."""

    min_hops: int = 3
    max_hops: int = 8


@dataclass(frozen=True, slots=True)
class DormantConfig:
    """An account silent for ``min_silence`` seconds (with earlier activity) that then moves at
    least ``min_total`` fen within ``window`` seconds, and at least ``min_ratio`` times its
    largest earlier transfer."""

    min_silence: int = 180 * DAY
    window: int = 7 * DAY
    min_total: int = 50_000 * YUAN
    min_ratio: float = 5.0


@dataclass(frozen=True, slots=True)
class NoveltyConfig:
    """First contacts. A transfer is a *first contact* when its two accounts exchanged no money,
    either way, between ``lookback`` and ``min_age`` seconds before it (contacts younger than
    ``min_age`` belong to the activity being judged, not to an established relationship).
    Ordinary traffic mostly repeats relationships (salary, rent, the usual shops and suppliers);
    laundering moves money between accounts that had none. With ``lookback`` above 0, fan-in,
    fan-out and gather-scatter count only first-contact counterparties, and a relay needs
    ``relay_legs`` (0, 1 or 2) of its two transfers to be first contacts. 0 turns the test off:
    every transfer counts."""

    lookback: int = 0
    min_age: int = 10 * DAY
    relay_legs: int = 2


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Optional pre-filter (off by default): analyse only *split* payments, i.e. transfers with
    at least ``min_parts`` transfers between the same two accounts within ``window`` seconds
    (one sum cut into pieces, a structuring red flag). Useful where ordinary traffic is dense."""

    min_parts: int = 0
    window: int = DAY


@dataclass(frozen=True, slots=True)
class BaselineConfig:
    """Optional pre-filter (off by default): analyse only transfers whose amount is unusual for
    their sender, i.e. more than ``min_ratio`` times, or less than ``1 / min_ratio`` times, the
    median amount of the sender's transfers (senders with fewer than ``min_history`` transfers
    have no baseline: all their transfers are kept). Useful where each account pays steady
    amounts and laundering payments break the habit (AMLSim's accounts each send one amount)."""

    min_ratio: float = 0.0
    min_history: int = 3
    # Ordinary repetitive traffic (#12): a transfer whose sender pays that exact amount on at
    # least ``routine_days`` different days (salaries, rent, standing orders) is left out; 0 turns it off.
    routine_days: int = 0


@dataclass(frozen=True, slots=True)
class HabitConfig:
    """Each payer's habit (#12): the amounts it usually pays, over every transfer it made in the
    analysed columns (routine ones included). The payer's *usual amount* is the median, over the
    days it paid, of that day's median amount (in logarithms, so a sum cut into pieces on one day
    weighs as one day); its *spread* is the median absolute deviation (MAD) of those day values.
    A transfer is *out of habit* when its payer paid on at least ``min_days`` days and the
    transfer's modified z-score, ``0.6745 * |ln amount - ln usual| / MAD`` (Iglewicz and
    Hoaglin's outlier rule), exceeds ``z`` and the amount is at least ``min_ratio`` times larger or
    smaller than the usual amount (the floor that decides when the spread is 0: a payer that
    always pays one amount). Payers with fewer days have no habit to break: none of their
    transfers is out of habit. The structuring and slow-cycle monitors count only transfers out
    of habit; 0 ``min_days`` turns them off."""

    min_days: int = 3
    z: float = 3.5
    min_ratio: float = 2.0


@dataclass(frozen=True, slots=True)
class StructuringConfig:
    """Payments cut into pieces (structuring, "smurfing"): at least ``min_pieces`` transfers from
    one payer to one payee, each within ``piece_window`` seconds of the previous one and each
    out of the payer's habit (``HabitConfig``). One alert per payee and stretch of such payments
    (no gap longer than ``window``), naming every payer that structured into it (a funnel when
    they are several); at least ``min_payers`` payers. 0 ``min_pieces`` turns it off."""

    min_pieces: int = 2
    piece_window: int = DAY
    window: int = 90 * DAY
    min_payers: int = 1


@dataclass(frozen=True, slots=True)
class SlowCycleConfig:
    """Slow rings (#12): money that comes back to its origin through ``min_length``..
    ``max_length`` transfers through distinct accounts, each out of its payer's habit
    (``HabitConfig``), all within ``window`` seconds of one another and booked in any order
    (slow rings pass money on weeks apart, and a ring's hops need not be booked in the order the
    money went round); each hop's amount within ``1 - tolerance``..``1 + tolerance`` times the
    hop before it. No first-contact test and no floor: the habit test is the baseline."""

    min_length: int = 3
    max_length: int = 12
    window: int = 180 * DAY
    tolerance: float = 0.2


@dataclass(frozen=True, slots=True)
class ReportingConfig:
    """Every amount is converted to ``currency`` at its day's rate before anything is compared
    (``service.rates``: the ECB reference rates); every money threshold is in its minor units.
    A transfer in a currency without a rate that day is left out and counted, never compared as
    if it were in the reporting currency."""

    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class LimitConfig:
    """Bounded work around hub accounts: at most ``max_branch`` onward transfers are followed
    from any one transfer, at most ``max_paths`` partial paths are kept per monitor, and an alert
    lists at most ``max_alert_edges`` transfers. Any cut sets the alert's or run's ``truncated``."""

    max_branch: int = 64
    max_paths: int = 4_000_000
    max_alert_edges: int = 200


# The thresholds every run that names none of its own uses (#12): the API, the staff page, the
# background runs, the CLI without --config (``default_config``). Chosen from the typologies'
# definitions (an AMLworld attempt spans at most 4 days, a hop 3.9; rings may be slow: 90 days,
# a month between hops, booked up to 2 days out of order), first contacts and routine payments
# as the per-account baseline, floors in yuan (the reporting currency) that leave out ordinary
# purchases and gifts, and checked on held-out data (bench/monitors/defaults.py, docs/monitors.md).
# The habit typologies (structuring, slow cycles) count only transfers out of their payer's habit,
# with long windows and no floor: Iglewicz and Hoaglin's modified z-score cut (3.5), a factor of 2
# when a payer always pays one amount, three days of history (the baseline pre-filter's
# ``min_history``); two pieces within a day; rings within 180 days (chosen on AMLSim half A among
# 60 / 90 / 180), hops within the relays' 20 % (AMLworld's hop factors).
# ``MonitorConfig()`` itself holds each monitor's building-block thresholds, which its
# specification tests are written at.
DEFAULTS: dict[str, dict[str, Any]] = {
    "novelty": {"lookback": 56 * DAY, "min_age": 10 * DAY, "relay_legs": 2},
    "baseline": {"routine_days": 2},
    "fan_in": {"min_counterparties": 2, "min_burst": 3.0, "window": 4 * DAY, "min_total": 35_000 * YUAN},
    "fan_out": {"min_counterparties": 2, "min_burst": 3.0, "window": 4 * DAY, "min_total": 35_000 * YUAN},
    "gather_scatter": {"min_in": 2, "min_out": 2, "min_burst": 3.0, "window": 4 * DAY, "min_total": 35_000 * YUAN},
    "relay": {"max_delay": 4 * DAY, "max_shrink": 0.2, "max_grow": 0.2, "min_amount": 7_000 * YUAN},
    "cycle": {"min_length": 2, "max_length": 12, "window": 90 * DAY, "max_hop_delay": 30 * DAY, "slack": 2 * DAY, "min_amount": 0},
    "stack": {"min_hops": 2},
    "scatter_gather": {"min_paths": 2, "window": 5 * DAY},
    "pass_through": {"min_events": 1, "tolerance": 0.2, "max_delay": 4 * DAY, "min_total": 7_000 * YUAN},
    "habit": {"min_days": 3, "z": 3.5, "min_ratio": 2.0},
    "structuring": {"min_pieces": 2, "piece_window": DAY, "window": 90 * DAY, "min_payers": 1},
    "slow_cycle": {"min_length": 3, "max_length": 12, "window": 180 * DAY, "tolerance": 0.2},
    "reporting": {"currency": "CNY"},
}


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    fan_in: FanConfig = field(default_factory=FanConfig)
    fan_out: FanConfig = field(default_factory=FanConfig)
    gather_scatter: GatherScatterConfig = field(default_factory=GatherScatterConfig)
    relay: RelayConfig = field(default_factory=RelayConfig)
    cycle: CycleConfig = field(default_factory=CycleConfig)
    scatter_gather: ScatterGatherConfig = field(default_factory=ScatterGatherConfig)
    pass_through: PassThroughConfig = field(default_factory=PassThroughConfig)
    stack: StackConfig = field(default_factory=StackConfig)
    dormant: DormantConfig = field(default_factory=DormantConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    novelty: NoveltyConfig = field(default_factory=NoveltyConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    habit: HabitConfig = field(default_factory=HabitConfig)
    structuring: StructuringConfig = field(default_factory=StructuringConfig)
    slow_cycle: SlowCycleConfig = field(default_factory=SlowCycleConfig)
    reporting: ReportingConfig = field(default_factory=ReportingConfig)
    limits: LimitConfig = field(default_factory=LimitConfig)

    def with_overrides(self, values: dict[str, Any]) -> MonitorConfig:
        """``{"fan_in": {"window": 86400}, ...}`` -> a new config; unknown or bad values are refused."""
        problems: list[FieldProblem] = []
        sections: dict[str, Any] = {}
        for name, table in values.items():
            current = getattr(self, name, None) if name in _SECTIONS else None
            if current is None:
                problems.append(FieldProblem(name, f"unknown section; accepted: {', '.join(_SECTIONS)}"))
                continue
            if not isinstance(table, dict):
                problems.append(FieldProblem(name, "must be a table of threshold values"))
                continue
            changes: dict[str, Any] = {}
            fields = {f.name: f for f in dataclasses.fields(current)}
            for key, value in table.items():
                f = fields.get(key)
                if f is None:
                    problems.append(FieldProblem(f"{name}.{key}", f"unknown threshold; accepted: {', '.join(fields)}"))
                    continue
                default = getattr(current, key)
                if isinstance(default, str):
                    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isupper()):
                        problems.append(FieldProblem(f"{name}.{key}", f"must be a 3-letter currency code such as CNY, got {value!r}"))
                    else:
                        changes[key] = value
                    continue
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                if ok and isinstance(default, int) and not isinstance(value, int):
                    ok = float(value).is_integer()
                    value = int(value)
                if not ok:
                    problems.append(FieldProblem(f"{name}.{key}", f"must be a number >= 0, got {value!r}"))
                    continue
                changes[key] = type(default)(value)
            if changes:
                sections[name] = dataclasses.replace(current, **changes)
        if problems:
            raise InvalidInput("invalid monitor thresholds", problems=problems)
        out = dataclasses.replace(self, **sections)
        out.validate()
        return out

    def validate(self) -> None:
        problems: list[FieldProblem] = []
        if self.cycle.min_length < 2 or self.cycle.max_length < self.cycle.min_length:
            problems.append(FieldProblem("cycle.max_length", "needs 2 <= min_length <= max_length"))
        if self.cycle.max_length > 12:
            problems.append(FieldProblem("cycle.max_length", "at most 12 hops are searched"))
        if self.stack.min_hops < 2 or self.stack.max_hops < self.stack.min_hops:
            problems.append(FieldProblem("stack.max_hops", "needs 2 <= min_hops <= max_hops"))
        if self.relay.max_shrink >= 1:
            problems.append(FieldProblem("relay.max_shrink", "must be below 1"))
        if self.limits.max_branch < 1 or self.limits.max_alert_edges < 1 or self.limits.max_paths < 1:
            problems.append(FieldProblem("limits", "every limit must be at least 1"))
        if self.novelty.lookback and self.novelty.min_age >= self.novelty.lookback:
            problems.append(FieldProblem("novelty.min_age", "must be shorter than novelty.lookback"))
        if 0 < self.baseline.min_ratio <= 1:
            problems.append(FieldProblem("baseline.min_ratio", "must be above 1 (or 0 to turn the pre-filter off)"))
        if self.novelty.relay_legs > 2:
            problems.append(FieldProblem("novelty.relay_legs", "is 0, 1 or 2 (transfers of a relay that must be first contacts)"))
        if self.slow_cycle.min_length < 2 or self.slow_cycle.max_length < self.slow_cycle.min_length:
            problems.append(FieldProblem("slow_cycle.max_length", "needs 2 <= min_length <= max_length"))
        if self.slow_cycle.max_length > 12:
            problems.append(FieldProblem("slow_cycle.max_length", "at most 12 hops are searched"))
        if self.slow_cycle.tolerance >= 1:
            problems.append(FieldProblem("slow_cycle.tolerance", "must be below 1"))
        if self.habit.min_ratio < 1:
            problems.append(FieldProblem("habit.min_ratio", "must be at least 1 (times larger or smaller than the usual amount)"))
        if self.structuring.min_pieces == 1:
            problems.append(FieldProblem("structuring.min_pieces", "is 0 (off) or at least 2 (a sum cut into pieces)"))
        if self.structuring.min_payers < 1:
            problems.append(FieldProblem("structuring.min_payers", "must be at least 1"))
        for name in ("fan_in", "fan_out"):
            if getattr(self, name).min_counterparties < 1:
                problems.append(FieldProblem(f"{name}.min_counterparties", "must be at least 1"))
        if problems:
            raise InvalidInput("invalid monitor thresholds", problems=problems)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = tuple(f.name for f in dataclasses.fields(MonitorConfig))


@dataclass(frozen=True, slots=True)
class FlowEdge:
    """One transfer of an alert's subgraph. ``row`` is its position in the analysed columns."""

    row: int
    src: int
    dst: int
    amount_fen: int
    ts: int


@dataclass(frozen=True, slots=True)
class PatternAlert:
    """A laundering shape found around ``subject`` (an account code). ``accounts`` are every
    account of the subgraph, ``edges`` its transfers (at most ``limits.max_alert_edges``)."""

    typology: Typology
    subject: int
    accounts: tuple[int, ...]
    edges: tuple[FlowEdge, ...]
    start: int
    end: int
    total_fen: int
    measure: int  # counterparties, hops, paths or relays: the figure the threshold is on
    truncated: bool = False

    def key(self) -> tuple[str, int, tuple[int, ...]]:
        """Identity for comparing runs: typology, subject and the transfers involved."""
        return (self.typology.value, self.subject, tuple(sorted(e.row for e in self.edges)))


def distinct_alerts(alerts: list[PatternAlert]) -> list[PatternAlert]:
    """The alerts without repeats (#12): one shape found from several of its transfers (a ring
    from each of its hops) is one alert, the one the store keeps; counts are counted after this."""
    seen: set[tuple[object, ...]] = set()
    out: list[PatternAlert] = []
    for a in alerts:
        # What the store's fingerprint holds: typology, subject and each transfer's accounts, time and amount.
        key = (a.typology, a.subject, *sorted((e.src, e.dst, e.ts, e.amount_fen) for e in a.edges))
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _yuan(fen: int) -> str:
    return format_yuan(fen)  # exact: never through a float


def _span(seconds: int) -> tuple[str, str]:
    if seconds < 2 * HOUR:
        m = max(1, round(seconds / 60))
        return f"{m} minutes", f"{m} 分钟"
    if seconds < 2 * DAY:
        h = round(seconds / HOUR)
        return f"{h} hours", f"{h} 小时"
    d = round(seconds / DAY, 1)
    return f"{d:g} days", f"{d:g} 天"


def explain(alert: PatternAlert, name: str) -> tuple[str, str]:
    """The plain-language reason, English and Chinese. ``name`` is the subject's account id."""
    en_span, zh_span = _span(alert.end - alert.start)
    total, n, others = _yuan(alert.total_fen), alert.measure, len(alert.accounts) - 1
    t = alert.typology
    if t is Typology.FAN_IN:
        en = f"Account {name} received {total} from {n} different accounts within {en_span}."
        zh = f"账户 {name} 在 {zh_span} 内收到 {n} 个不同账户转入，共 {total} 元。"
    elif t is Typology.FAN_OUT:
        en = f"Account {name} sent {total} to {n} different accounts within {en_span}."
        zh = f"账户 {name} 在 {zh_span} 内向 {n} 个不同账户转出，共 {total} 元。"
    elif t is Typology.GATHER_SCATTER:
        en = f"Account {name} gathered money from several accounts and scattered {total} to others within {en_span} ({others} accounts)."
        zh = f"账户 {name} 先从多个账户集中收款，再在 {zh_span} 内分散转出 {total} 元（涉及 {others} 个账户）。"
    elif t is Typology.SCATTER_GATHER:
        en = f"Account {name} split money across {n} intermediaries that passed {total} on to one account within {en_span}."
        zh = f"账户 {name} 把资金分给 {n} 个中间账户，这些账户在 {zh_span} 内将共 {total} 元汇集到同一账户。"
    elif t is Typology.CYCLE:
        en = f"Money left account {name} and came back to it through {n} transfers within {en_span} ({total} moved in total)."
        zh = f"资金从账户 {name} 转出，经 {n} 笔转账在 {zh_span} 内回到该账户（共流转 {total} 元）。"
    elif t is Typology.PASS_THROUGH:
        en = f"Account {name} passed {n} incoming transfers straight out again at nearly the same amount ({total}, within {en_span})."
        zh = f"账户 {name} 有 {n} 笔入账很快以几乎相同的金额转出（共 {total} 元，{zh_span} 内），呈过渡账户特征。"
    elif t is Typology.STACK:
        en = f"Money from account {name} was layered through a chain of {n} transfers across {others} accounts within {en_span} ({total})."
        zh = f"资金从账户 {name} 经 {n} 笔连续转账、{others} 个账户层层转移（{zh_span} 内，共 {total} 元）。"
    elif t is Typology.STRUCTURING:
        pieces = len(alert.edges)
        en = (
            f"Account {name} received {total} from {n} account(s) in {pieces} payments cut into pieces on the same day, "
            f"each unlike what its payer usually pays (within {en_span})."
        )
        zh = f"账户 {name} 在 {zh_span} 内收到 {n} 个账户拆分成 {pieces} 笔的同日转账，共 {total} 元，金额均与付款方平时的转账明显不同。"
    elif t is Typology.SLOW_CYCLE:
        en = (
            f"Money left account {name} and came back to it through {n} transfers at similar amounts, each unlike what its "
            f"payer usually pays, booked within {en_span} ({total} moved in total)."
        )
        zh = (
            f"资金从账户 {name} 转出，经 {n} 笔金额相近、且与各付款方平时转账明显不同的转账，"
            f"在 {zh_span} 内回到该账户（共流转 {total} 元）。"
        )
    else:
        en = f"Account {name} was dormant and then moved {total} within {en_span}."
        zh = f"账户 {name} 长期休眠后在 {zh_span} 内突然划转 {total} 元。"
    if alert.truncated:
        en += " (Work was capped around a very busy account: the subgraph shown is partial.)"
        zh += "（涉及交易量极大的账户，分析有截断，图中所示为部分交易。）"
    return en, zh


def default_config() -> MonitorConfig:
    """The documented defaults (``DEFAULTS`` over the building blocks)."""
    return MonitorConfig().with_overrides(DEFAULTS)

"""Customer security controls: night lock, region lock, per-channel limits, cooling-off for new payees.

A customer sets them through their channel. Tightening a protection takes effect at once.
Loosening one (switching it off, widening a window, raising a limit, allowing a region) takes
effect only after a delay, 24 hours by default, unless confirmed at a branch: a fraudster
coaching a victim on the phone cannot get the locks off in time. Until then the old setting
stays in force and the requested one waits in ``pending`` until ``pending_off_until``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from finguard.core.errors import InvalidInput
from finguard.guard.model.decision import Outcome, Reason, ReasonKind
from finguard.guard.model.events import CHANNELS, REGION, Event, EventType, parse_amount

DEFAULT_DELAY = timedelta(hours=24)
DEFAULT_TZ = "Asia/Shanghai"
# Region lock applies to these; an incoming transfer or a repayment is no threat to the customer.
REGION_LOCKED = frozenset(EventType) - {EventType.LOAN_REPAYMENT}


class LockMode(StrEnum):
    BLOCK = "block"  # no outgoing transfer in the window
    CAP = "cap"  # outgoing transfers above ``cap`` are blocked in the window


@dataclass(frozen=True, slots=True)
class NightLock:
    enabled: bool = False
    start: time = time(0, 0)
    end: time = time(6, 0)
    timezone: str = DEFAULT_TZ
    mode: LockMode = LockMode.BLOCK
    cap: Decimal = Decimal("0")

    def minutes(self) -> frozenset[int]:
        """Minutes of the day inside the window [start, end), which may wrap past midnight."""
        a, b = self.start.hour * 60 + self.start.minute, self.end.hour * 60 + self.end.minute
        return frozenset(range(a, b)) if a <= b else frozenset(range(a, 1440)) | frozenset(range(b))

    def at_least_as_strict_as(self, old: NightLock) -> bool:
        if not old.enabled:
            return True
        if not self.enabled or self.timezone != old.timezone or not self.minutes() >= old.minutes():
            return False
        if self.mode is LockMode.BLOCK:
            return True
        return old.mode is LockMode.CAP and self.cap <= old.cap


def _covered(region: str, allowed: tuple[str, ...]) -> bool:
    return any(region == a or region.startswith(a + "-") for a in allowed)


@dataclass(frozen=True, slots=True)
class RegionLock:
    enabled: bool = False
    allowed: tuple[str, ...] = ("CN",)  # a country covers its provinces: CN covers CN-GD
    unknown: Outcome = Outcome.REVIEW  # what an event of unknown region gets

    def at_least_as_strict_as(self, old: RegionLock) -> bool:
        if not old.enabled:
            return True
        if not self.enabled:
            return False
        return all(_covered(r, old.allowed) for r in self.allowed) and self.unknown.rank >= old.unknown.rank


@dataclass(frozen=True, slots=True)
class ChannelLimit:
    channel: str
    single: Decimal | None = None  # the most one outgoing payment may be; None: no limit
    daily: Decimal | None = None  # the most in any 24 hours


def _le(new: Decimal | None, old: Decimal | None) -> bool:
    return old is None or (new is not None and new <= old)


@dataclass(frozen=True, slots=True)
class Limits:
    channels: tuple[ChannelLimit, ...] = ()

    @property
    def enabled(self) -> bool:
        return any(c.single is not None or c.daily is not None for c in self.channels)

    def for_channel(self, channel: str) -> ChannelLimit | None:
        return next((c for c in self.channels if c.channel == channel), None)

    def at_least_as_strict_as(self, old: Limits) -> bool:
        for o in old.channels:
            n = self.for_channel(o.channel) or ChannelLimit(o.channel)
            if not (_le(n.single, o.single) and _le(n.daily, o.daily)):
                return False
        return True


@dataclass(frozen=True, slots=True)
class CoolingOff:
    enabled: bool = False
    hours: int = 24  # a payee first paid less than this long ago is new
    cap: Decimal = Decimal("0")  # payments to a new payee above this are held

    def at_least_as_strict_as(self, old: CoolingOff) -> bool:
        if not old.enabled:
            return True
        return self.enabled and self.hours >= old.hours and self.cap <= old.cap


T = TypeVar("T", NightLock, RegionLock, Limits, CoolingOff)


@dataclass(frozen=True, slots=True)
class Protection(Generic[T]):
    """A protection in force, and a loosening waiting for its delay to pass."""

    current: T
    pending: T | None = None
    pending_off_until: datetime | None = None

    def effective(self, at: datetime) -> T:
        if self.pending is not None and self.pending_off_until is not None and at >= self.pending_off_until:
            return self.pending
        return self.current

    def settled(self, at: datetime) -> Protection[T]:
        return Protection(self.effective(at)) if self.pending is not None and self.effective(at) is self.pending else self

    def request(self, new: T, now: datetime, *, at_branch: bool, delay: timedelta) -> Protection[T]:
        base = self.settled(now)
        if at_branch or new.at_least_as_strict_as(base.current):
            return Protection(new)
        if base.pending == new and base.pending_off_until is not None:
            return base  # asking again does not restart the clock
        return Protection(base.current, new, now + delay)


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """What a customer asks for: the four protections as they want them."""

    night_lock: NightLock = NightLock()
    region_lock: RegionLock = RegionLock()
    limits: Limits = Limits()
    cooling_off: CoolingOff = CoolingOff()


@dataclass(frozen=True, slots=True)
class CustomerControls:
    customer_id: str
    night_lock: Protection[NightLock] = field(default_factory=lambda: Protection(NightLock()))
    region_lock: Protection[RegionLock] = field(default_factory=lambda: Protection(RegionLock()))
    limits: Protection[Limits] = field(default_factory=lambda: Protection(Limits()))
    cooling_off: Protection[CoolingOff] = field(default_factory=lambda: Protection(CoolingOff()))
    version: int = 0
    updated_at: datetime | None = None

    def effective(self, at: datetime) -> ControlSettings:
        return ControlSettings(
            self.night_lock.effective(at), self.region_lock.effective(at), self.limits.effective(at), self.cooling_off.effective(at)
        )


def apply_change(
    current: CustomerControls, requested: ControlSettings, now: datetime, *, at_branch: bool = False, delay: timedelta = DEFAULT_DELAY
) -> CustomerControls:
    """The controls after a customer's request: tightening now, loosening after ``delay``."""
    return replace(
        current,
        night_lock=current.night_lock.request(requested.night_lock, now, at_branch=at_branch, delay=delay),
        region_lock=current.region_lock.request(requested.region_lock, now, at_branch=at_branch, delay=delay),
        limits=current.limits.request(requested.limits, now, at_branch=at_branch, delay=delay),
        cooling_off=current.cooling_off.request(requested.cooling_off, now, at_branch=at_branch, delay=delay),
        version=current.version + 1,
        updated_at=now,
    )


@dataclass(frozen=True, slots=True)
class ControlContext:
    """What the controls need beyond the event, from the velocity features."""

    daily_out: Decimal | None = None  # paid out on this channel in the 24 hours before; None: unknown
    payee_first_seen: datetime | None = None  # when this customer first paid this payee
    amount_cny: Decimal | None = None  # the event's amount in yuan (the caps and limits are); None: as sent
    unconverted: bool = False  # the amount is in a currency without a rate: no cap can be checked


def _reason(code: str, detail: str, outcome: Outcome, **values: Any) -> Reason:
    return Reason(ReasonKind.CONTROL, code, detail, outcome, 0.0, values)


def evaluate(controls: CustomerControls | None, event: Event, ctx: ControlContext) -> list[Reason]:
    """The reasons the customer's controls give for this event (empty: none applies)."""
    if controls is None:
        return []
    at = event.occurred_at
    s = controls.effective(at)
    out: list[Reason] = []
    if s.region_lock.enabled and event.type in REGION_LOCKED and not (event.type is EventType.TRANSFER and event.direction == "in"):
        where = event.where
        if where is None:
            if s.region_lock.unknown is not Outcome.ALLOW:
                out.append(_reason("region_lock_unknown", "region lock on and the event's region is unknown", s.region_lock.unknown))
        elif not _covered(where, s.region_lock.allowed):
            out.append(
                _reason(
                    "region_lock", f"region lock: {where} is not allowed", Outcome.BLOCK, region=where, allowed=list(s.region_lock.allowed)
                )
            )
    if not event.is_outgoing or event.amount is None:
        return out
    if ctx.unconverted:
        if s.night_lock.enabled or s.limits.enabled or s.cooling_off.enabled:
            out.append(
                _reason(
                    "amount_not_converted",
                    f"the customer's caps and limits are in yuan and {event.currency} has no rate: hold until checked",
                    Outcome.HOLD,
                    currency=event.currency,
                )
            )
        return out
    amount = ctx.amount_cny if ctx.amount_cny is not None else event.amount
    night = s.night_lock
    if night.enabled:
        local = at.astimezone(ZoneInfo(night.timezone))
        if local.hour * 60 + local.minute in night.minutes():
            window = f"{night.start:%H:%M}-{night.end:%H:%M} {night.timezone}"
            if night.mode is LockMode.BLOCK:
                out.append(
                    _reason("night_lock", f"night lock {window}: outgoing payments blocked", Outcome.BLOCK, local_time=f"{local:%H:%M}")
                )
            elif amount > night.cap:
                out.append(
                    _reason(
                        "night_lock_cap",
                        f"night lock {window}: amount above the night cap",
                        Outcome.BLOCK,
                        amount=str(amount),
                        cap=str(night.cap),
                        local_time=f"{local:%H:%M}",
                    )
                )
    limit = s.limits.for_channel(event.channel)
    if limit is not None and limit.single is not None and amount > limit.single:
        out.append(
            _reason(
                "single_limit",
                f"above the {event.channel} single-payment limit",
                Outcome.BLOCK,
                amount=str(amount),
                limit=str(limit.single),
            )
        )
    if limit is not None and limit.daily is not None:
        if ctx.daily_out is None:
            out.append(_reason("daily_limit_unknown", "the 24-hour total cannot be read to apply the daily limit", Outcome.REVIEW))
        elif ctx.daily_out + amount > limit.daily:
            out.append(
                _reason(
                    "daily_limit",
                    f"above the {event.channel} 24-hour limit",
                    Outcome.BLOCK,
                    amount=str(amount),
                    paid_24h=str(ctx.daily_out),
                    limit=str(limit.daily),
                )
            )
    cool = s.cooling_off
    if cool.enabled and event.payee is not None and event.payee.key is not None and amount > cool.cap:
        first = ctx.payee_first_seen
        if first is None or at - first < timedelta(hours=cool.hours):
            out.append(
                _reason(
                    "cooling_off",
                    f"new payee within the {cool.hours}-hour cooling-off period",
                    Outcome.HOLD,
                    first_paid=first.isoformat() if first else None,
                    amount=str(amount),
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Advice:
    code: str
    zh: str
    en: str


_ADVICE: dict[str, tuple[str, str]] = {
    "night_lock": (
        "夜间锁未开启：建议开启夜间锁，夜间（如 0:00-6:00）禁止或限额对外转账。",
        "Night lock is off: switch it on to block or cap transfers at night.",
    ),
    "region_lock": (
        "地区锁未开启：建议只允许在常用地区（如中国大陆）使用账户。",
        "Region lock is off: allow only the regions where you use your account.",
    ),
    "limits": (
        "未设置转账限额：建议为手机银行和网银设置单笔及日累计限额。",
        "No transfer limits set: set single and daily limits for mobile and online banking.",
    ),
    "cooling_off": (
        "新收款人冷静期未开启：建议开启，向新收款人的大额转账将延迟并与您核实。",
        "Cooling-off for new payees is off: switch it on so large payments to new payees are held and confirmed.",
    ),
    "pending": (
        "有保护措施将在 {until} 关闭。如非本人操作或有人电话指导您关闭，请立即联系银行或拨打 96110。",
        "A protection will switch off at {until}. "
        "If you did not ask for this or someone on the phone told you to, call the bank or 96110 now.",
    ),
}


def checkup(controls: CustomerControls | None, now: datetime) -> list[Advice]:
    """The security check-up: which protections are off (or about to be) and what to switch on."""
    c = controls or CustomerControls("")
    s = c.effective(now)
    out = [
        Advice(code, *_ADVICE[code])
        for code, on in (
            ("night_lock", s.night_lock.enabled),
            ("region_lock", s.region_lock.enabled),
            ("limits", s.limits.enabled),
            ("cooling_off", s.cooling_off.enabled),
        )
        if not on
    ]
    pending = [
        p.pending_off_until
        for p in (c.night_lock, c.region_lock, c.limits, c.cooling_off)
        if p.pending_off_until and p.pending_off_until > now
    ]
    if pending:
        until = min(d for d in pending if d is not None).isoformat(timespec="minutes")
        zh, en = _ADVICE["pending"]
        out.append(Advice("pending", zh.format(until=until), en.format(until=until)))
    return out


# -- the JSON form (stored rows and the API) ------------------------------------------------


def _money(raw: object, name: str) -> Decimal | None:
    return None if raw is None else parse_amount(raw, name)


def _clock(raw: object, name: str) -> time:
    try:
        return time.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput.for_field(name, "must be a time of day HH:MM") from None


def settings_from_dict(data: Mapping[str, Any]) -> ControlSettings:
    """Parse the four protections from their JSON form, naming the first bad field."""
    n = data.get("night_lock") or {}
    tz = str(n.get("timezone", DEFAULT_TZ))
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        raise InvalidInput.for_field("night_lock.timezone", f"{tz[:40]!r} is not an IANA time zone such as Asia/Shanghai") from None
    try:
        mode = LockMode(n.get("mode", "block"))
    except ValueError:
        raise InvalidInput.for_field("night_lock.mode", "must be 'block' or 'cap'") from None
    night = NightLock(
        bool(n.get("enabled", False)),
        _clock(n.get("start", "00:00"), "night_lock.start"),
        _clock(n.get("end", "06:00"), "night_lock.end"),
        tz,
        mode,
        _money(n.get("cap", "0"), "night_lock.cap") or Decimal("0"),
    )
    r = data.get("region_lock") or {}
    allowed = tuple(str(a).upper() for a in r.get("allowed", ("CN",)))
    for i, a in enumerate(allowed):
        if not REGION.fullmatch(a):
            raise InvalidInput.for_field(f"region_lock.allowed[{i}]", "must be ISO 3166-1 alpha-2 (HK) or ISO 3166-2:CN (CN-GD)")
    try:
        unknown = Outcome(r.get("unknown", "review"))
    except ValueError:
        raise InvalidInput.for_field("region_lock.unknown", "must be allow, review, hold or block") from None
    region = RegionLock(bool(r.get("enabled", False)), allowed, unknown)
    channels = []
    for i, c in enumerate((data.get("limits") or {}).get("channels", ())):
        if c.get("channel") not in CHANNELS:
            raise InvalidInput.for_field(f"limits.channels[{i}].channel", f"must be one of {', '.join(CHANNELS)}")
        channels.append(
            ChannelLimit(
                c["channel"], _money(c.get("single"), f"limits.channels[{i}].single"), _money(c.get("daily"), f"limits.channels[{i}].daily")
            )
        )
    if len({c.channel for c in channels}) != len(channels):
        raise InvalidInput.for_field("limits.channels", "each channel may appear once")
    k = data.get("cooling_off") or {}
    hours = k.get("hours", 24)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 720:
        raise InvalidInput.for_field("cooling_off.hours", "must be a whole number of hours from 1 to 720")
    cooling = CoolingOff(bool(k.get("enabled", False)), hours, _money(k.get("cap", "0"), "cooling_off.cap") or Decimal("0"))
    return ControlSettings(night, region, Limits(tuple(channels)), cooling)


def _dump(value: NightLock | RegionLock | Limits | CoolingOff) -> dict[str, Any]:
    if isinstance(value, NightLock):
        return {
            "enabled": value.enabled,
            "start": value.start.strftime("%H:%M"),
            "end": value.end.strftime("%H:%M"),
            "timezone": value.timezone,
            "mode": value.mode.value,
            "cap": str(value.cap),
        }
    if isinstance(value, RegionLock):
        return {"enabled": value.enabled, "allowed": list(value.allowed), "unknown": value.unknown.value}
    if isinstance(value, Limits):
        return {
            "channels": [
                {
                    "channel": c.channel,
                    "single": None if c.single is None else str(c.single),
                    "daily": None if c.daily is None else str(c.daily),
                }
                for c in value.channels
            ]
        }
    return {"enabled": value.enabled, "hours": value.hours, "cap": str(value.cap)}


def settings_to_dict(s: ControlSettings) -> dict[str, Any]:
    return {name: _dump(getattr(s, name)) for name in ("night_lock", "region_lock", "limits", "cooling_off")}


def controls_to_dict(c: CustomerControls) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("night_lock", "region_lock", "limits", "cooling_off"):
        p: Protection[Any] = getattr(c, name)
        out[name] = {
            "current": _dump(p.current),
            "pending": None if p.pending is None else _dump(p.pending),
            "pending_off_until": None if p.pending_off_until is None else p.pending_off_until.isoformat(),
        }
    return out


def controls_from_dict(customer_id: str, data: Mapping[str, Any], version: int, updated_at: datetime | None) -> CustomerControls:
    def side(key: str) -> ControlSettings:
        return settings_from_dict({name: (data[name][key] or {}) for name in ("night_lock", "region_lock", "limits", "cooling_off")})

    current, pending = side("current"), side("pending")
    parts: dict[str, Protection[Any]] = {}
    for name in ("night_lock", "region_lock", "limits", "cooling_off"):
        until = data[name]["pending_off_until"]
        has = data[name]["pending"] is not None
        parts[name] = Protection(
            getattr(current, name), getattr(pending, name) if has else None, datetime.fromisoformat(until) if until else None
        )
    return CustomerControls(customer_id, version=version, updated_at=updated_at, **parts)

"""The rule language: what it computes, what it refuses (sandbox escapes), how a failing rule fails safe."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from finguard.core.errors import InvalidInput
from finguard.guard.model.decision import Outcome, ReasonKind, Thresholds, resolve
from finguard.guard.model.events import EventType
from finguard.guard.model.rules import Rule, RuleMode, compile_expression, compile_rule, evaluate_rules
from tests.guard_helpers import T0

CTX = {
    "event": {"amount": Decimal("60000.00"), "type": "transfer", "local_hour": 23, "occurred_at": T0, "payee": None, "tags": ("a", "b")},
    "vel": {"account_out_count_1h": 6, "account_in_sum_24h": Decimal("80000.00")},
    "payee": {"is_first": True, "first_seen": T0 - timedelta(days=2), "check": "warn"},
    "model": {"score": 0.93},
    "customer": {},
    "attrs": {"otp": "failed"},
    "now": T0,
}


def run(source: str) -> object:
    return compile_expression(source)(CTX)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("event.amount >= 50000 and payee.is_first", True),
        ("event['amount'] * 0.5", Decimal("30000.000")),
        ("vel.account_out_count_1h >= 5 and vel.account_in_sum_24h > 50000", True),
        ("event.local_hour >= 22 or event.local_hour < 6", True),
        ("payee.check in ['warn', 'block']", True),
        ("days_since(payee.first_seen) >= 2", True),
        ("minutes_since(payee.first_seen) == 2880", True),
        ("hour(event.occurred_at)", 2),
        ("max(1, vel.account_out_count_1h, 3)", 6),
        ("min([4, 2, 9])", 2),
        ("abs(-3) + len(event.tags)", 5),
        ("model.score * 100 > 90", True),
        ("model.score * event.amount > 50000", True),
        ("event.payee.account", None),  # reading through None is None
        ("event.payee.account > 5", False),  # ordering with None is false
        ("event.missing is None", True),
        ("lower(attrs.otp) == 'failed'", True),
        ("'big' if event.amount > 1000 else 'small'", "big"),
        ("2 ** 8", 256),
        ("not payee.is_first", False),
    ],
)
def test_expressions_compute(source: str, expected: object) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("__import__('os')", "calling '__import__' is not allowed"),
        ("__import__('os').system('id')", "can be called (no methods)"),
        ("().__class__.__bases__", "names starting with '_'"),
        ("().__class__.__bases__[0].__subclasses__()", "no methods"),
        ("event.__class__", "names starting with '_'"),
        ("event['__class__']", "keys starting with '_'"),
        ("open('/etc/passwd')", "calling 'open'"),
        ("eval('1')", "calling 'eval'"),
        ("event.get('amount')", "no methods"),
        ("9**9**9", "literal whole exponent"),
        ("event.amount ** event.amount", "literal whole exponent"),
        ("2 ** 9", "literal whole exponent"),
        ("(lambda: 1)()", "no methods"),
        ("lambda: 1", "a lambda"),
        ("[x for x in event]", "a comprehension"),
        ("{k: 1 for k in event}", "a comprehension"),
        ("f'{open(1)}'", "an f-string"),
        ("(y := 1)", "assignment expression"),
        ("os", "unknown name 'os'"),
        ("import os", "not a valid expression"),
        ("x = 1", "not a valid expression"),
        ("event[1:2]", "slices"),
        ("{'a': 1}", "a dict literal"),
        ("max(*vel)", "starred"),
        ("len(x=1)", "keyword"),
        ("~1", "Invert"),
        ("1 << 1000", "LShift"),
        ("event is 1", "compare with None only"),
        ("b'bytes'", "bytes literal"),
        ("10000000000000000000000000000000000000000 > 1", "beyond 10^30"),
    ],
)
def test_sandbox_escapes_are_refused_at_compile_time(source: str, why: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        compile_expression(source)
    assert exc.value.problems[0].field == "expression"
    assert why in exc.value.problems[0].problem


def test_deep_nesting_and_huge_expressions_are_refused() -> None:
    for source in [
        "(" * 300 + "1" + ")" * 300,
        "abs(" * 30 + "1" + ")" * 30,
        "-" * 500 + "1",
        "not " * 30 + "True",
        " + ".join(["1"] * 300),
        "1" * 2001,
    ]:
        with pytest.raises(InvalidInput):
            compile_expression(source)


def test_growth_at_run_time_is_bounded() -> None:
    """Literal exponents of 8 can still be chained; the result bound stops the growth."""
    fn = compile_expression("((10 ** 8) ** 8) ** 8")
    with pytest.raises(Exception, match="10\\^30"):
        fn(CTX)
    with pytest.raises(Exception, match="needs numbers"):
        compile_expression("'a' * 100000000")(CTX)


def rule(expr: str, **kw: object) -> Rule:
    return Rule(kw.pop("id", "r.test"), expr, "test rule", **{"score": 50.0, **kw})  # type: ignore[arg-type]


def test_a_rule_that_raises_is_an_error_reason_and_fails_safe_to_review() -> None:
    """vel.account_out_count_1h / 0 raises ZeroDivisionError: recorded, outcome review, never allow."""
    for expr in ["vel.account_out_count_1h / 0", "event.amount + 'x'", "event.tags < 5", "len(5)", "event.amount.x"]:
        reasons = evaluate_rules([compile_rule(rule(expr))], CTX, EventType.TRANSFER)
        assert [(r.kind, r.code) for r in reasons] == [(ReasonKind.ERROR, "r.test")], expr
        assert resolve(reasons, Thresholds())[0] is Outcome.REVIEW


def test_a_failing_shadow_rule_is_recorded_but_not_enforced() -> None:
    reasons = evaluate_rules([compile_rule(rule("1 / 0", mode=RuleMode.SHADOW))], CTX, EventType.TRANSFER)
    assert reasons[0].kind is ReasonKind.ERROR and not reasons[0].enforced
    assert resolve(reasons, Thresholds())[0] is Outcome.ALLOW


def test_a_fired_rule_records_the_values_it_read() -> None:
    (reason,) = evaluate_rules([compile_rule(rule("event.amount > 50000 and vel.account_out_count_1h >= 5"))], CTX, EventType.TRANSFER)
    assert reason.kind is ReasonKind.RULE and reason.score == 50
    assert reason.values == {"rule_version": 1, "event.amount": "60000.00", "vel.account_out_count_1h": 6}


def test_rules_apply_only_to_their_event_types_and_when_enabled() -> None:
    rules = [compile_rule(rule("True", event_types=(EventType.LOGIN,))), compile_rule(rule("True", id="r.off", enabled=False))]
    assert evaluate_rules(rules, CTX, EventType.TRANSFER) == []


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"id": "Bad Id"}, "id"),
        ({"outcome": Outcome.ALLOW}, "outcome"),
        ({"score": 0.0}, "score"),
        ({"score": 5000.0}, "score"),
    ],
)
def test_rule_definitions_are_checked(kw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        compile_rule(rule("True", **kw))
    assert field in {p.field for p in exc.value.problems}


def test_the_starter_pack_compiles() -> None:
    from finguard.guard.service.rule_pack import STARTER_PACK

    assert len(STARTER_PACK) >= 8
    for r in STARTER_PACK:
        compile_rule(r)


_LEFT = [None, 0, 3, -2, True, False, Decimal("2.50"), 0.5, "web", "", ("web", "api"), {"k": 1}, T0]
_LITERALS = ["3", "2.5", "0", "'web'", "''", "None", "True", "['web', 'api']", "[0, 1, 2]", "{'web', 'x'}", "'we'"]
_OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


def _outcome(source: str, ctx: dict) -> object:
    try:
        return ("value", compile_expression(source)(ctx))
    except Exception as exc:  # the error itself is compared
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("op", _OPS)
def test_a_comparison_with_a_literal_gives_what_the_general_comparison_gives(op: str) -> None:
    """#19: ``x OP literal`` is compiled to its own closure; it must answer (or fail) exactly as
    the general comparison of two read values does, for every kind of value a rule can read."""
    for literal in _LITERALS:
        right = compile_expression(literal)({})
        for left in _LEFT:
            ctx = {"attrs": {"x": left, "lit": right}, "now": T0}
            fast = _outcome(f"attrs.x {op} {literal}", ctx)
            general = _outcome(f"attrs.x {op} attrs.lit", ctx)
            assert fast == general, (op, literal, left)
            assert type(fast[1]) is type(general[1])


def test_is_none_and_short_circuits_keep_their_values() -> None:
    for a in (None, 0, 2, "", "x", Decimal("0.00")):
        for b in (None, 0, 5, "y"):
            ctx = {"attrs": {"a": a, "b": b, "c": 7}}
            assert compile_expression("attrs.a and attrs.b")(ctx) == (a and b)
            assert compile_expression("attrs.a or attrs.b")(ctx) == (a or b)
            assert compile_expression("attrs.a and attrs.b and attrs.c")(ctx) == (a and b and 7)
            assert compile_expression("attrs.a or attrs.b or attrs.c")(ctx) == (a or b or 7)
            assert compile_expression("attrs.a is None")(ctx) is (a is None)
            assert compile_expression("attrs.a is not None")(ctx) is (a is not None)

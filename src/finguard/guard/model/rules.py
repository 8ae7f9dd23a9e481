"""Rules in a safe expression language, compiled ahead of time into closures.

The language is a small subset of Python expressions, parsed with :mod:`ast` and checked node
by node against a whitelist; nothing is ever passed to ``eval``. Accepted:

* literals: numbers (a decimal literal such as ``0.5`` becomes a ``Decimal``), strings, ``True``,
  ``False``, ``None``, and lists / tuples / sets of up to 100 items (for ``in``);
* the names of the rule context: ``event``, ``vel``, ``payee``, ``customer``, ``model``, ``attrs``;
* ``.name`` and ``[key]`` on those mappings (a missing key reads as ``None``, and so does any
  access on ``None``); names starting with ``_`` are refused;
* comparisons (``== != < <= > >= in not in``, ``is None`` / ``is not None``), ``and or not``,
  ``x if c else y``, ``+ - * / // %`` and ``**`` with a literal exponent of at most 8;
* calls of ``len min max abs hour days_since minutes_since lower number`` (``number`` reads a
  decimal string attribute as a number, else None).

Anything else (another name or call, dunder access, lambdas, comprehensions, f-strings, walrus,
imports, starred arguments) is refused at compile time with the reason. At run time an ordering
comparison with ``None`` is false (as in SQL), arithmetic only takes numbers, and a result beyond
10^30 is an error, so no rule can build a huge number or string.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, DecimalException
from enum import StrEnum
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.guard.model.decision import Outcome, Reason, ReasonKind
from finguard.guard.model.events import EventType

MAX_LENGTH = 2000
MAX_DEPTH = 24
MAX_NODES = 400
MAX_STRING = 500
MAX_ITEMS = 100
MAX_EXPONENT = 8
MAX_MAGNITUDE = 10**30
ROOTS = ("event", "vel", "payee", "customer", "model", "attrs")

Ctx = Mapping[str, Any]
Fn = Callable[[Ctx], Any]


class RuleError(Exception):
    """A rule failed while evaluating (a type mismatch, division by zero, a bound passed)."""


def _num(v: Any, op: str) -> int | Decimal | float:
    if isinstance(v, int | Decimal | float):
        return v
    raise RuleError(f"'{op}' needs numbers, got {type(v).__name__}")


def _too_big(value: int | Decimal) -> bool:
    return value > MAX_MAGNITUDE or value < -MAX_MAGNITUDE


def _arith(fn: Callable[[Any, Any], Any], op: str) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        x, y = _num(a, op), _num(b, op)
        # A float (a model score, days_since) meeting a Decimal (money) is made Decimal via its repr.
        if isinstance(x, float) and isinstance(y, Decimal):
            x = Decimal(repr(x))
        elif isinstance(y, float) and isinstance(x, Decimal):
            y = Decimal(repr(y))
        try:
            out: Any = fn(x, y)
        except (ZeroDivisionError, DecimalException, OverflowError) as exc:
            raise RuleError(f"'{op}' failed: {type(exc).__name__}") from None
        if isinstance(out, int | Decimal) and _too_big(out):
            raise RuleError(f"'{op}' result exceeds 10^30")
        return out

    return run


_BINOPS: dict[type[ast.operator], tuple[Callable[[Any, Any], Any], str]] = {
    ast.Add: (operator.add, "+"),
    ast.Sub: (operator.sub, "-"),
    ast.Mult: (operator.mul, "*"),
    ast.Div: (operator.truediv, "/"),
    ast.FloorDiv: (operator.floordiv, "//"),
    ast.Mod: (operator.mod, "%"),
    ast.Pow: (operator.pow, "**"),
}


def _order(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return bool(fn(a, b))
        except TypeError:
            raise RuleError(f"cannot compare {type(a).__name__} with {type(b).__name__}") from None

    return run


def _contains(a: Any, b: Any) -> bool:
    if b is None:
        return False
    if not isinstance(b, str | tuple | list | frozenset | set | Mapping):
        raise RuleError(f"'in' needs a string, list or mapping on the right, got {type(b).__name__}")
    if isinstance(b, str) and not isinstance(a, str):
        return False
    try:
        return a in b
    except TypeError:
        return False


_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: _order(operator.lt),
    ast.LtE: _order(operator.le),
    ast.Gt: _order(operator.gt),
    ast.GtE: _order(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda a, b: not _contains(a, b),
    ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b,
}


def _ts(v: Any, name: str) -> datetime:
    if not isinstance(v, datetime):
        raise RuleError(f"{name}() needs a timestamp, got {type(v).__name__}")
    return v


def _seconds_since(ctx: Ctx, v: Any, name: str) -> float | None:
    if v is None:
        return None
    now = ctx.get("now")
    if not isinstance(now, datetime):
        raise RuleError("the rule context has no 'now'")
    return (now - _ts(v, name)).total_seconds()


def _len(ctx: Ctx, v: Any) -> int:
    if not isinstance(v, str | tuple | list | frozenset | set | Mapping):
        raise RuleError(f"len() needs a string, list or mapping, got {type(v).__name__}")
    return len(v)


def _minmax(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def run(ctx: Ctx, *args: Any) -> Any:
        items = list(args[0]) if len(args) == 1 and isinstance(args[0], tuple | list | frozenset) else list(args)
        items = [i for i in items if i is not None]
        if not items:
            return None
        try:
            return fn(items)
        except TypeError:
            raise RuleError(f"{name}() got values that cannot be compared") from None

    return run


def _abs(ctx: Ctx, v: Any) -> Any:
    return None if v is None else abs(_num(v, "abs"))


def _hour(ctx: Ctx, v: Any) -> int | None:
    return None if v is None else _ts(v, "hour").hour


def _days(ctx: Ctx, v: Any) -> float | None:
    s = _seconds_since(ctx, v, "days_since")
    return None if s is None else s / 86400


def _minutes(ctx: Ctx, v: Any) -> float | None:
    s = _seconds_since(ctx, v, "minutes_since")
    return None if s is None else s / 60


def _lower(ctx: Ctx, v: Any) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise RuleError(f"lower() needs a string, got {type(v).__name__}")
    return v.lower()


def _number(ctx: Ctx, v: Any) -> Decimal | int | None:
    """A number from an attribute sent as a decimal string ("181.50"); None if it is not one."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, str) and len(v) <= 40:
        try:
            d = Decimal(v.strip())
        except DecimalException:
            return None
        return d if d.is_finite() and not _too_big(d) else None
    return None


# name -> (function taking the context first, least and most arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "len": (_len, 1, 1),
    "min": (_minmax(min, "min"), 1, 10),
    "max": (_minmax(max, "max"), 1, 10),
    "abs": (_abs, 1, 1),
    "hour": (_hour, 1, 1),
    "days_since": (_days, 1, 1),
    "minutes_since": (_minutes, 1, 1),
    "lower": (_lower, 1, 1),
    "number": (_number, 1, 1),
}


def _get(obj: Any, key: Any) -> Any:
    if type(obj) is dict:  # the rule context's mappings (#19: before the slower Mapping check)
        return obj.get(key)
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    if isinstance(obj, tuple | list | str) and isinstance(key, int) and not isinstance(key, bool):
        return obj[key] if -len(obj) <= key < len(obj) else None
    raise RuleError(f"cannot read {key!r} of a {type(obj).__name__} value")


def _compare_fixed(op: type[ast.cmpop], left: Fn, value: Any) -> Fn:
    """One comparison with a literal on the right (``vel.x >= 3``, ``event.channel in ['web']``):
    the same result and errors as :data:`_CMPOPS`, without the generic calls (#19)."""
    if op is ast.Eq:
        return lambda ctx: True if left(ctx) == value else False
    if op is ast.NotEq:
        return lambda ctx: True if left(ctx) != value else False
    if op is ast.Is:
        return lambda ctx: left(ctx) is value
    if op is ast.IsNot:
        return lambda ctx: left(ctx) is not value
    if op in (ast.In, ast.NotIn) and isinstance(value, tuple | frozenset):
        negate = op is ast.NotIn

        def contains(ctx: Ctx) -> bool:
            a = left(ctx)
            try:
                found = a in value
            except TypeError:
                found = False
            return not found if negate else found

        return contains
    order = _ORDER.get(op)
    if order is not None and value is not None:

        def ordered(ctx: Ctx) -> bool:
            a = left(ctx)
            if a is None:
                return False
            try:
                return True if order(a, value) else False
            except TypeError:
                raise RuleError(f"cannot compare {type(a).__name__} with {type(value).__name__}") from None

        return ordered
    fn = _CMPOPS[op]
    return lambda ctx: True if fn(left(ctx), value) else False


_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class _Refused(Exception):
    pass


class _Compiler:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def compile(self, node: ast.AST, depth: int = 0) -> Fn:
        if depth > MAX_DEPTH:
            raise _Refused(f"the expression is nested more than {MAX_DEPTH} levels deep")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _Refused(f"{_describe(node)} is not allowed in a rule")
        fn: Fn = method(node, depth + 1)
        return fn

    def _Expression(self, node: ast.Expression, d: int) -> Fn:
        return self.compile(node.body, d)

    def _Constant(self, node: ast.Constant, d: int) -> Fn:
        value: Any = node.value
        if isinstance(value, float):
            value = Decimal(repr(value))
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise _Refused(f"a string literal is longer than {MAX_STRING} characters")
        elif not (value is None or isinstance(value, bool | int)):
            raise _Refused(f"a {type(value).__name__} literal is not allowed")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
            raise _Refused("a number literal beyond 10^30 is not allowed")
        return lambda ctx: value

    def _Name(self, node: ast.Name, d: int) -> Fn:
        name = node.id
        if name not in ROOTS:
            raise _Refused(f"unknown name {name!r}; a rule can read {', '.join(ROOTS)}")
        return lambda ctx: ctx.get(name)

    @staticmethod
    def _fixed(node: ast.AST, fn: Fn) -> tuple[bool, Any]:
        """Whether a compiled node is a literal (a constant, or a list, tuple or set of constants),
        and its value: such a node's function ignores the context."""
        if isinstance(node, ast.Constant) or (
            isinstance(node, ast.List | ast.Tuple | ast.Set) and all(isinstance(e, ast.Constant) for e in node.elts)
        ):
            return True, fn({})
        return False, None

    def _path(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            head = self._path(node.value)
            return f"{head}.{node.attr}" if head else None
        return None

    def _Attribute(self, node: ast.Attribute, d: int) -> Fn:
        attr = node.attr
        if attr.startswith("_"):
            raise _Refused(f"access to {attr!r} is not allowed (names starting with '_')")
        value = self.compile(node.value, d)
        path = self._path(node)
        if path and not any(p.startswith(path + ".") for p in self.paths):
            self.paths = [p for p in self.paths if not path.startswith(p + ".")] + [path]
        if isinstance(node.value, ast.Name):  # ``vel.x``: the root read in the same call
            root = node.value.id

            def read_root(ctx: Ctx) -> Any:
                obj = ctx.get(root)
                return obj.get(attr) if type(obj) is dict else _get(obj, attr)

            return read_root

        def read(ctx: Ctx) -> Any:
            obj = value(ctx)
            return obj.get(attr) if type(obj) is dict else _get(obj, attr)

        return read

    def _Subscript(self, node: ast.Subscript, d: int) -> Fn:
        if isinstance(node.slice, ast.Slice):
            raise _Refused("slices are not allowed")
        value = self.compile(node.value, d)
        key = self.compile(node.slice, d)
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str) and node.slice.value.startswith("_"):
            raise _Refused("keys starting with '_' are not allowed")
        return lambda ctx: _get(value(ctx), key(ctx))

    def _Compare(self, node: ast.Compare, d: int) -> Fn:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (isinstance(right, ast.Constant) and right.value is None):
                raise _Refused("'is' and 'is not' compare with None only")
        first = self.compile(node.left, d)
        ops = [(_CMPOPS[type(op)], self.compile(right, d)) for op, right in zip(node.ops, node.comparators, strict=True)]
        if len(ops) == 1:
            fixed, value = self._fixed(node.comparators[0], ops[0][1])
            if fixed:
                return _compare_fixed(type(node.ops[0]), first, value)
            op_fn, right_fn = ops[0]
            return lambda ctx: True if op_fn(first(ctx), right_fn(ctx)) else False

        def run(ctx: Ctx) -> bool:
            left = first(ctx)
            for fn, right in ops:
                value = right(ctx)
                if not fn(left, value):
                    return False
                left = value
            return True

        return run

    def _BoolOp(self, node: ast.BoolOp, d: int) -> Fn:
        parts = [self.compile(v, d) for v in node.values]
        if len(parts) == 2:  # what the loops below give: the first value deciding, else the last
            a, b = parts
            if isinstance(node.op, ast.And):
                return lambda ctx: a(ctx) and b(ctx)
            return lambda ctx: a(ctx) or b(ctx)
        if len(parts) == 3:
            a, b, c = parts
            if isinstance(node.op, ast.And):
                return lambda ctx: a(ctx) and b(ctx) and c(ctx)
            return lambda ctx: a(ctx) or b(ctx) or c(ctx)
        if isinstance(node.op, ast.And):

            def run_and(ctx: Ctx) -> Any:
                value: Any = True
                for p in parts:
                    value = p(ctx)
                    if not value:
                        return value
                return value

            return run_and

        def run_or(ctx: Ctx) -> Any:
            value: Any = False
            for p in parts:
                value = p(ctx)
                if value:
                    return value
            return value

        return run_or

    def _UnaryOp(self, node: ast.UnaryOp, d: int) -> Fn:
        operand = self.compile(node.operand, d)
        if isinstance(node.op, ast.Not):
            return lambda ctx: not operand(ctx)
        if isinstance(node.op, ast.USub):
            return lambda ctx: -_num(operand(ctx), "-")
        if isinstance(node.op, ast.UAdd):
            return lambda ctx: +_num(operand(ctx), "+")
        raise _Refused(f"the operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp, d: int) -> Fn:
        entry = _BINOPS.get(type(node.op))
        if entry is None:
            raise _Refused(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Pow) and not (
            isinstance(node.right, ast.Constant)
            and isinstance(node.right.value, int)
            and not isinstance(node.right.value, bool)
            and 0 <= node.right.value <= MAX_EXPONENT
        ):
            raise _Refused(f"'**' needs a literal whole exponent from 0 to {MAX_EXPONENT}")
        left, right = self.compile(node.left, d), self.compile(node.right, d)
        fn = _arith(*entry)
        return lambda ctx: fn(left(ctx), right(ctx))

    def _IfExp(self, node: ast.IfExp, d: int) -> Fn:
        test, body, orelse = self.compile(node.test, d), self.compile(node.body, d), self.compile(node.orelse, d)
        return lambda ctx: body(ctx) if test(ctx) else orelse(ctx)

    def _Call(self, node: ast.Call, d: int) -> Fn:
        if not isinstance(node.func, ast.Name):
            raise _Refused(f"only the functions {', '.join(FUNCTIONS)} can be called (no methods)")
        if node.func.id not in FUNCTIONS:
            raise _Refused(f"calling {node.func.id!r} is not allowed; functions: {', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _Refused("keyword and starred arguments are not allowed")
        fn, least, most = FUNCTIONS[node.func.id]
        if not least <= len(node.args) <= most:
            raise _Refused(f"{node.func.id}() takes {least} to {most} arguments")
        args = [self.compile(a, d) for a in node.args]
        if len(args) == 1:
            only = args[0]
            return lambda ctx: fn(ctx, only(ctx))
        return lambda ctx: fn(ctx, *(a(ctx) for a in args))

    def _sequence(self, elts: list[ast.expr], d: int, kind: Callable[[Any], Any]) -> Fn:
        if len(elts) > MAX_ITEMS:
            raise _Refused(f"a literal list may have at most {MAX_ITEMS} items")
        if all(isinstance(e, ast.Constant) for e in elts):
            fixed = kind(self.compile(e, d)({}) for e in elts)
            return lambda ctx: fixed
        items = [self.compile(e, d) for e in elts]
        return lambda ctx: kind(i(ctx) for i in items)

    def _List(self, node: ast.List, d: int) -> Fn:
        return self._sequence(node.elts, d, tuple)

    def _Tuple(self, node: ast.Tuple, d: int) -> Fn:
        return self._sequence(node.elts, d, tuple)

    def _Set(self, node: ast.Set, d: int) -> Fn:
        return self._sequence(node.elts, d, frozenset)


_NAMES = {
    "Lambda": "a lambda",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a generator expression",
    "JoinedStr": "an f-string",
    "NamedExpr": "an assignment expression (:=)",
    "Dict": "a dict literal",
    "Starred": "a starred expression",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
    "Slice": "a slice",
}


def _describe(node: ast.AST) -> str:
    return _NAMES.get(type(node).__name__, f"the construct {type(node).__name__!r}")


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    fn: Fn
    paths: tuple[str, ...]  # the context values it reads, recorded when it fires
    # It may read more of ``model`` than its score, name and availability (``model.top``,
    # ``model["top"]``, ``model`` whole): the engine then computes every score's contributions (#19).
    reads_model_detail: bool = False
    steps: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, repr=False, compare=False)  # each path split once

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple((p, tuple(p.split("."))) for p in self.paths))

    def __call__(self, ctx: Ctx) -> Any:
        return self.fn(ctx)


def compile_expression(source: object, field: str = "expression") -> Expression:
    """Compile a rule expression or raise :class:`InvalidInput` saying what is not allowed."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput.for_field(field, "must be a non-empty expression")
    if len(source) > MAX_LENGTH:
        raise InvalidInput.for_field(field, f"is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidInput.for_field(field, f"is not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise InvalidInput.for_field(field, "is too deeply nested") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise InvalidInput.for_field(field, f"has more than {MAX_NODES} parts")
    compiler = _Compiler()
    try:
        fn = compiler.compile(tree)
    except _Refused as exc:
        raise InvalidInput.for_field(field, str(exc)) from None
    except RecursionError:
        raise InvalidInput.for_field(field, "is too deeply nested") from None
    return Expression(source.strip(), fn, tuple(compiler.paths), _reads_model_detail(tree))


MODEL_SUMMARY = frozenset({"score", "name", "available"})  # what a rule reads of ``model`` without its contributions


def _reads_model_detail(tree: ast.AST) -> bool:
    """Whether an expression may read ``model`` beyond ``model.score`` / ``.name`` / ``.available``."""
    summary: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "model" and node.attr in MODEL_SUMMARY:
            summary.add(id(node.value))
    return any(isinstance(node, ast.Name) and node.id == "model" and id(node) not in summary for node in ast.walk(tree))


class RuleMode(StrEnum):
    ENFORCE = "enforce"
    SHADOW = "shadow"  # evaluated and recorded, never changes the outcome


_CODE = re.compile(r"[a-z][a-z0-9_.\-]{1,63}")


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: when ``expression`` is true it adds ``score`` and asks for at least ``outcome``."""

    id: str
    expression: str
    description: str
    score: float = 0.0
    outcome: Outcome | None = None
    mode: RuleMode = RuleMode.ENFORCE
    event_types: tuple[EventType, ...] = ()  # empty: every type
    enabled: bool = True
    version: int = 1


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    expression: Expression

    def applies_to(self, event_type: EventType) -> bool:
        return self.rule.enabled and (not self.rule.event_types or event_type in self.rule.event_types)


def compile_rule(rule: Rule) -> CompiledRule:
    """Check a rule and compile its expression; every problem is named."""
    problems: list[FieldProblem] = []
    if not _CODE.fullmatch(rule.id):
        problems.append(FieldProblem("id", "must be 2 to 64 characters of a-z, 0-9, '_', '.' or '-', starting with a letter"))
    if not rule.description.strip():
        problems.append(FieldProblem("description", "is required: it is the explanation a decision gives"))
    if rule.outcome is Outcome.ALLOW:
        problems.append(FieldProblem("outcome", "a rule cannot force 'allow'; use an operator allow override"))
    if rule.outcome is None and rule.score == 0:
        problems.append(FieldProblem("score", "give a non-zero score or an outcome"))
    if not -1000 <= rule.score <= 1000:
        problems.append(FieldProblem("score", "must be between -1000 and 1000"))
    expression: Expression | None = None
    try:
        expression = compile_expression(rule.expression)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems or expression is None:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return CompiledRule(rule, expression)


_PLAIN = frozenset({str, int, bool, float, type(None)})


def json_value(value: Any) -> Any:
    """A context value as JSON: money as a string, times in ISO 8601."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def _read(ctx: Ctx, path: str, parts: tuple[str, ...] | None = None) -> Any:
    head, *rest = parts or path.split(".")
    value = ctx.get(head)
    for part in rest:
        if type(value) is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def evaluate_rules(rules: Sequence[CompiledRule], ctx: Ctx, event_type: EventType) -> list[Reason]:
    """Run every rule that applies; a rule that raises becomes an ``error`` reason asking for review."""
    out: list[Reason] = []
    for cr in rules:
        r = cr.rule
        if not r.enabled or (r.event_types and event_type not in r.event_types):  # CompiledRule.applies_to
            continue
        enforced = r.mode is RuleMode.ENFORCE
        try:
            fired = bool(cr.expression.fn(ctx))
        except Exception as exc:  # a faulty rule is an outcome, never a crash nor a silent allow
            detail = str(exc) if isinstance(exc, RuleError) else f"{type(exc).__name__}: {exc}"
            out.append(
                Reason(
                    ReasonKind.ERROR,
                    r.id,
                    f"rule v{r.version} failed: {detail[:300]}",
                    Outcome.REVIEW,
                    0.0,
                    {"rule_version": r.version, "source": "rule"},
                    enforced,
                )
            )
            continue
        if fired:
            values = {p: json_value(_read(ctx, p, parts)) for p, parts in cr.expression.steps}
            out.append(Reason(ReasonKind.RULE, r.id, r.description, r.outcome, r.score, {"rule_version": r.version, **values}, enforced))
    return out

"""The pages' gettext catalogues (``core/locale/<locale>/LC_MESSAGES/finguard.po``), read with Babel.

The message id is the string's key (``staff_nav_alerts``), the message string its text in that
language; one ``.po`` per language (``zh_CN``, ``en``). :mod:`finguard.core.i18n` loads both when it is
imported and serves them as one dict per language, so templates keep ``t.key`` / ``t["key"]``.

Strings still registered from Python dicts (``core.i18n.register({...})``, the style before the
catalogues, which a merged branch may bring back) keep working: a key the catalogue lacks is served
from the dict. ``sync`` moves them into the catalogues for good::

    python -m finguard.core.i18n_catalog sync     # dict strings -> .po, strip the dicts it can
    python -m finguard.core.i18n_catalog check    # exit 1 if a dict string is not in the .po (CI / tests)

``sync`` is idempotent: run twice, the second run changes nothing. A key whose dict text differs from
the catalogue's keeps the catalogue's text (the catalogue is where translations get fixed) and is
reported; ``--prefer-python`` takes the dict's instead. See docs/i18n.md.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import escape, read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "finguard"
# page language -> gettext locale of its catalogue
PO_LOCALE: dict[str, str] = {"zh": "zh_CN", "en": "en"}


def po_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    return root / PO_LOCALE[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str, root: Path = LOCALE_DIR) -> dict[str, str]:
    """``key -> text`` of one language's catalogue ({} when the file does not exist yet)."""
    path = po_path(lang, root)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=PO_LOCALE[lang], domain=DOMAIN, ignore_obsolete=True)
    out: dict[str, str] = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            out[message.id] = message.string
    return out


def render_po(lang: str, table: dict[str, str]) -> str:
    """The ``.po`` text for ``table``: keys sorted, no dates, no wrapping, so equal tables give equal
    files (idempotent sync, small diffs, and branches that add keys rarely touch the same lines)."""
    lines = [
        f"# finguard UI strings, {PO_LOCALE[lang]}. Edit here; see docs/i18n.md.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: finguard\\n"',
        f'"Language: {PO_LOCALE[lang]}\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        "",
    ]
    for key in sorted(table):
        lines += [f"msgid {escape(key)}", f"msgstr {escape(table[key])}", ""]
    return "\n".join(lines)


def write_catalogue(lang: str, table: dict[str, str], root: Path = LOCALE_DIR) -> bool:
    """Write the catalogue; True when the file changed."""
    path = po_path(lang, root)
    text = render_po(lang, table)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


# --- moving dict strings into the catalogues --------------------------------------------------


@dataclass
class SyncReport:
    added: dict[str, list[str]] = field(default_factory=dict)  # lang -> keys new to the catalogue
    differing: dict[str, list[str]] = field(default_factory=dict)  # lang -> keys whose dict text differs
    one_language: list[str] = field(default_factory=list)  # keys in one catalogue only
    stripped: list[str] = field(default_factory=list)  # "file:line" of register calls removed
    left: list[str] = field(default_factory=list)  # "file:line" of register calls sync could not remove
    import_errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing waits in Python: every dict string is in the catalogues with the same text."""
        return not any(self.added.values()) and not any(self.differing.values()) and not self.one_language


def import_everything(package: str = "finguard") -> list[str]:
    """Import every module of the package so each ``register(...)`` call has run; the failures."""
    errors: list[str] = []
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # an optional extra missing must not stop the sync
            errors.append(f"{info.name}: {type(exc).__name__}: {exc}")
    return errors


def registered() -> list[tuple[str, dict[str, dict[str, str]]]]:
    from finguard.core import i18n

    return list(i18n.REGISTERED)


def _merge(
    calls: Iterable[tuple[str, dict[str, dict[str, str]]]], root: Path, prefer_python: bool
) -> tuple[dict[str, dict[str, str]], SyncReport, set[str]]:
    """The catalogues with the dict strings merged in, the report, and the files whose every
    string now sits in the catalogue with the same text (safe to strip)."""
    report = SyncReport()
    tables = {lang: read_catalogue(lang, root) for lang in PO_LOCALE}
    on_file = {lang: dict(table) for lang, table in tables.items()}
    blocked: set[str] = set()
    files: set[str] = set()
    for filename, by_lang in calls:
        files.add(filename)
        for lang, table in by_lang.items():
            if lang not in tables:
                blocked.add(filename)
                continue
            for key, text in table.items():
                have = on_file[lang].get(key)
                if have is None:  # new: like at run time, a later dict overrides an earlier one
                    if key not in tables[lang]:
                        report.added.setdefault(lang, []).append(key)
                    tables[lang][key] = text
                elif have != text:
                    report.differing.setdefault(lang, []).append(f"{key} ({filename})")
                    if prefer_python:
                        tables[lang][key] = text
                    else:
                        blocked.add(filename)
    every = set().union(*tables.values())
    report.one_language = sorted(k for k in every if not all(k in t for t in tables.values()))
    return tables, report, files - blocked


def check(root: Path = LOCALE_DIR) -> SyncReport:
    """What ``sync`` would do, without writing anything."""
    errors = import_everything()
    _tables, report, _files = _merge(registered(), root, prefer_python=False)
    report.import_errors = errors
    report.left = [f"{f}:{line}" for f in sorted({f for f, _ in registered()}) for line in _register_lines(Path(f))]
    return report


def sync(root: Path = LOCALE_DIR, *, prefer_python: bool = False, strip: bool = True) -> SyncReport:
    errors = import_everything()
    tables, report, strippable = _merge(registered(), root, prefer_python)
    report.import_errors = errors
    for lang, table in tables.items():
        write_catalogue(lang, table, root)
    for filename in sorted({f for f, _ in registered()}):
        path = Path(filename)
        if strip and filename in strippable:
            done, left = strip_registrations(path)
            report.stripped += [f"{filename}:{n}" for n in done]
            report.left += [f"{filename}:{n}" for n in left]
        else:
            report.left += [f"{filename}:{n}" for n in _register_lines(path)]
    # a catalogue key missing from one language is reported, never invented
    return report


def _is_register(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (isinstance(func, ast.Name) and func.id == "register") or (
        isinstance(func, ast.Attribute) and func.attr == "register" and isinstance(func.value, ast.Name) and func.value.id == "i18n"
    )


def _register_lines(path: Path) -> list[int]:
    if not path.exists():
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in tree.body if _is_register(node)]


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _literal_table(node: ast.AST) -> bool:
    """A dict display whose values are only literals / dicts / names (no calls): a strings table."""
    return isinstance(node, ast.Dict) and not any(isinstance(n, ast.Call) for n in ast.walk(node))


def strip_registrations(path: Path) -> tuple[list[int], list[int]]:
    """Remove the module-level ``register(...)`` calls of ``path`` and the module-level dict tables
    only they used; drop ``register`` from the import once unused. Returns (removed, left) lines.

    A table the module (or another module) still reads is kept: its strings are in the catalogue, the
    dict stays for the code that reads it, and the call is removed.
    """
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()  # 0-based line numbers
    removed: list[int] = []
    left: list[int] = []
    calls = [node for node in tree.body if _is_register(node)]
    if not calls:
        return [], []
    used_by_calls: set[str] = set()
    for node in calls:
        used_by_calls |= _names(node)
        drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
        removed.append(node.lineno)
    kept_nodes = [n for n in tree.body if n not in calls]
    others = _other_sources(path)
    for node in tree.body:
        targets: list[str] = []
        value: ast.AST | None = None
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets, value = [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets, value = [node.target.id], node.value
        if not targets or value is None or not set(targets) <= used_by_calls or not _literal_table(value):
            continue
        elsewhere = any(name in _names(other) for name in targets for other in kept_nodes if other is not node) or any(
            re.search(rf"\b{re.escape(name)}\b", text) for name in targets if not name.startswith("_") for text in others
        )
        if elsewhere:
            left.append(node.lineno)  # the strings are in the catalogue; code still reads this dict
        else:
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    # trailing "# fmt: skip" etc. sit on the call's last line: removed with it
    kept = [line for i, line in enumerate(lines) if i not in drop]
    text = "".join(kept)
    text = _drop_unused_register_import(text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    path.write_text(text, encoding="utf-8")
    return removed, left


def _other_sources(path: Path) -> list[str]:
    src = Path(__file__).resolve().parents[2]  # .../src
    out = []
    for other in src.rglob("*.py"):
        if other.resolve() != path.resolve():
            out.append(other.read_text(encoding="utf-8"))
    return out


def _drop_unused_register_import(text: str) -> str:
    tree = ast.parse(text)
    if any(isinstance(n, ast.Name) and n.id == "register" for n in ast.walk(tree)):
        return text
    lines = text.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "finguard.core.i18n" and any(a.name == "register" for a in node.names):
            rest = [a.name if a.asname is None else f"{a.name} as {a.asname}" for a in node.names if a.name != "register"]
            new = f"from finguard.core.i18n import {', '.join(rest)}\n" if rest else ""
            start, end = node.lineno - 1, node.end_lineno or node.lineno
            return "".join(lines[:start]) + new + "".join(lines[end:])
    return text


def _print(report: SyncReport, verb: str) -> None:
    for lang, keys in report.added.items():
        print(f"{verb} {len(keys)} {lang} string(s) into {po_path(lang)}")
    for lang, keys in report.differing.items():
        for key in keys:
            print(f"differs from the catalogue ({lang}): {key}")
    for key in report.one_language:
        print(f"in one language only: {key}")
    for where in report.stripped:
        print(f"removed register() call: {where}")
    for where in report.left:
        print(f"register() call left in Python: {where}")
    for error in report.import_errors:
        print(f"could not import {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("sync", "check"):
        print("usage: python -m finguard.core.i18n_catalog sync [--prefer-python] [--no-strip] | check", file=sys.stderr)
        return 2
    if args[0] == "check":
        report = check()
        _print(report, "would add")
        if report.clean:
            print("catalogues complete: every registered string is in the .po files")
            return 0
        print("run: python -m finguard.core.i18n_catalog sync", file=sys.stderr)
        return 1
    report = sync(prefer_python="--prefer-python" in args, strip="--no-strip" not in args)
    _print(report, "added")
    return 0 if not report.one_language else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The gettext catalogues and the sync that moves dict-registered strings into them (#13)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from finguard.core import i18n, i18n_catalog

BRANCH_MODULE = '''"""A page module as a branch written before the catalogues would add it."""

from __future__ import annotations

from finguard.core.i18n import messages, register

_TEXT = {"zh": {"branch_new_title": "新页面", "staff_logout": "登出"}, "en": {"branch_new_title": "New page", "staff_logout": "Log out"}}
register(_TEXT)


def title(lang: str) -> str:
    return messages(lang)["branch_new_title"]
'''


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A copy of the catalogues, and registrations / messages that the test may dirty."""
    root = tmp_path / "locale"
    shutil.copytree(i18n_catalog.LOCALE_DIR, root)
    monkeypatch.setattr(i18n, "REGISTERED", [])
    monkeypatch.setattr(i18n, "MESSAGES", {lang: dict(t) for lang, t in i18n.MESSAGES.items()})
    return root


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"branch_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_catalogues_are_read_with_babel_and_serve_the_pages() -> None:
    zh, en = i18n_catalog.read_catalogue("zh"), i18n_catalog.read_catalogue("en")
    assert zh["staff_nav_alerts"] == i18n.MESSAGES["zh"]["staff_nav_alerts"] == "预警"
    assert en["staff_nav_alerts"] == i18n.MESSAGES["en"]["staff_nav_alerts"]
    path = i18n_catalog.po_path("zh")
    assert path.name == "finguard.po" and path.parent.parent.name == "zh_CN"
    # the file on disk is what render_po writes: sorted, no dates, stable
    assert path.read_text(encoding="utf-8") == i18n_catalog.render_po("zh", zh)


def test_a_branch_that_still_registers_a_dict_works_before_the_sync(isolated: Path, tmp_path: Path) -> None:
    module_path = tmp_path / "branch_pages.py"
    module_path.write_text(BRANCH_MODULE, encoding="utf-8")
    module = _load(module_path)
    assert module.title("zh") == "新页面" and module.title("en") == "New page"  # type: ignore[attr-defined]
    # a key the catalogue has keeps the catalogue's text
    assert i18n.MESSAGES["zh"]["staff_logout"] == i18n.CATALOGUE["zh"]["staff_logout"] != "登出"


def test_sync_moves_the_dict_into_the_catalogues_strips_it_and_is_idempotent(isolated: Path, tmp_path: Path) -> None:
    module_path = tmp_path / "branch_pages.py"
    text = BRANCH_MODULE.replace(', "staff_logout": "登出"', "").replace(', "staff_logout": "Log out"', "")
    module_path.write_text(text, encoding="utf-8")
    _load(module_path)
    before = i18n_catalog.check(root=isolated)
    assert not before.clean and before.added == {"zh": ["branch_new_title"], "en": ["branch_new_title"]}

    report = i18n_catalog.sync(root=isolated)
    assert report.added == {"zh": ["branch_new_title"], "en": ["branch_new_title"]}
    assert i18n_catalog.read_catalogue("zh", isolated)["branch_new_title"] == "新页面"
    assert i18n_catalog.read_catalogue("en", isolated)["branch_new_title"] == "New page"
    source = module_path.read_text(encoding="utf-8")
    assert "register(" not in source and "_TEXT" not in source and "import messages\n" in source
    compile(source, str(module_path), "exec")

    files = {lang: i18n_catalog.po_path(lang, isolated).read_bytes() for lang in ("zh", "en")}
    again = i18n_catalog.sync(root=isolated)
    assert not again.added and not again.differing and not again.stripped
    assert {lang: i18n_catalog.po_path(lang, isolated).read_bytes() for lang in ("zh", "en")} == files


def test_sync_keeps_the_catalogues_text_when_a_dict_disagrees_and_says_so(isolated: Path, tmp_path: Path) -> None:
    module_path = tmp_path / "branch_pages.py"
    module_path.write_text(BRANCH_MODULE, encoding="utf-8")
    _load(module_path)
    report = i18n_catalog.sync(root=isolated)
    assert any(k.startswith("staff_logout ") for k in report.differing["zh"])
    assert i18n_catalog.read_catalogue("zh", isolated)["staff_logout"] == i18n.CATALOGUE["zh"]["staff_logout"]
    assert "register(" in module_path.read_text(encoding="utf-8")  # left for a person to settle
    assert not report.clean

    taken = i18n_catalog.sync(root=isolated, prefer_python=True)
    assert i18n_catalog.read_catalogue("zh", isolated)["staff_logout"] == "登出" and taken.stripped


def test_the_command_line_check_passes_on_this_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert i18n_catalog.main(["check"]) == 0
    assert "catalogues complete" in capsys.readouterr().out
    assert i18n_catalog.main(["nonsense"]) == 2

"""The mypyc-compiled hot modules (screening, the guard; finguard.compiled): loaded only from a current build, never stale."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finguard import compiled
from finguard.screening.model.names import analyse_name
from finguard.screening.service import similarity

SRC = Path(compiled.__file__).resolve().parent.parent
_STATUS = (
    "import finguard.compiled as c, finguard.screening.service.similarity as s, finguard.screening.model.names as n; "
    "print(c.status); print(s.__file__); print(n.__file__)"
)


def _run(src: Path, build: Path, **env: str) -> tuple[list[str], str]:
    environ = {k: v for k, v in os.environ.items() if k != "FINGUARD_PURE_PYTHON"}
    environ.update(PYTHONPATH=str(src), FINGUARD_COMPILED_DIR=str(build), **env)
    done = subprocess.run([sys.executable, "-c", _STATUS], env=environ, capture_output=True, text=True, check=True, cwd=src)
    return done.stdout.splitlines(), done.stderr


def test_prepared_pickles_through_its_reduce_pure_and_compiled_alike() -> None:
    prepared = similarity.prepare(analyse_name("Lee Ji Yeon").variants + analyse_name("Rhee Ji-yeon").variants)
    for p in prepared:
        rebuild, args = p.__reduce__()
        assert rebuild is similarity._rebuilt_prepared
        assert len(args) == 23  # every slot
    back = pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    slots = ("kind", "tokens", "weights", "total", "compact", "skel", "skel_weights", "family", "dup", "chinese", "korean")
    assert [[getattr(p, k) for k in slots] for p in back] == [[getattr(p, k) for k in slots] for p in prepared]
    # the pickled form names only the module function and plain values: pure and compiled read each other's
    assert b"_rebuilt_prepared" in pickle.dumps(prepared[0]) and b"copyreg" not in pickle.dumps(prepared[0])


def test_no_build_and_stale_stamp_run_pure_python(tmp_path: Path) -> None:
    lines, _ = _run(SRC, tmp_path / "none")
    assert lines[0].startswith("pure Python: no compiled build") and lines[1].endswith("similarity.py")
    stale = tmp_path / "stale"
    stale.mkdir()
    stamp = {"python": sys.version, "abi": compiled._abi(), "sources": {m: "0" * 64 for m in compiled.MODULES}, "files": {}}
    (stale / compiled.STAMP).write_text(json.dumps(stamp))
    lines, err = _run(SRC, stale)
    assert "stale" in lines[0] and "similarity.py" in lines[0] and lines[1].endswith("similarity.py")
    assert len(err.strip().splitlines()) == 1  # one warning
    other = dict(stamp, sources=compiled.sources_stamp(), python="3.10.0 (other)")
    (stale / compiled.STAMP).write_text(json.dumps(other))
    lines, _ = _run(SRC, stale)
    assert "built for Python 3.10.0" in lines[0] and lines[2].endswith("names.py")


def test_a_current_build_is_used_until_a_source_changes(tmp_path: Path) -> None:
    build = compiled.build_dir()
    stamp = compiled.read_stamp(build)
    if stamp is None or compiled.stale_reason(stamp) is not None:
        pytest.skip(f"no current compiled build in {build} (scripts/build-compiled)")
    src = tmp_path / "src"
    shutil.copytree(SRC / "finguard", src / "finguard", ignore=shutil.ignore_patterns("__pycache__"))
    lines, _ = _run(src, build)
    assert lines[0].startswith("compiled:") and lines[1].endswith(compiled._abi()) and lines[2].endswith(compiled._abi())
    lines, _ = _run(src, build, FINGUARD_PURE_PYTHON="1")
    assert lines[0] == "pure Python: FINGUARD_PURE_PYTHON is set" and lines[1].endswith("similarity.py")
    scripts = src / "finguard" / "screening" / "model" / "scripts.py"
    scripts.write_text(scripts.read_text() + "\n# edited after the build\n")
    lines, err = _run(src, build)
    assert "stale" in lines[0] and "scripts.py" in lines[0] and len(err.strip().splitlines()) == 1
    assert lines[1].endswith("similarity.py") and lines[2].endswith("names.py")


def test_doctor_says_which(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from finguard.app.cli import app

    monkeypatch.setenv("FINGUARD_HOME", str(tmp_path))
    monkeypatch.delenv("FINGUARD_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["doctor"], env={"COLUMNS": "400"})
    assert "compiled modules" in result.output
    assert compiled.status.split(":")[0] in result.output


def test_pure_and_compiled_read_each_others_pickles(tmp_path: Path) -> None:
    stamp = compiled.read_stamp()
    if stamp is None or compiled.stale_reason(stamp) is not None:
        pytest.skip("no current compiled build (scripts/build-compiled)")
    names = ["Kim Jong Un", "Lee Ji Yeon", "محمد علي", "太田 修平", "Osama bin Laden"]
    code = (
        "import pickle, sys; from finguard.screening.model.names import analyse_name; "
        "from finguard.screening.service import similarity as s; "
        f"sys.stdout.buffer.write(pickle.dumps([s.prepare(analyse_name(n).variants) for n in {names!r}]))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "FINGUARD_PURE_PYTHON"}
    if not compiled.in_use:
        environ["FINGUARD_COMPILED_DIR"] = str(compiled.build_dir())
    else:
        environ["FINGUARD_PURE_PYTHON"] = "1"
    environ["PYTHONPATH"] = str(SRC)
    other = pickle.loads(subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, check=True).stdout)
    here = [similarity.prepare(analyse_name(n).variants) for n in names]
    slots = ("kind", "tokens", "weights", "total", "compact", "phon", "skel", "skel_compact", "family", "dup", "hebrew_short")
    assert [[[getattr(p, k) for k in slots] for p in ps] for ps in other] == [[[getattr(p, k) for k in slots] for p in ps] for ps in here]

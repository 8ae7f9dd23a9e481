"""The hot modules compiled with mypyc: built into a directory of their own, loaded only when current.

The hot modules (:data:`MODULES`) are screening's matching and the guard's decision path.

``python -m finguard.compile build`` (``scripts/build-compiled``; ``scripts/setup`` calls it) compiles
:data:`MODULES` into ``var/compiled/`` (``FINGUARD_COMPILED_DIR`` to move it) with a stamp: the
sha256 of every source mypyc read for them (:data:`MODULES` and the finguard modules they import,
:data:`DEPENDS`), the Python version and its extension ABI, the mypy version. At import
(:func:`install`, from ``finguard/__init__.py``) a small meta-path finder loads the compiled
modules in place of the ``.py`` files only when that stamp matches the sources on disk and this
Python, and ``FINGUARD_PURE_PYTHON`` is not set; a stale build logs one warning and pure Python
runs. Nothing here is needed at run time but the standard library: the compiled code needs only
CPython (mypy and a C compiler are build tools).
"""

from __future__ import annotations

# Only os and sys at import (finguard/__init__.py imports this module first, in every process): the
# rest where it is used, so `import finguard` costs no more than the check needs (json and hashlib
# only when a build is there; logging only for a stale one; pathlib and importlib.util never on the
# way in).
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from pathlib import Path
    from types import ModuleType
    from typing import Any

MODULES = (
    "finguard.screening.service.similarity",
    "finguard.screening.model.names",
    "finguard.screening.model.scripts",
    "finguard.screening.service.ranking",
    # the guard's decision hot path (#19, docs/capacity.md "Stop 27")
    "finguard.guard.model.events",
    "finguard.guard.model.context",
    "finguard.guard.model.features",
    "finguard.guard.model.rules",
    "finguard.guard.service.velocity",
)
# finguard modules the compiled ones import: mypyc reads their types (and may build in their Final constants)
DEPENDS = (
    "finguard.core.text",
    "finguard.screening.service.nicknames",
    "finguard.core.errors",
    "finguard.core.identifiers",
    "finguard.core.money",
    "finguard.guard.model.controls",
    "finguard.guard.model.decision",
    "finguard.guard.model.merchant_risk",
    "finguard.guard.service.fx",
)
STAMP = "stamp.json"
# the directory holding the finguard package (src/ in a checkout)
_PACKAGES = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

# what install() found: "compiled" or why pure Python runs (finguard doctor prints it)
status = "pure Python: not checked"
in_use = False


def _build_dir() -> str:
    env = os.environ.get("FINGUARD_COMPILED_DIR")
    if env:
        return env
    if os.path.basename(_PACKAGES) == "src":
        return os.path.join(os.path.dirname(_PACKAGES), "var", "compiled")
    return os.path.join(sys.prefix, "var", "finguard-compiled")


def build_dir() -> Path:
    """``FINGUARD_COMPILED_DIR``, else ``var/compiled`` of the checkout (``<prefix>/var/finguard-compiled`` installed)."""
    from pathlib import Path

    return Path(_build_dir())


def _source(module: str, root: str | os.PathLike[str] = _PACKAGES) -> str:
    return os.path.join(root, *module.split(".")) + ".py"


def _abi() -> str:
    import importlib.machinery

    return importlib.machinery.EXTENSION_SUFFIXES[0]


def sources_stamp(root: str | os.PathLike[str] = _PACKAGES) -> dict[str, str]:
    """The sha256 of each source a build reads, by module."""
    import hashlib

    def digest(path: str) -> str:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    return {m: digest(_source(m, root)) for m in (*MODULES, *DEPENDS)}


def pure_requested() -> bool:
    return os.environ.get("FINGUARD_PURE_PYTHON", "") not in ("", "0")


def read_stamp(where: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    path = os.path.join(_build_dir() if where is None else where, STAMP)
    if not os.path.isfile(path):  # no build: no json to import
        return None
    import json

    try:
        with open(path, encoding="utf-8") as f:
            found = json.load(f)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def stale_reason(stamp: dict[str, Any], root: str | os.PathLike[str] = _PACKAGES) -> str | None:
    """Why a build with this stamp must not run here, or None when it matches the sources and this Python."""
    if stamp.get("python") != sys.version or stamp.get("abi") != _abi():
        return f"built for Python {str(stamp.get('python', '?')).split()[0]} {stamp.get('abi')}, this is {sys.version.split()[0]} {_abi()}"
    try:
        now = sources_stamp(root)
    except OSError as e:
        return f"cannot read the sources ({e})"
    changed = [m for m, h in now.items() if stamp.get("sources", {}).get(m) != h]
    if changed:
        return "sources changed since the build: " + ", ".join(m.rsplit(".", 1)[1] + ".py" for m in changed)
    return None


class _Finder:
    """Finds the compiled modules (and mypyc's shared library) in the build directory, nothing else."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        import importlib.util

        return importlib.util.spec_from_file_location(fullname, file)


def install() -> None:
    """Load the compiled modules from now on if the build is current (see the module docstring); say why not."""
    global status, in_use
    if any(m in sys.modules for m in MODULES):
        status = "pure Python: the modules were imported before finguard.compiled.install"
        return
    if pure_requested():
        status = "pure Python: FINGUARD_PURE_PYTHON is set"
        return
    where = _build_dir()
    stamp = read_stamp(where)
    if stamp is None:
        status = f"pure Python: no compiled build in {where} (scripts/build-compiled makes one)"
        return
    reason = stale_reason(stamp)
    files = {name: os.path.join(where, rel) for name, rel in dict(stamp.get("files", {})).items()}
    if reason is None and (set(MODULES) - set(files) or not all(os.path.isfile(f) for f in files.values())):
        reason = "the build directory is incomplete"
    if reason is not None:
        import logging

        status = f"pure Python: the compiled build in {where} is stale ({reason}); scripts/build-compiled rebuilds it"
        logging.getLogger("finguard.compiled").warning("finguard: %s", status)
        return
    sys.meta_path.insert(0, _Finder(files))
    took = f"built in {stamp.get('seconds')} s, {stamp.get('cpu_seconds')} s CPU"
    status = f"compiled: {', '.join(m.rsplit('.', 1)[1] for m in MODULES)} from {where} (mypy {stamp.get('mypy')}, {took})"
    in_use = True


def loaded() -> dict[str, bool]:
    """Per compiled module already imported: whether it is the compiled one (its file an extension module)."""
    return {m: sys.modules[m].__file__ is not None and str(sys.modules[m].__file__).endswith(_abi()) for m in MODULES if m in sys.modules}


# -- the build ------------------------------------------------------------------------------------


def _fail(why: str) -> int:
    print(f"finguard: compiled modules not built ({why}); finguard runs in pure Python", file=sys.stderr)
    return 1


def build(force: bool = False, mypyc_python: str | None = None) -> int:
    """Compile :data:`MODULES` into :func:`build_dir`; 0 when built (or already current), 1 (one line said) when not."""
    try:
        return _build(force, mypyc_python)
    except Exception as e:  # any failure: one line, and finguard goes on in pure Python
        return _fail(f"{type(e).__name__}: {e}")


def _build(force: bool, mypyc_python: str | None) -> int:
    import json
    import resource
    import shutil
    import subprocess
    import sysconfig
    import tempfile
    import time
    from pathlib import Path

    where = build_dir()
    py = mypyc_python or os.environ.get("FINGUARD_MYPYC_PYTHON") or sys.executable
    if os.sep in py:
        py = os.path.abspath(py)  # mypyc runs in the build's own directory
    stamp = read_stamp(where)
    try:
        probe = subprocess.run(  # noqa: S603 - our own Python, fixed arguments
            [py, "-c", "import sys, mypy.version, mypyc, setuptools; print(mypy.version.__version__); print(sys.version)"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as e:
        return _fail(f"cannot run {py}: {e}")
    if probe.returncode != 0:
        return _fail(f"mypyc is not installed for {py}")
    mypy_version, _, build_python = probe.stdout.partition("\n")
    if build_python.strip() != sys.version:
        return _fail(f"{py} is Python {build_python.split()[0] if build_python else '?'}, finguard runs on {sys.version.split()[0]}")
    if not force and stamp is not None and stale_reason(stamp) is None and stamp.get("mypy") == mypy_version:
        print(f"finguard: compiled modules in {where} are current")
        return 0
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return _fail(f"no C compiler ({cc})")
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return _fail("no Python headers (Python.h; the python3-dev package)")
    where.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="compiled-build-", dir=where.parent))
    try:
        src = work / "src"
        shutil.copytree(Path(_PACKAGES) / "finguard", src / "finguard", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
        sources = sources_stamp(src)  # what is compiled: the copy, whatever happens to the checkout meanwhile
        start, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        paths = [_source(m, "") for m in MODULES]
        # a build, not a type check (`mypy src` is that): mypy's default settings, not the checkout's strict ones, untyped
        # or missing imports taken as Any, other modules' errors not the build's business (mypyc sees the same types)
        (work / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n")
        options = ["--config-file", str(work / "mypy.ini")]
        with (work / "build.log").open("w") as log:
            done = subprocess.run(  # noqa: S603 - our own Python, fixed arguments
                [py, "-m", "mypyc", "--python-executable", sys.executable, *options, *paths],
                cwd=src,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, cpu = time.monotonic() - start, (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        if done.returncode != 0:
            shutil.copy2(work / "build.log", where.parent / "compiled-build.log")
            return _fail(f"mypyc failed, see {where.parent / 'compiled-build.log'}")
        out = work / "out"
        files: dict[str, str] = {}
        for m in MODULES:
            rel = Path(*m.split(".")).with_suffix(_abi())
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, out / rel)
            files[m] = str(rel)
        for lib in src.glob(f"*__mypyc{_abi()}"):
            shutil.copy2(lib, out / lib.name)
            files[lib.name[: -len(_abi())]] = lib.name
        stamp = {
            "sources": sources,
            "python": sys.version,
            "abi": _abi(),
            "mypy": mypy_version,
            "files": files,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),
        }
        (out / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
        shutil.copy2(work / "build.log", out / "build.log")
        old = work / "old"
        if where.exists():
            where.rename(old)
        out.rename(where)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(f.stat().st_size for f in where.rglob(f"*{_abi()}")) / 1e6
    took = f"{seconds:.0f} s ({cpu:.0f} s CPU)"
    print(f"finguard: compiled {len(MODULES)} modules with mypyc {mypy_version} in {took}, {size:.1f} MB in {where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m finguard.compile", description=__doc__.split("\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compile the hot modules (skipped when the build is current)")
    b.add_argument("--force", action="store_true", help="rebuild even when current")
    b.add_argument("--mypyc-python", help="the Python with mypyc installed (default: this one; FINGUARD_MYPYC_PYTHON)")
    sub.add_parser("status", help="say whether the compiled modules would be used, and why not")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(force=args.force, mypyc_python=args.mypyc_python)
    print(status)
    return 0

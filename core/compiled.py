"""The compiled core: Cython builds of the per-event hot path, used when built and not switched off.

`make compiled` (`python -m core.compiled build`) compiles the modules in `COMPILED` as they
are, typed by the `.pxd` files beside the hottest ones, into `build/compiled/` with a
manifest of the sources' hashes. Each package holding one of them calls `select` in its
`__init__`, which puts that directory before the package's own on its `__path__`: the
extension modules then shadow the .py files, which stay the reference and the fallback.

The core is used whole or not at all (a compiled module takes the compiled classes of the
others as typed attributes), and not when `KEFU_PURE_PYTHON=1`, when nothing was built (no
C compiler, an installed wheel), or when any source changed since the build: stale
machine code must not run in place of the .py file someone edited.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import logging
import os
import shutil
import sys
import sysconfig
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

# The stateful stage's apply (engine, buyer-days, rows, dedup, memory) and ingest's
# validation and routing: pure and synchronous, and what a worker spends its time in.
COMPILED = (
    "agents.inquiries.conversation",
    "agents.inquiries.engine",
    "agents.inquiries.hours",
    "agents.partition.buyer_days",
    "agents.partition.buyer_forms",
    "agents.partition.dedup",
    "agents.partition.memory",
    "agents.partition.old_duplicates",
    "agents.partition.orphans",
    "agents.partition.rows",
    "agents.partition.state",
    "agents.partition.watermarks",
    "agents.ingest.router",
    "schemas.fast_chat",
)
SWITCH = "KEFU_PURE_PYTHON"
ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "compiled"
MANIFEST = BUILD / "manifest.json"
# Cython reads the annotations as Python objects unless told not to; the .pxd files alone
# decide C types, so the .py files mean the same compiled or not.
DIRECTIVES = {"language_level": 3, "annotation_typing": False}


def _sources() -> dict[str, str]:
    """sha256 of every file a build reads: each module's .py and its .pxd, if any."""
    out: dict[str, str] = {}
    for name in COMPILED:
        base = ROOT.joinpath(*name.split("."))
        for path in (base.with_suffix(".py"), base.with_suffix(".pxd")):
            if path.is_file():
                out[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@cache
def status() -> tuple[bool, str]:
    """Whether the compiled core is used in this process, and why (or why not)."""
    if os.environ.get(SWITCH, "").strip().lower() in ("1", "true", "yes", "on"):
        return False, f"off ({SWITCH} is set)"
    try:
        manifest = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return False, "not built (make compiled)"
    if manifest.get("abi") != _abi() or manifest.get("sources") != _sources():
        log.warning("the compiled core is older than its sources: pure Python until make compiled")
        return False, "stale (sources changed since make compiled)"
    return True, "in use"


def active() -> bool:
    return status()[0]


def select(package: str, path: list[str]) -> None:
    """Have `package` (a caller's `__name__`, `__path__`) find its compiled modules first."""
    if active():
        path.insert(0, str(BUILD.joinpath(*package.split("."))))


def pure(*names: str) -> list[ModuleType]:
    """The modules named, imported afresh from the .py files alone, beside the compiled ones.

    For side-by-side checks and timings in one process: the modules of COMPILED they import
    are new pure objects too, shared among them; every other import still gets the compiled.
    """
    if not active():
        return [importlib.import_module(name) for name in names]
    children = [m.rpartition(".") for m in COMPILED]
    packages = {importlib.import_module(p) for p, _, _ in children}
    held = {m: sys.modules.pop(m) for m in COMPILED if m in sys.modules}
    # `from package import module` takes the package's attribute when it has one.
    bound = {
        (p, c): vars(sys.modules[p]).pop(c) for p, _, c in children if c in vars(sys.modules[p])
    }
    paths = {package: list(package.__path__) for package in packages}
    for package in packages:
        package.__path__[:] = [d for d in paths[package] if not d.startswith(str(BUILD))]
    try:
        modules = [importlib.import_module(name) for name in names]
    finally:
        for p, _, c in children:
            sys.modules.pop(f"{p}.{c}", None)
            vars(sys.modules[p]).pop(c, None)
        sys.modules.update(held)
        for package, path in paths.items():
            package.__path__[:] = path
        for (p, c), value in bound.items():
            setattr(sys.modules[p], c, value)
    return modules


def _abi() -> str:
    return f"{sys.implementation.cache_tag}-{sys.platform}"


def build(optional: bool = False) -> int:
    """Compile COMPILED into BUILD; `optional`: no C compiler or Cython is no failure."""
    sources = _sources()
    if MANIFEST.is_file() and json.loads(MANIFEST.read_text()) == _manifest(sources):
        print("compiled core up to date", file=sys.stderr)
        return 0
    missing = _missing_toolchain()
    if missing:
        print(f"compiled core not built: {missing}; pure Python runs", file=sys.stderr)
        return 0 if optional else 1
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    shutil.rmtree(BUILD, ignore_errors=True)
    work = ROOT / "build" / "compiled-c"
    modules = [
        Extension(name, [str(Path(*name.split(".")).with_suffix(".py"))]) for name in COMPILED
    ]
    cwd = Path.cwd()
    os.chdir(ROOT)  # Cython names each module by its path below the package root
    try:
        extensions = cythonize(
            modules,
            build_dir=str(work),
            compiler_directives=DIRECTIVES,
            include_path=[str(ROOT)],
            nthreads=os.cpu_count() or 1,
            quiet=True,
        )
        command = Distribution({"ext_modules": extensions}).get_command_obj("build_ext")
        command.build_lib = str(BUILD)
        command.build_temp = str(work)
        command.parallel = os.cpu_count() or 1
        command.ensure_finalized()
        command.run()
    finally:
        os.chdir(cwd)
    MANIFEST.write_text(json.dumps(_manifest(sources), indent=1))
    print(f"compiled core built in {BUILD}", file=sys.stderr)
    return 0


def _manifest(sources: dict[str, str]) -> dict[str, object]:
    return {"abi": _abi(), "directives": DIRECTIVES, "sources": sources}


def _missing_toolchain() -> str | None:
    try:
        import Cython  # noqa: F401
    except ImportError:
        return "Cython is not installed (pip install -e '.[dev]')"
    compiler = os.environ.get("CC", "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not Path(sysconfig.get_paths()["include"], "Python.h").is_file():
        return "no Python headers (python3.11-dev)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.compiled")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="compile the hot modules into build/compiled")
    make.add_argument("--optional", action="store_true", help="no toolchain is no failure")
    sub.add_parser("status", help="whether this process would use the compiled core")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(args.optional)
    print(status()[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A non-editable install ships the whole course package.

A course server or Colab (`pip install git+https://...`) gets the package from a wheel, not from
this checkout: every module and subpackage must be in it. The checkout's files are built into a
wheel the way a fresh clone would be, the wheel is installed into a clean virtual environment
that borrows only the dependencies of the running one (no network), and every module of the
package is imported there from outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "dlcourse"
_IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def _repo_files() -> list[str]:
    """The checkout's files that a clone (or the next commit) would hold, relative, posix style."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
        names = [n for n in out.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked archive)
        skip = {".git", ".venv", ".venv-colab", "build", "dist", *_IGNORED_PARTS}
        names = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                 if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
                 and not p.name.endswith((".pyc", ".egg-info"))]
    return sorted(n for n in names if (ROOT / n).is_file() and not _IGNORED_PARTS & set(n.split("/")))


def _package_files() -> list[str]:
    return [n for n in _repo_files() if n.startswith(f"{PACKAGE}/")]


def _module_names(files: list[str]) -> list[str]:
    """Dotted names of the package's modules: ``a/b/__init__.py`` -> ``a.b``, ``a/b/c.py`` -> ``a.b.c``."""
    names = []
    for f in files:
        if f.endswith(".py"):
            parts = f[: -len(".py")].split("/")
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return sorted(names)


@dataclass
class Installed:
    wheel: Path
    venv: Path
    python: Path
    deps: list[str]  # the running environment's site-packages, made importable in the clean one
    work: Path  # an empty folder outside the checkout to run from


def _run(cmd: list, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    kw.setdefault("env", env)
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    shown = " ".join(str(c) if len(str(c)) < 200 else "<...>" for c in cmd)
    assert out.returncode == 0, f"{shown} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("packaging")
    # Build from a copy of the checkout's files, as pip does from a fresh clone: no build/ or
    # *.egg-info/ written into the shared checkout, no stale build/lib/ leaking into the wheel.
    src = tmp / "src"
    for name in _repo_files():
        if name.startswith(("notebooks/", "solutions/", "benchmarks/")):
            continue  # not part of the package build, and the largest part of the checkout
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    wheels = tmp / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", wheels, src])
    (wheel,) = wheels.glob(f"{PACKAGE}-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel])
    # The dependencies come from the running environment, added by a path line in a .pth file:
    # such a line does not process that folder's own .pth files, so the checkout's editable
    # install (__editable__*.pth there) stays inactive; the test below verifies it.
    deps = list(dict.fromkeys(site.getsitepackages() + [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]))
    clean_site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    Path(clean_site, "_course_test_dependencies.pth").write_text("".join(f"{d}\n" for d in deps))
    work = tmp / "work"
    work.mkdir()
    return Installed(wheel, venv, python, deps, work)


def test_wheel_holds_every_file_of_the_package(installed: Installed) -> None:
    """Every .py file (and any data file) of dlcourse/ is in the wheel, so no subpackage is forgotten."""
    with zipfile.ZipFile(installed.wheel) as zf:
        in_wheel = {n for n in zf.namelist() if n.startswith(f"{PACKAGE}/")}
    source = set(_package_files())
    source_py = {n for n in source if n.endswith(".py")}
    assert {f"{PACKAGE}/__init__.py", f"{PACKAGE}/grader/__main__.py"} <= source_py
    missing = sorted(source - in_wheel)
    assert not missing, (f"the wheel lacks {missing}: check [tool.setuptools.packages.find] (every subpackage "
                         "needs an __init__.py) and package-data in pyproject.toml")
    extra_py = sorted(n for n in in_wheel if n.endswith(".py") and n not in source_py)
    assert not extra_py, f"the wheel holds modules that the source tree does not: {extra_py}"
    assert not [n for n in in_wheel if "__pycache__" in n or n.endswith(".pyc")]


_IMPORT_ALL = r"""
import importlib, importlib.util, json, sys
names = json.loads(sys.argv[1])
where = {}
for name in names:
    if name.rsplit(".", 1)[-1] == "__main__":  # importing it would run the command line
        spec = importlib.util.find_spec(name)
        where[name] = spec.origin if spec else None
    else:
        where[name] = importlib.import_module(name).__file__
import numpy, torch  # the dependencies resolve too
print(json.dumps({
    "where": where,
    "meta_path": [repr(f) for f in sys.meta_path],
    "path": sys.path,
    "editable": sorted(m for m in sys.modules if "editable" in m),
}))
"""


def test_every_module_imports_from_the_clean_install(installed: Installed) -> None:
    names = _module_names(_package_files())
    expected = {PACKAGE, f"{PACKAGE}.explorer", f"{PACKAGE}.grader", f"{PACKAGE}.grader.__main__", f"{PACKAGE}.tooling"}
    assert expected <= set(names), names
    out = _run([installed.python, "-I", "-c", _IMPORT_ALL, json.dumps(names)], cwd=installed.work)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    venv = installed.venv.resolve()
    outside = {n: f for n, f in got["where"].items() if f is None or not Path(f).resolve().is_relative_to(venv)}
    assert not outside, f"modules not loaded from the clean install {venv}: {outside}"
    # The checkout's editable install stayed inactive, and the checkout is not on the path.
    assert not got["editable"] and not [f for f in got["meta_path"] if "editable" in f.lower()], got
    assert str(ROOT) not in got["path"] and "" not in got["path"], got["path"]
    assert set(installed.deps) & set(got["path"]), got["path"]


def test_grader_command_line_runs_from_the_clean_install(installed: Installed) -> None:
    out = _run([installed.python, "-I", "-m", f"{PACKAGE}.grader", "--help"], cwd=installed.work)
    assert "usage:" in out.stdout.lower(), out.stdout

"""Every solution notebook runs with Colab-like package versions (ipywidgets 7.7, numpy 1.x).

Runs only in the environment `make test` builds from constraints-colab.txt
(DLCOURSE_COLAB_COMPAT=1); the main environment's notebook checks are in test_notebooks.py.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dlcourse.tooling import notebooks as nbtools

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(ROOT.glob("solutions/week*/*.ipynb"))

pytestmark = pytest.mark.skipif(
    os.environ.get("DLCOURSE_COLAB_COMPAT") != "1", reason="runs in the Colab-like environment of `make test`"
)


def test_environment_is_colab_like():
    import ipywidgets
    import numpy

    assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
    assert numpy.__version__.startswith("1."), numpy.__version__


def _run_copy(path: str, folder: str) -> list:
    dest = Path(folder) / Path(path).name
    shutil.copy2(path, dest)
    return nbtools.execute_notebook(dest, allow_errors=True).errors


@pytest.fixture(scope="module")
def colab_runs(tmp_path_factory) -> dict[Path, Any]:
    """Every solution notebook run once, two at a time (CI has two cores): path -> errors or exception."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # two notebooks at once: one thread each
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = {p: pool.submit(_run_copy, str(p), str(tmp_path_factory.mktemp(p.stem))) for p in SOLUTIONS}
        results = {}
        for p, fut in futures.items():
            try:
                results[p] = fut.result()
            except Exception as exc:  # a crash of one notebook fails its own test only
                results[p] = exc
    return results


@pytest.mark.parametrize("path", SOLUTIONS, ids=[f"{p.parent.name}/{p.name}" for p in SOLUTIONS])
def test_solution_runs_with_colab_versions(path, colab_runs):
    errors = colab_runs[path]
    if isinstance(errors, Exception):
        raise errors
    assert not errors, f"{path.name} fails with Colab-like versions: {errors}"


QUIZ_RELEASES = sorted(ROOT.glob("notebooks/week*/*_quiz.ipynb"))


@pytest.mark.parametrize("path", QUIZ_RELEASES, ids=[f"{p.parent.name}/{p.name}" for p in QUIZ_RELEASES])
def test_public_quiz_self_checks_without_nbgrader(path, tmp_path):
    """A learner's blank quiz runs to the end in Colab, where nbgrader is not installed."""
    import importlib.util

    assert importlib.util.find_spec("nbgrader") is None, "the Colab-like environment must not have nbgrader"
    shutil.copy2(path, tmp_path / path.name)
    run = nbtools.execute_notebook(tmp_path / path.name, allow_errors=True)
    assert not run.errors, f"{path.name}: {run.errors}"
    outputs = [o for c in run.notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("name") == "stderr"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "q01 is not answered yet" in text and "To revisit:" in text

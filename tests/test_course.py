import json

import pytest

from dlcourse import course


def _nb(title: str, url: str) -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": f"# {title}\n[![Open In Colab](x)]({url})"},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": 'subprocess.run(["pip", "install", "git+https://github.com/old/repo@dev"])'},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }


def test_stamp_rewrites_badges_install_lines_and_readme(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "REPO", "me/fork")
    nbdir = tmp_path / "solutions" / "week1_x"
    nbdir.mkdir(parents=True)
    (nbdir / "01_a.ipynb").write_text(json.dumps(_nb("A title", "https://colab.research.google.com/github/o/r/blob/main/x.ipynb")))
    (tmp_path / "README.md").write_text(f"intro\n{course.README_START}\nold\n{course.README_END}\nrest\n")
    assert course.stamp(tmp_path, check=True) == ["solutions/week1_x/01_a.ipynb", "README.md"]
    assert course.stamp(tmp_path) == ["solutions/week1_x/01_a.ipynb", "README.md"]
    assert course.stamp(tmp_path, check=True) == []
    text = (nbdir / "01_a.ipynb").read_text()
    assert "colab.research.google.com/github/me/fork/blob/main/notebooks/week1_x/01_a.ipynb" in text
    assert "git+https://github.com/me/fork@main" in text
    readme = (tmp_path / "README.md").read_text()
    assert "| 1 | [A title](notebooks/week1_x/01_a.ipynb) |" in readme and readme.endswith("rest\n")
    assert course.main(["stamp", "--check", "--root", str(tmp_path)]) == 0


def test_readme_without_markers_is_an_error(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "README.md").write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        course.stamp(tmp_path)


@pytest.mark.parametrize("target", ["collect", "autograde", "feedback"])
def test_make_steps_handle_several_weeks(target):
    """`make STEP WEEK="a b"` runs the grader's step once per week, with the week's name."""
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", target, "WEEK=week_a week_b", "GRADER=echo"],
        cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert [ln.split()[:2] for ln in lines if ln.strip()] == [[target, "week_a"], [target, "week_b"]], out.stdout

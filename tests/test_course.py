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


# --- make lab: the learner's working copy ------------------------------------------------------

def _release(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / course.RELEASE_DIR / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _personal(root, rel: str) -> str:
    return (root / course.PERSONAL_DIR / rel).read_text()


def test_lab_first_run_copies_the_release(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _release(tmp_path, {"week1_x/01_a.ipynb": "a1", "week1_x/02_b.ipynb": "b1",
                        "week1_x/.ipynb_checkpoints/01_a-checkpoint.ipynb": "old", ".hidden": "h"})
    report = course.prepare_workspace(tmp_path)
    assert report.first_run and report.copied == ["week1_x/01_a.ipynb", "week1_x/02_b.ipynb"] and not report.changed
    assert _personal(tmp_path, "week1_x/01_a.ipynb") == "a1" and _personal(tmp_path, "week1_x/02_b.ipynb") == "b1"
    assert not (tmp_path / course.PERSONAL_DIR / "week1_x" / ".ipynb_checkpoints").exists()
    manifest = json.loads((tmp_path / course.PERSONAL_DIR / course.MANIFEST_NAME).read_text())
    assert set(manifest["files"]) == {"week1_x/01_a.ipynb", "week1_x/02_b.ipynb"}
    assert report.lines() == ["Your working copy: copied 2 notebooks from notebooks/ to my-notebooks/. "
                              "Work there: git ignores it and course updates never overwrite it."]
    again = course.prepare_workspace(tmp_path)  # nothing new: nothing to say
    assert not again.first_run and not again.copied and not again.changed and again.lines() == []


def test_lab_never_overwrites_and_reports_a_changed_release(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _release(tmp_path, {"week1_x/01_a.ipynb": "a1", "week1_x/02_b.ipynb": "b1"})
    course.prepare_workspace(tmp_path)
    (tmp_path / course.PERSONAL_DIR / "week1_x" / "01_a.ipynb").write_text("my work")
    _release(tmp_path, {"week1_x/01_a.ipynb": "a2", "week1_x/02_b.ipynb": "b2"})  # git pull brings a new release
    for _ in range(2):  # said again on every start until the learner acts; the copy is never touched
        report = course.prepare_workspace(tmp_path)
        assert report.changed == ["week1_x/01_a.ipynb", "week1_x/02_b.ipynb"] and not report.copied
        assert _personal(tmp_path, "week1_x/01_a.ipynb") == "my work"
        assert _personal(tmp_path, "week1_x/02_b.ipynb") == "b1"
    assert report.lines()[0] == (
        "Updated release: notebooks/week1_x/01_a.ipynb changed since your copy my-notebooks/week1_x/01_a.ipynb was "
        "made; yours is untouched (compare them, or rename yours and run `make lab` again to get a fresh copy).")
    assert len(report.lines()) == 2
    # The learner takes the new release of one notebook: rename (or delete) the copy, start again.
    (tmp_path / course.PERSONAL_DIR / "week1_x" / "02_b.ipynb").rename(tmp_path / course.PERSONAL_DIR / "mine.ipynb")
    report = course.prepare_workspace(tmp_path)
    assert report.copied == ["week1_x/02_b.ipynb"] and report.changed == ["week1_x/01_a.ipynb"]
    assert _personal(tmp_path, "week1_x/02_b.ipynb") == "b2" and _personal(tmp_path, "mine.ipynb") == "b1"


def test_lab_copies_notebooks_new_in_the_release(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _release(tmp_path, {"week1_x/01_a.ipynb": "a1"})
    course.prepare_workspace(tmp_path)
    (tmp_path / course.PERSONAL_DIR / "week1_x" / "01_a.ipynb").write_text("my work")
    _release(tmp_path, {"week2_y/01_c.ipynb": "c1"})  # a new week
    report = course.prepare_workspace(tmp_path)
    assert report.copied == ["week2_y/01_c.ipynb"] and not report.changed and not report.first_run
    assert _personal(tmp_path, "week2_y/01_c.ipynb") == "c1"
    assert _personal(tmp_path, "week1_x/01_a.ipynb") == "my work"
    assert report.lines() == [
        "New in the course: notebooks/week2_y/01_c.ipynb (copied to my-notebooks/week2_y/01_c.ipynb)"]


def test_lab_adopts_copies_it_did_not_make_and_dry_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _release(tmp_path, {"week1_x/01_a.ipynb": "a1", "week1_x/02_b.ipynb": "b1"})
    dry = course.prepare_workspace(tmp_path, dry_run=True)
    assert dry.first_run and dry.copied == ["week1_x/01_a.ipynb", "week1_x/02_b.ipynb"]
    assert not (tmp_path / course.PERSONAL_DIR).exists()
    assert dry.lines()[0].startswith("Your working copy: would copy 2")
    # A learner who copied a notebook by hand before `make lab` existed (no manifest): kept as it is.
    (tmp_path / course.PERSONAL_DIR / "week1_x").mkdir(parents=True)
    (tmp_path / course.PERSONAL_DIR / "week1_x" / "01_a.ipynb").write_text("by hand")
    report = course.prepare_workspace(tmp_path)
    assert report.copied == ["week1_x/02_b.ipynb"] and not report.changed
    assert _personal(tmp_path, "week1_x/01_a.ipynb") == "by hand"
    _release(tmp_path, {"week1_x/01_a.ipynb": "a2"})  # from then on, its release changes are reported
    assert course.prepare_workspace(tmp_path).changed == ["week1_x/01_a.ipynb"]
    assert _personal(tmp_path, "week1_x/01_a.ipynb") == "by hand"


@pytest.mark.parametrize("euid", [0, 1000])
def test_lab_command_allows_root_exactly_when_root(tmp_path, monkeypatch, capsys, euid):
    import os
    import sys

    monkeypatch.setattr(os, "geteuid", lambda: euid)
    folder = tmp_path / course.PERSONAL_DIR
    cmd = course.lab_command(folder, ["--no-browser"])
    assert cmd[:4] == [sys.executable, "-m", "jupyterlab", str(folder)] and "--no-browser" in cmd
    assert ("--allow-root" in cmd) == (euid == 0)

    # The command line: copies, then replaces itself with JupyterLab on the personal folder.
    class Exec(Exception):
        pass

    def fake_execve(path, argv, env):
        raise Exec(path, argv, env)

    monkeypatch.setattr(os, "execve", fake_execve)
    _release(tmp_path, {"week1_x/01_a.ipynb": "a1"})
    with pytest.raises(Exec) as e:
        course.main(["lab", "--root", str(tmp_path), "--no-browser", "--ServerApp.port=0"])
    path, argv, env = e.value.args
    assert path == sys.executable and argv[2:4] == ["jupyterlab", str(folder)]
    assert argv[4:6] == ["--no-browser", "--ServerApp.port=0"] and ("--allow-root" in argv) == (euid == 0)
    assert env["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert _personal(tmp_path, "week1_x/01_a.ipynb") == "a1"
    assert course.main(["lab", "--root", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert ("--allow-root" in out.splitlines()[-1]) == (euid == 0) and out.splitlines()[-1].startswith("Would run: ")


def test_make_lab_runs_the_course_lab_command():
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-n", "-s", "-o", ".venv/.installed", "lab"], cwd=root, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "-m dlcourse.course lab" in out.stdout and "jupyter\" lab" not in out.stdout, out.stdout


def test_lab_really_starts_jupyterlab_as_this_user(tmp_path):
    """The real JupyterLab, started through `python -m dlcourse.course lab` as whoever runs the tests.

    CI runs as root: without --allow-root JupyterLab stops with "Running as root is not recommended".
    """
    import os
    import re
    import subprocess
    import sys
    import threading
    import time
    import urllib.request
    from pathlib import Path

    root = tmp_path / "course"
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    _release(root, {"week1_x/01_a.ipynb": json.dumps(nb)})
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):  # no personal config
        env[var] = str(tmp_path / var.lower())
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcourse.course", "lab", "--root", str(root), "--no-browser",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--IdentityProvider.token="],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        url, deadline = None, time.monotonic() + 60
        while url is None and proc.poll() is None and time.monotonic() < deadline:
            found = re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines))
            url = found.group(0) if found else None
            time.sleep(0.2)
        assert url, f"JupyterLab did not start (exit {proc.poll()}):\n{''.join(lines)}"
        with urllib.request.urlopen(url + "api/contents", timeout=10) as resp:  # it answers, on the personal copy
            listing = json.load(resp)
        assert [item["name"] for item in listing["content"]] == ["week1_x"], listing
        assert proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)
    out = "".join(lines)
    assert "Running as root is not recommended" not in out, out
    started = next(ln for ln in out.splitlines() if ln.startswith("Starting JupyterLab: "))
    assert ("--allow-root" in started) == (os.geteuid() == 0), started
    assert (root / course.PERSONAL_DIR / "week1_x" / "01_a.ipynb").is_file()

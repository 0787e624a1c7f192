"""The explorer in a real browser: JupyterLab in headless Chromium runs the explorer's notebook,
a control is changed, and the drawn image changes.

Two front ends: JupyterLab 4 with ipywidgets 8 (the main environment) and JupyterLab 3.6 with
ipywidgets 7.7 (the Colab-like environment, `.venv-colab`). `make test` installs Chromium and both
environments and sets DLCOURSE_REQUIRE_BROWSER=1, so that a missing piece fails instead of skipping.
Screenshots of every stage are kept under benchmarks/results/browser/ for a human look.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "week2_optimizers" / "01_gradient_descent.ipynb"
SHOTS = ROOT / "benchmarks" / "results" / "browser"
REQUIRED = os.environ.get("DLCOURSE_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("DLCOURSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

FRONT_ENDS = {
    "lab4-ipywidgets8": (ROOT / ".venv", "8."),
    "lab3-ipywidgets7.7": (ROOT / ".venv-colab", "7.7."),
}


def _missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} (`make test` should have installed it; see the Makefile's `browser` target)")
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook_copy(folder: Path) -> Path:
    """The explorer's notebook, with a first cell that prints the kernel's ipywidgets version."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell('import ipywidgets\nprint("ipywidgets", ipywidgets.__version__)'))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path = folder / NOTEBOOK.name
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def lab(request, tmp_path):
    """Start JupyterLab from one environment on a free port; yield its URL; stop it."""
    if not NOTEBOOK.exists():
        _missing(f"{NOTEBOOK.relative_to(ROOT)} does not exist")
    yield from _serve(FRONT_ENDS[request.param][0], _notebook_copy(tmp_path), tmp_path)


def _serve(venv: Path, nb: Path, tmp_path: Path):
    if not (venv / "bin" / "jupyter-lab").exists():
        _missing(f"no JupyterLab in {venv.name}")
    port, token = _free_port(), "dlcourse-browser-test"
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [str(venv / "bin" / "jupyter-lab"), "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}/lab/tree/{nb.name}?token={token}", tmp_path / "lab.log"
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"])


def _open_and_run_all(page, url: str, opened) -> None:
    """Open the notebook, wait for its kernel, call ``opened()``, then Run > Run All Cells."""
    from playwright import sync_api

    deadline = time.monotonic() + 60
    while True:  # the server takes a few seconds to listen
        try:
            page.goto(url, timeout=30_000)
            break
        except sync_api.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector("text=/\\| Idle/", timeout=120_000)  # the kernel is up
    opened()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")


def _playwright():
    """playwright's sync API, once Chromium and playwright are known to be there (else skip or fail)."""
    if CHROMIUM is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _missing("playwright is not installed")
    return sync_api


@pytest.mark.parametrize("lab", list(FRONT_ENDS), indirect=True)
def test_explorer_redraws_in_a_real_browser(lab, request):
    sync_api = _playwright()
    url, server_log = lab
    front_end = request.node.callspec.id
    _, version_prefix = FRONT_ENDS[front_end]
    SHOTS.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.monotonic()

    def shot(page, stage: str) -> None:
        timings[stage] = round(time.monotonic() - t0, 1)
        page.screenshot(path=str(SHOTS / f"{front_end}-{stage}.png"))

    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        try:
            _open_and_run_all(page, url, lambda: shot(page, "1-opened"))
            image = page.locator(".dlcourse-explorer-image").first
            image.wait_for(state="visible", timeout=240_000)
            page.wait_for_function(
                "() => { const i = document.querySelector('.dlcourse-explorer-image');"
                " return i && i.src.startsWith('blob:') || (i && i.src.length > 1000); }", timeout=60_000)
            image.scroll_into_view_if_needed()
            shot(page, "2-explorer-drawn")
            box = image.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150, f"explorer image is not visible: {box}"

            # The first cell printed the kernel's ipywidgets version (JupyterLab 4 renders only the cells in view).
            page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer, .jp-NotebookPanel-notebook')"
                          ".forEach(e => { e.scrollTop = 0; })")
            version = page.get_by_text(re.compile(r"^ipywidgets \d+\.\d+")).first
            version.wait_for(timeout=30_000)
            found = version.inner_text().split()[1]
            assert found.startswith(version_prefix), f"{front_end}: the kernel runs ipywidgets {found}"
            image.scroll_into_view_if_needed()

            before = image.get_attribute("src")
            preset = page.locator(".dlcourse-explorer-preset select").first
            preset.select_option(label="momentum ripples vs critical damping")
            page.wait_for_function(
                "before => document.querySelector('.dlcourse-explorer-image').src !== before", arg=before,
                timeout=30_000)
            notice = page.locator("text=/critically damped/").first
            notice.wait_for(timeout=10_000)
            image.scroll_into_view_if_needed()
            shot(page, "3-after-preset")

            tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')").count()
            assert tracebacks == 0, f"{front_end}: {tracebacks} outputs show a traceback (see {SHOTS})"
        except Exception:
            page.screenshot(path=str(SHOTS / f"{front_end}-failure.png"))
            tail = server_log.read_text()[-3000:] if server_log.exists() else ""
            print(f"JupyterLab log (tail):\n{tail}")
            raise
        finally:
            browser.close()
    (SHOTS / f"{front_end}-timings.json").write_text(json.dumps(timings, indent=1))


# ----------------------------------------------------------------------------- a week-3 figure widget
# Week 3's attention explorer (dlcourse.viz.week3.attention_and_transformers), built as notebook 5 builds
# it, with a stand-in for the trained model: a module that reverses each sequence exactly and whose one
# layer of two heads attends to the mirrored position (head 1) or uniformly (head 2).
ATTENTION_CELLS = [
    'import ipywidgets\nprint("ipywidgets", ipywidgets.__version__)',
    '''import torch
from dlcourse.viz.week3.attention_and_transformers import PAD, attention_explorer, make_reversal_data


class Reverser(torch.nn.Module):
    def forward(self, tokens):
        n = (tokens != PAD).sum(dim=1, keepdim=True)
        pos = torch.arange(tokens.shape[1])
        source = torch.where(pos < n, n - 1 - pos, pos)
        return torch.nn.functional.one_hot(torch.gather(tokens, 1, source), 11).float()


def attention_fn(model, tokens):
    n = (tokens != PAD).sum(dim=1)
    t = tokens.shape[1]
    pos = torch.arange(t)
    mirror = torch.nn.functional.one_hot(((n[:, None] - 1 - pos).clamp(min=0)), t).float()
    keep = (pos[None, :] < n[:, None]).float()
    uniform = keep[:, None, :].expand(-1, t, -1) / n[:, None, None]
    return [torch.stack([mirror, uniform], dim=1)]


data = make_reversal_data(6, min_len=3, max_len=8, seed=1)
explorer = attention_explorer(Reverser(), attention_fn, [row[row != PAD].tolist() for row in data.tokens])
explorer''',
]


def _notebook_lab(request, tmp_path, name: str, cells: list[str]):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    yield from _serve(FRONT_ENDS[request.param][0], path, tmp_path)


def _drive_figure_widget(lab, front_end: str, name: str, act) -> None:
    """Run the notebook of ``lab`` in Chromium, wait for the first FigureWidget's image, then ``act(page)``.

    ``act`` changes controls and waits for redraws (``_wait_redrawn``). Screenshots before and after (and
    on failure) land in SHOTS; no output may show a traceback.
    """
    sync_api = _playwright()
    url, server_log = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        try:
            _open_and_run_all(page, url, lambda: None)
            image = page.locator(".dlcourse-figure-image").first
            image.wait_for(state="visible", timeout=120_000)
            page.wait_for_function(
                "() => { const i = document.querySelector('.dlcourse-figure-image');"
                " return i && (i.src.startsWith('blob:') || i.src.length > 1000); }", timeout=60_000)
            box = image.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 200, f"{name} image is not visible: {box}"
            page.screenshot(path=str(SHOTS / f"{name}-{front_end}-1-drawn.png"))
            act(page)
            page.screenshot(path=str(SHOTS / f"{name}-{front_end}-2-after-changes.png"))
            tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')").count()
            assert tracebacks == 0, f"{front_end}: {tracebacks} outputs show a traceback (see {SHOTS})"
        except Exception:
            page.screenshot(path=str(SHOTS / f"{name}-{front_end}-failure.png"))
            tail = server_log.read_text()[-3000:] if server_log.exists() else ""
            print(f"JupyterLab log (tail):\n{tail}")
            raise
        finally:
            browser.close()


def _wait_redrawn(page, change) -> None:
    """Call ``change()`` and wait until the first figure widget's image is a new one."""
    before = page.locator(".dlcourse-figure-image").first.get_attribute("src")
    change()
    page.wait_for_function("before => document.querySelector('.dlcourse-figure-image').src !== before",
                           arg=before, timeout=30_000)


@pytest.fixture
def attention_lab(request, tmp_path):
    yield from _notebook_lab(request, tmp_path, "attention_explorer", ATTENTION_CELLS)


@pytest.mark.parametrize("attention_lab", list(FRONT_ENDS), indirect=True)
def test_attention_explorer_redraws_in_a_real_browser(attention_lab, request):
    front_end = request.node.callspec.id

    def act(page):
        selects = page.locator(".dlcourse-figure-widget select")
        assert selects.count() == 3, f"{front_end}: want the input, layer and head menus, found {selects.count()}"
        for which, index in ((0, 3), (2, 1)):  # another input sequence, then the second head
            _wait_redrawn(page, lambda w=which, i=index: selects.nth(w).select_option(index=i))

    _drive_figure_widget(attention_lab, front_end, "attention", act)


CONV_CELLS = [
    'import ipywidgets\nprint("ipywidgets", ipywidgets.__version__)',
    '''from dlcourse.viz.week4.convolution import conv_explorer, load_gray_photo

explorer = conv_explorer(load_gray_photo())
explorer''',
]


@pytest.fixture
def conv_lab(request, tmp_path):
    yield from _notebook_lab(request, tmp_path, "conv_explorer", CONV_CELLS)


@pytest.mark.parametrize("conv_lab", list(FRONT_ENDS), indirect=True)
def test_convolution_explorer_redraws_in_a_real_browser(conv_lab, request):
    """Week 4's convolution explorer: a kernel preset and a typed kernel entry both redraw the image."""
    front_end = request.node.callspec.id

    def act(page):
        preset = page.locator(".dlcourse-conv-preset select")
        assert preset.count() == 1, f"{front_end}: want one kernel preset menu, found {preset.count()}"
        _wait_redrawn(page, lambda: preset.select_option(label="box blur"))
        fields = page.locator(".dlcourse-conv-kernel input")
        assert fields.count() == 9, f"{front_end}: want 9 kernel entries, found {fields.count()}"

        def type_centre():
            fields.nth(4).fill("-3")
            fields.nth(4).press("Enter")

        _wait_redrawn(page, type_centre)

    _drive_figure_widget(conv_lab, front_end, "conv", act)


# Week 5's GAN lab (dlcourse.viz.week5.mode_collapse), with synthetic snapshots instead of a training run: two tiny
# models whose weights take random steps, recorded like notebook 2 records its plain GAN and its PacGAN (under 1 s).
GANLAB_CELLS = [
    'import ipywidgets\nprint("ipywidgets", ipywidgets.__version__)',
    '''import torch
from torch import nn
from dlcourse.viz.week5.mode_collapse import GanRecorder, gan_lab, grid_modes, sample_grid

runs = {}
z = torch.randn(128, 2, generator=torch.Generator().manual_seed(0))
for name, m in (("plain GAN", 1), ("PacGAN m=2", 2)):
    torch.manual_seed(m)
    G = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))
    D = nn.Sequential(nn.Linear(2 * m, 32), nn.Tanh(), nn.Linear(32, 1))
    rec = GanRecorder(z, lim=5.5, every=5, m=m, to_d_input=lambda x, m=m: x.reshape(x.shape[0] // m, 2 * m))
    for step in range(1, 31):
        with torch.no_grad():
            for p in (*G.parameters(), *D.parameters()):
                p.add_(0.2 * torch.randn_like(p))
        rec(step, G, D, 1.4 - 0.01 * step, 0.7 + 0.01 * step)
    runs[name] = rec
lab = gan_lab(runs, sample_grid(500)[0], grid_modes())
lab''',
]


@pytest.fixture
def ganlab_lab(request, tmp_path):
    yield from _notebook_lab(request, tmp_path, "gan_lab", GANLAB_CELLS)


@pytest.mark.parametrize("ganlab_lab", list(FRONT_ENDS), indirect=True)
def test_gan_lab_redraws_in_a_real_browser(ganlab_lab, request):
    """Week 5's GAN lab: the step slider (keyboard) and the plain / PacGAN switch both redraw the image."""
    front_end = request.node.callspec.id

    def act(page):
        handle = page.locator(".dlcourse-ganlab-step .ui-slider-handle, .dlcourse-ganlab-step .noUi-handle")
        assert handle.count() == 1, f"{front_end}: want one step slider handle, found {handle.count()}"

        def step_back():
            handle.first.focus()
            handle.first.press("ArrowLeft")

        _wait_redrawn(page, step_back)
        buttons = page.locator(".dlcourse-ganlab-model button")
        assert buttons.count() == 2, f"{front_end}: want the plain / PacGAN buttons, found {buttons.count()}"
        _wait_redrawn(page, lambda: buttons.nth(1).click())
        _wait_redrawn(page, lambda: buttons.nth(0).click())

    _drive_figure_widget(ganlab_lab, front_end, "ganlab", act)

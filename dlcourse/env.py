"""Notebook environment: seeding, device choice, Colab and autograder detection, TODO stubs."""

from __future__ import annotations

import os
import random
import sys
from typing import TYPE_CHECKING, NoReturn

import numpy as np

if TYPE_CHECKING:
    import torch


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def is_autograding() -> bool:
    """True while nbgrader executes the notebook to grade it.

    nbgrader sets ``NBGRADER_EXECUTION=autograde``; notebooks use this to skip long
    demonstrations that no test needs.
    """
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def get_device(prefer_gpu: bool = True) -> torch.device:
    """The torch device to use: CUDA when present (e.g. a Colab GPU runtime), else CPU."""
    import torch

    if prefer_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's global and torch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but keep numpy-only use working
        return
    torch.manual_seed(seed)


def setup_notebook(seed: int = 0, quiet: bool = False) -> torch.device:
    """The one call at the top of every notebook: seeds, plot defaults, device.

    Returns the torch device (CUDA if available). Prints one line saying what it found, so a
    learner can paste it when asking for help.
    """
    seed_everything(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    try:
        import matplotlib as mpl

        mpl.rcParams.update({"figure.dpi": 90, "figure.figsize": (6.0, 4.0), "axes.grid": False})
    except ImportError:  # pragma: no cover
        pass
    _inline_figures()
    device = get_device()
    if not quiet:
        import torch

        from dlcourse import __version__

        where = "Colab" if in_colab() else "local"
        mode = ", autograding" if is_autograding() else ""
        print(
            f"dlcourse {__version__} | numpy {np.__version__} | torch {torch.__version__} "
            f"| device {device} | seed {seed} | {where}{mode}"
        )
    return device


def _inline_figures() -> None:
    """In IPython, show ``matplotlib.figure.Figure`` objects inline (the last expression of a cell)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is not None and hasattr(ip, "run_line_magic"):
        ip.run_line_magic("matplotlib", "inline")


def todo() -> NoReturn:
    """Raise the error that an unfinished exercise gives.

    Released notebooks carry ``todo()`` where the solution was. The message names the function
    (or method) to implement, so a learner who runs a test first knows where to go.
    """
    frame = sys._getframe(1)
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    if name == "<module>":
        raise NotImplementedError(
            "TODO: this exercise cell is not done yet: replace the `todo()` line with your code "
            "and run the cell again."
        )
    raise NotImplementedError(
        f"TODO: implement `{name}`: replace the `todo()` line in it with your code, "
        "run its cell, then run its tests."
    )

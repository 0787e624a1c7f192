"""dlcourse: the shared code of the deep-learning course notebooks.

Notebooks import from here what they share: the notebook set-up (seeds, device, Colab),
checking helpers with readable failure messages, data loaders, plots and widgets.
The package never holds the solution of a graded exercise.
"""

from dlcourse.checks import (
    as_array,
    check_close,
    check_dtype,
    check_equal,
    check_finite,
    check_shape,
    check_type,
)
from dlcourse.env import get_device, in_colab, is_autograding, setup_notebook, todo

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "as_array",
    "check_close",
    "check_dtype",
    "check_equal",
    "check_finite",
    "check_shape",
    "check_type",
    "get_device",
    "in_colab",
    "is_autograding",
    "setup_notebook",
    "todo",
]

"""nbgrader's ClearSolutions with the quiz's own stubs (``make release`` uses it through the config).

A quiz answer cell is a solution cell whose metadata names its stub (``q03 = None  # a set of
letters, ...``): the release gets that line where an exercise gets ``todo()``, so a blank quiz
never stops "Run all". Every other cell is cleared exactly as nbgrader clears it.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions


class ClearQuizAnswers(ClearSolutions):
    """Replace a quiz answer's solution region by its stub; other cells as ``ClearSolutions`` does."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, Any]:
        stub = cell.metadata.get("dlcourse", {}).get("quiz_stub")
        if stub is None:
            return super().preprocess_cell(cell, resources, index)
        saved = dict(self.code_stub)
        self.code_stub = {**saved, resources["language"]: stub}
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.code_stub = saved

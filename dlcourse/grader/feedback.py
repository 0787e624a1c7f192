"""Feedback that says which tests failed and why, without showing the hidden tests.

nbgrader's feedback HTML is made from the autograded notebook, where the hidden tests were put
back for grading: their source, and tracebacks that quote it, would be shown to the learner.
``HideHiddenTests`` (in ``c.GenerateFeedback.preprocessors``) replaces each hidden block by one
comment line and shortens the tracebacks of test cells to the exception and its message, which
the course's checks write for learners ("pairwise_sq_dists(X, Y): expected shape (3, 2), got ...").
"""

from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hide_hidden_tests(source: str) -> str:
    """The cell's source with every hidden-tests block replaced by a one-line note."""
    return HIDDEN.sub("# (hidden tests: run by the grader, not shown)", source)


class HideHiddenTests(NbGraderPreprocessor):
    """Drop hidden-test source and test-cell tracebacks from the feedback."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        if cell.cell_type != "code":
            return cell, resources
        had_hidden = bool(HIDDEN.search(cell.source))
        cell.source = hide_hidden_tests(cell.source)
        if had_hidden or cell.metadata.get("nbgrader", {}).get("grade"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {ANSI.sub('', str(out.get('evalue', '')))}"]
        return cell, resources

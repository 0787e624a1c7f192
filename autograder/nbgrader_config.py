"""nbgrader configuration of the course. Run nbgrader from this folder (the Makefile does)."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.root = here
# The public release: solutions/ -> notebooks/. After `make release COHORT_SEED=...` (a cohort's
# private quiz seed, stored in cohort.toml here), cohort/source -> cohort/release instead:
# see dlcourse/quiz/cohort.py.
from dlcourse.quiz.cohort import directories  # noqa: E402

c.CourseDirectory.source_directory, c.CourseDirectory.release_directory = directories(here)
# submitted/, autograded/, feedback/ and gradebook.db live here and are ignored by git.

# Released stubs call the course's todo(), whose error names the function to implement.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\ntodo()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# nbgrader's list, with the quizzes' answer cells released as `q03 = None  # ...` (not todo(), so a
# blank quiz never stops "Run all"): dlcourse/quiz/release.py.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "dlcourse.quiz.release.ClearQuizAnswers",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The slowest cell of a notebook under autograde (training on digits) takes a few seconds on
# 2 cores; 60 s per cell leaves room for a slow student machine without letting a loop hang.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Student code runs in a jail (dlcourse/grader/sandbox.py: its own filesystem view without the
# gradebook, solutions/ or other students' files, no network, an unprivileged user, an allowlisted
# environment, rlimits) with a time limit for the whole notebook and capped output. A witness in
# the kernel (dlcourse/grader/witness.py) undoes the notebook's hooks before each test cell, runs
# the test itself and confirms it on a channel of its own. Cells that cannot run (the kernel
# crashed, ran out of time) or whose run the witness did not confirm get an error, so they score
# 0. Grading refuses to start if the jail does not work here, unless DLCOURSE_NO_ISOLATION=1
# (`--no-isolation`).
c.Autograde.autograde_preprocessors = [
    "dlcourse.grader.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# A copy-pasted graded cell: nbgrader keeps the last copy; the fix-up lets grading go on.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "dlcourse.grader.execute.DropEmptyGradingMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Feedback shows each failed test's message but neither the hidden tests nor tracebacks quoting them.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "dlcourse.grader.feedback.HideHiddenTests",
]
c.GuardedExecute.notebook_timeout = 300
c.GuardedExecute.memory_mb = 2048
c.GuardedExecute.report_directory = os.path.join(here, "reports")

# A warning printed on stderr must not zero a test cell: drop stderr outputs that are warnings.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning:"

# A learner who deletes a test cell gets it back during autograding (and its points counted).
c.OverwriteCells.add_missing_cells = True

# Releases must not carry outputs, and the generated notebooks keep the student-facing header.
c.ClearOutput.enabled = True

# LMS downloads (`make collect`): put the zip in downloaded/<week>/archive/. Files named
# `<student>_<notebook>.ipynb`, Canvas-style `<student>_<ids>_<notebook>.ipynb` (late_ too), or
# `<student>/<notebook>.ipynb` inside the zip land in submitted/<student>/<week>/<notebook>.ipynb.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.@-]+)(?:_late)?(?:_\d+)*(?:_|/)(?P<file_id>\d\d_[A-Za-z0-9_]+\.ipynb)$"
)

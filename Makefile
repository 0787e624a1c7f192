# The course's commands. `make lab` to learn, `make test` to check everything; the instructor's
# steps are release, collect, autograde, feedback and grades (see README.md).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
COLAB_VENV ?= .venv-colab
BIN    := $(abspath $(VENV)/bin)
# nbgrader runs from autograder/ (its config lives there) and calls the `alembic` script by name.
NBGRADER := cd autograder && PATH="$(BIN):$$PATH" "$(BIN)/python" -m nbgrader
WEEKS  := $(notdir $(wildcard solutions/week*))
WEEK   ?= $(WEEKS)

.PHONY: help venv colab-venv browser lab test lint release collect autograde feedback grades benchmark clean

help:
	@echo "make lab        set up .venv if needed, start JupyterLab on my-notebooks/, your copy of notebooks/"
	@echo "make test       set up .venv if needed, run ruff and every test"
	@echo "make release    regenerate the quizzes and notebooks/ from solutions/ with nbgrader [COHORT_SEED=...]"
	@echo "make collect    WEEK=weekN_x ZIP=lms.zip | FROM=folder [ROSTER=students.csv]"
	@echo "make autograde  grade autograder/submitted/<student>/<week>/ in parallel, jailed; print the summary"
	@echo "make feedback   write feedback HTML (no hidden tests) to autograder/feedback/"
	@echo "make grades     write autograder/grades.csv"
	@echo "make benchmark  print the explorer's and the widgets' latency, notebook and grading times, the tests' mutation kill rate"

# The environment: created when missing, reinstalled when the package's requirements change.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x "$(PY)" || $(PYTHON) -m venv "$(VENV)"
	"$(PY)" -m pip install -q --upgrade pip
	"$(PY)" -m pip install -q -c constraints.txt -e ".[course,dev]"
	@touch "$@"

venv: $(VENV)/.installed

# my-notebooks/ (git ignores it) gets new notebooks, never overwritten ones; see dlcourse/course.py.
lab: venv
	"$(PY)" -m dlcourse.course lab

lint: venv
	"$(BIN)/ruff" check .

test: lint colab-venv browser
	DLCOURSE_REQUIRE_BROWSER=1 "$(PY)" -m pytest $(PYTEST_ARGS)
	DLCOURSE_COLAB_COMPAT=1 "$(COLAB_VENV)/bin/python" -m pytest -p no:cacheprovider $(PYTEST_ARGS) \
		tests/test_colab_compat.py tests/test_checks.py tests/test_env_data.py tests/test_graphs_widgets.py tests/test_quiz_units.py \
		$(wildcard tests/test_viz_*.py) $(wildcard tests/test_explorer_*.py)

# A second environment with Colab's older preinstalled versions (see constraints-colab.txt).
$(COLAB_VENV)/.installed: pyproject.toml constraints-colab.txt
	@test -x "$(COLAB_VENV)/bin/python" || $(PYTHON) -m venv "$(COLAB_VENV)"
	"$(COLAB_VENV)/bin/python" -m pip install -q --upgrade pip
	"$(COLAB_VENV)/bin/python" -m pip install -q -c constraints-colab.txt -e . pytest nbclient nbformat ipykernel \
		jupyterlab jupyterlab_widgets notebook
	@touch "$@"

colab-venv: $(COLAB_VENV)/.installed

# Debian's Chromium for the real-browser tests of the widgets (tests/test_browser.py drives it with
# playwright). Installed with apt-get when missing: as root, or through passwordless sudo.
browser:
	@[ -n "$$DLCOURSE_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests (apt-get)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
		$$SUDO apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null || { \
		echo "Could not install chromium: run 'apt-get install chromium' as root, or set DLCOURSE_CHROMIUM"; exit 1; }; }

# COHORT_SEED=<private seed>: release the quizzes drawn for a cohort into autograder/cohort/release/
# (the seed is kept in autograder/cohort.toml until COHORT_SEED=off); notebooks/ stays public.
release: venv
	"$(PY)" -m dlcourse.quiz build
	"$(PY)" -m dlcourse.course stamp
	"$(PY)" -m dlcourse.quiz cohort $(if $(COHORT_SEED),--seed "$(COHORT_SEED)",--refresh)
	@for w in $(WEEK); do ( $(NBGRADER) generate_assignment $$w --force ) || exit 1; done

# The instructor's steps (autograder/README.md). ZIP=lms.zip or FROM=folder, ROSTER=students.csv;
# GRADE_ARGS="--workers 4", "--student alice" or "--no-isolation" (trusted notebooks only).
GRADER := "$(PY)" -m dlcourse.grader

collect: venv
	@for w in $(WEEK); do $(GRADER) collect $$w $(if $(ZIP),--zip "$(ZIP)") $(if $(FROM),--from "$(FROM)") \
		$(if $(ROSTER),--roster "$(ROSTER)") || exit 1; done

autograde: venv
	@for w in $(WEEK); do $(GRADER) autograde $$w $(GRADE_ARGS) || exit 1; done

feedback: venv
	@for w in $(WEEK); do $(GRADER) feedback $$w || exit 1; done

grades: venv
	$(GRADER) grades

benchmark: venv
	"$(PY)" benchmarks/explorer_latency.py
	"$(PY)" benchmarks/widget_latency.py
	"$(PY)" benchmarks/conv_speed.py
	"$(PY)" benchmarks/notebook_times.py
	"$(PY)" benchmarks/grading_speed.py $(BENCH_ARGS)
	"$(PY)" benchmarks/mutants.py $(MUTANT_ARGS)

clean:
	rm -rf .pytest_cache .ruff_cache

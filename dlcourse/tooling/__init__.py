"""Maintainers' tooling: execute, release and grade the course's own notebooks in scratch copies.

Used by the tests, the benchmarks and the mutation tool; never by learners (Colab) or by the
cohort grader (``dlcourse.grader``). It drives nbgrader and nbclient, installed with the
``course`` extra: imports are lazy.
"""

"""The figures and widgets of the notebooks, one module per notebook, one folder per week.

A notebook's module has the notebook's name without its number: the figures of
``notebooks/week2_optimizers/05_batchnorm_and_regularization.ipynb`` are in
``dlcourse/viz/week2/batchnorm_and_regularization.py``. What several weeks share (figure set-up,
the PNG-backed figure widget, graph drawing) is in the core modules ``dlcourse.plots``,
``dlcourse.widgets`` and ``dlcourse.graphs``; the gradient-descent explorer is ``dlcourse.explorer``.
"""

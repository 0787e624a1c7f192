"""Figures, widgets and generated data of the week 4 notebooks (vision), one module per notebook."""

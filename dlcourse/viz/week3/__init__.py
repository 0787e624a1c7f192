"""Figures, widgets and generated data of the week 3 notebooks (NLP), one module per notebook."""

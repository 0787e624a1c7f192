"""Figures, widgets and generated data of the week 5 notebooks (GANs), one module per notebook, and the digit judge."""

"""Figures and widgets of week 1 (ANN basics), one module per notebook."""

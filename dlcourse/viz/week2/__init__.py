"""Figures and widgets of week 2 (optimizers and training), one module per notebook."""

"""Gradient-descent explorer: loss surfaces, optimizers and learning-rate schedules."""

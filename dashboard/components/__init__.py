"""Reusable pieces of the dashboard: the shell, cards, charts, grids and text helpers."""

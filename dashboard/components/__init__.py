"""Reusable layout pieces: ``make_*`` functions that return Dash components."""

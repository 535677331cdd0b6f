"""Measures computed from a run's results (never inside the engine)."""

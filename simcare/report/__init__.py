"""Figures and reports (matplotlib Figures are returned, never shown)."""

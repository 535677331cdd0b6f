"""Compiled models: flat arrays the engines run (built from Python by :mod:`simcare.network`)."""

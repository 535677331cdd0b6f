"""Compiled models: flat arrays the engines run, and a builder that makes them from Python."""

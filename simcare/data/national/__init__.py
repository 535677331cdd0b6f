"""The national tables and ICB lookup, read with importlib.resources (SOURCES.md)."""

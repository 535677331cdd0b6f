"""Package data: the national tables `simcare new-icb` reads (see national/SOURCES.md)."""

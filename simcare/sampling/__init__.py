"""Randomness: the seed tree, counter-based keyed draws, distributions and arrival streams."""

"""numba kernels of the engine: plain functions on arrays (see simcare._jit), cached."""

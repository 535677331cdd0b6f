"""numba kernels of the engine (plain @njit(cache=True) functions on arrays)."""

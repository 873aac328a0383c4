"""Pure JAX physics kernels of orbital_sim (installed as ``orbital_sim.kernels``).

No I/O, no config parsing, no printing, no ``jax.config`` changes: every function takes
and returns SI arrays and takes its dtype from its inputs.
"""

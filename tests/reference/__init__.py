"""Independent plain NumPy/SciPy/astropy references for the JAX kernels.

Nothing here imports ``kernels`` or ``orbital_sim``: the references share no code with what
they check, and where possible use a different method (complex-step gradients, quadrature,
adaptive high-order integrators, step-by-step loops) than the kernels' closed forms.
``test_references.py`` checks each reference against analytic truths.
"""

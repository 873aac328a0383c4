"""Independent view-factor reference: differential tilted plate to a sphere, by quadrature.

Set the sphere radius to 1 and put the plate on the z axis at height H = h_ratio. A point of
the sphere at central angle psi from the sub-plate point and azimuth phi is visible from the
plate when cos(psi) > 1/H. With s^2 = 1 + H^2 - 2 H cos(psi):

    cos(theta2) = (H cos psi - 1) / s                     (sphere normal vs the line of sight)
    cos(theta1) = (a cos phi + b) / s,  a = sin(lambda) sin(psi),  b = cos(lambda)(H - cos psi)
                                                          (plate normal tilted by lambda)

    F = (1/pi) int int max(cos theta1, 0) cos theta2 / s^2 dA,  dA = sin(psi) dpsi dphi.

The azimuth integral of the clipped cosine is done exactly,
I(psi) = int max(a cos phi + b, 0) dphi = 2 pi b (b >= a), 0 (b <= -a), else
2 (a sin phi0 + b phi0) with phi0 = arccos(-b / a); the polar integral uses
``scipy.integrate.quad`` (adaptive Gauss-Kronrod) with the kinks where |b| = a, i.e.
sin(psi + alpha) = H |cos lambda| with alpha = atan2(|cos lambda|, sin lambda), passed as
break points. Accuracy better than 1e-10 absolute (quad tolerances 1e-13); this shares nothing
with the published closed form (Howell's catalogue), which the self-tests compare against.
"""

import numpy as np
from scipy.integrate import quad


def _azimuth_integral(a, b):
    if b >= a:
        return 2.0 * np.pi * b
    if b <= -a:
        return 0.0
    phi0 = np.arccos(-b / a)
    return 2.0 * (a * np.sin(phi0) + b * phi0)


def view_factor_plate_sphere_quadrature(h_ratio, tilt_rad):
    """View factor from a one-sided differential plate to a sphere (dimensionless, [0, 1]).

    h_ratio: distance from the plate to the sphere centre divided by the sphere radius (> 1).
    tilt_rad: angle (rad) between the plate normal and the direction to the sphere centre
    (0 = facing the centre, pi = facing away). Scalars. Accuracy ~1e-10 absolute.
    """
    big_h = float(h_ratio)
    if big_h <= 1.0:
        raise ValueError("h_ratio must be > 1 (plate outside the sphere)")
    lam = float(np.arccos(np.cos(tilt_rad)))  # fold into [0, pi]
    sin_l, cos_l = np.sin(lam), np.cos(lam)
    psi_max = np.arccos(1.0 / big_h)

    def integrand(psi):
        s2 = 1.0 + big_h * big_h - 2.0 * big_h * np.cos(psi)
        i_phi = _azimuth_integral(sin_l * np.sin(psi), cos_l * (big_h - np.cos(psi)))
        return (big_h * np.cos(psi) - 1.0) * i_phi * np.sin(psi) / (s2 * s2)

    points = []
    if big_h * abs(cos_l) <= 1.0:
        alpha = np.arctan2(abs(cos_l), sin_l)
        root = np.arcsin(big_h * abs(cos_l))
        points = [p for p in (root - alpha, np.pi - root - alpha) if 0.0 < p < psi_max]
    value, _ = quad(integrand, 0.0, psi_max, points=points or None, epsabs=1e-13, epsrel=1e-13,
                    limit=200)
    return value / np.pi

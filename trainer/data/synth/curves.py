"""Curve primitives of the synthesizer: unit vectors, Chaikin corner cutting, connector curves."""

from __future__ import annotations

import numpy as np

#: Interior points of a pen-down connector between two joined strokes.
N_CONNECTOR = 3
_T = np.linspace(0.0, 1.0, N_CONNECTOR + 2)[1:-1]
#: Cubic Bezier basis (4, N_CONNECTOR) at the connector's interior parameters.
CONNECTOR_B = np.stack([(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T**2, _T**3])
#: Weights of the connector's ends A and B, (2, N_CONNECTOR): b0 + b1 and b2 + b3.
CONNECTOR_A = np.stack([CONNECTOR_B[0] + CONNECTOR_B[1], CONNECTOR_B[2] + CONNECTOR_B[3]])


def unit(z: np.ndarray) -> np.ndarray:
    """Complex numbers scaled to modulus 1 (zero stays zero)."""
    return z / np.maximum(np.abs(z), 1e-12)


def chaikin(X: np.ndarray, g: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """One round of Chaikin corner cutting within each group (Chaikin 1974).

    Every segment (X_i, X_i+1) of one group becomes the two points at fractions r and 1-r
    along it; a group's first and last points are kept, so its ends do not move. The
    result is linear in r, which the template preparation uses.

    Args:
        X: (n,) complex points. g: (n,) non-decreasing group. r: cut fraction, 0..0.5.
    Returns:
        (X' (n',) complex, g' (n',)); a group of k points becomes 2k points.
    """
    n = len(X)
    mask = np.empty((n, 4), dtype=bool)
    same = mask[:, 1]
    np.equal(g[1:], g[:-1], out=same[:-1])
    same[-1] = False
    mask[:, 2] = same
    first = mask[:, 0]
    first[0] = True
    np.logical_not(same[:-1], out=first[1:])
    np.greater(~same, first, out=mask[:, 3])  # last and not first
    slots = np.empty((n, 4), dtype=np.complex128)
    slots[:, 0] = X
    slots[:, 3] = X
    step = np.zeros(n, dtype=np.complex128)
    step[:-1] = X[1:] - X[:-1]
    slots[:, 1] = X + r * step
    slots[:, 2] = X + (1.0 - r) * step
    return slots[mask], np.broadcast_to(g[:, None], (n, 4))[mask]

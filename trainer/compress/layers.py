"""Per-layer settings of the compression passes, keyed by full names with defaults merged in."""

from __future__ import annotations

from typing import TypeVar

from torch import nn

T = TypeVar("T")


def weight_names(model: nn.Module) -> list[str]:
    """Full names of the model's weight matrices (2-D parameters; biases excluded)."""
    return [n for n, p in model.named_parameters() if p.dim() == 2]


def resolve(
    model: nn.Module, settings: dict[str, T], default: T | None, what: str = "setting"
) -> dict[str, T]:
    """Map each weight matrix of ``model`` to its setting.

    A key of ``settings`` is a parameter's full name ("fc2.weight", "lstm2.weight_hh_U"), a
    matrix whose factors it covers ("lstm2.weight_hh": _U and _V), or a module prefix ("fc2",
    "lstm2") that covers every weight matrix under it; the longest
    matching key wins, then ``default`` (None: the matrix is left out).

    Raises:
        ValueError: a key matches no weight matrix of the model.
    """
    names = weight_names(model)
    for key in settings:
        if not any(_covers(key, n) for n in names):
            raise ValueError(
                f"{what} for {key!r} matches no weight matrix of the model; "
                f"weight matrices: {names}"
            )
    out: dict[str, T] = {}
    for name in names:
        keys = [k for k in settings if _covers(k, name)]
        if keys:
            out[name] = settings[max(keys, key=len)]
        elif default is not None:
            out[name] = default
    return out


def _covers(key: str, name: str) -> bool:
    # "lstm2.weight_hh" covers the factors lstm2.weight_hh_U / _V (and torch's weight_hh_l0).
    return name == key or name.startswith((key + ".", key + "_"))

"""Finds bundled files: the installed package ``xiezi_resources``, else the checkout's resources/."""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: The bundled recognition model, as parts under the resources folder.
DEFAULT_MODEL = ("model", "xiezi-gb1.xiezi")

_CHECKOUT = Path(__file__).resolve().parent.parent / "resources"


def resources_root() -> Path:
    """The folder holding the bundled resources.

    pyproject.toml maps the checkout's ``resources/`` to the package ``xiezi_resources``, so an
    installed Xiezi (wheel, pipx) finds it as that package; an editable install or a plain
    checkout falls back to ``resources/`` next to ``engine/``.
    """
    spec = importlib.util.find_spec("xiezi_resources")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if Path(loc).is_dir():
                return Path(loc)
    return _CHECKOUT


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path(*DEFAULT_MODEL)``; it may not exist."""
    if not parts:
        raise ValueError("resource_path needs at least one path part")
    for p in parts:
        if not p or Path(p).is_absolute() or ".." in Path(p).parts:
            raise ValueError(f"bad resource path part {p!r}")
    return resources_root().joinpath(*parts)

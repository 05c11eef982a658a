"""Finds bundled files: the installed package ``xiezi_resources``, else the checkout's
resources/."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from engine.errors import ModelLoadError

#: The bundled recognition model, as parts under the resources folder.
DEFAULT_MODEL = ("model", "xiezi-gb1.xiezi")
#: Its sha256, in ``sha256sum`` format: the one place the engine's expected digest lives.
#: resources/model/regenerate.py writes it (``--record-digest`` alone after a repack).
DEFAULT_MODEL_DIGEST = ("model", "xiezi-gb1.sha256")

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


def read_sha256_file(path: Path) -> str:
    """The digest of a ``sha256sum``-format file such as DEFAULT_MODEL_DIGEST.

    Raises:
        ModelLoadError: the file is missing or does not start with a sha256.
    """
    try:
        text = path.read_text(encoding="ascii", errors="replace")[:200]
    except OSError as e:
        raise ModelLoadError(
            f"the bundled model's digest {path} cannot be read ({e.strerror or e}); "
            "reinstall Xiezi, or record it with `python resources/model/regenerate.py "
            "--record-digest`"
        ) from e
    match = re.match(r"\s*([0-9a-fA-F]{64})\b", text)
    if match is None:
        raise ModelLoadError(f"{path} does not start with a sha256 digest (64 hex digits)")
    return match.group(1).lower()

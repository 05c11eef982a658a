"""User settings: a dataclass stored as JSON under the platform's config dir, written atomically."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text

logger = logging.getLogger(__name__)

#: Environment variable that overrides where settings live (tests, portable installs).
ENV_PATH = "XIEZI_SETTINGS"


@dataclass
class Settings:
    """What the user can change; every field has a sane default.

    Attributes:
        insert_mode: how text reaches the focused application ("auto" or one of
            ``ime.insert.available_modes()``).
        auto_commit_ms: after a pen-up pause this long, writing the next character commits
            the best candidate of the previous one; 0 switches auto-commit off.
        pad_size: side of the square writing area, in pixels.
        ink_colour: ink colour as "#rrggbb".
        language: interface language, "zh" or "en".
        geometry: window x, y, width, height in pixels, or None before the first save.
    """

    insert_mode: str = "auto"
    auto_commit_ms: int = 800
    pad_size: int = 280
    ink_colour: str = "#202020"
    language: str = "zh"
    geometry: list[int] | None = field(default=None)

    def __post_init__(self) -> None:
        self.auto_commit_ms = max(0, min(int(self.auto_commit_ms), 10_000))
        self.pad_size = max(120, min(int(self.pad_size), 2000))
        if self.language not in ("zh", "en"):
            self.language = "zh"
        c = str(self.ink_colour)
        hexdigits = "0123456789abcdefABCDEF"
        if not (len(c) == 7 and c[0] == "#" and all(ch in hexdigits for ch in c[1:])):
            self.ink_colour = "#202020"
        if self.geometry is not None:
            g = [int(v) for v in self.geometry]
            self.geometry = g if len(g) == 4 and g[2] > 0 and g[3] > 0 else None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Settings:
        """Build from a parsed JSON object; unknown keys are ignored, bad values raise."""
        if not isinstance(d, dict):
            raise TypeError(f"settings must be a JSON object, got {type(d).__name__}")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_path() -> Path:
    """$XIEZI_SETTINGS, else ``settings.json`` in platformdirs' user config dir for xiezi."""
    env = os.environ.get(ENV_PATH)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("xiezi")) / "settings.json"


def load_settings(path: str | Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a corrupt one gives defaults with a
    logged warning and is kept beside as ``<name>.bak``. Never raises for a bad file."""
    p = Path(path) if path is not None else default_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as e:
        logger.warning("cannot read settings %s (%s); using defaults", p, e)
        return Settings()
    try:
        return Settings.from_dict(json.loads(text))
    except (ValueError, TypeError) as e:
        bak = p.with_name(p.name + ".bak")
        logger.warning("settings file %s is corrupt (%s); using defaults, kept it as %s", p, e, bak)
        try:
            os.replace(p, bak)
        except OSError as e2:
            logger.warning("cannot keep %s as %s: %s", p, bak, e2)
        return Settings()


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Write settings as JSON atomically (temporary file in the same folder, then os.replace).

    Returns the path written. Raises OSError when the folder cannot be written.
    """
    p = Path(path) if path is not None else default_path()
    data = json.dumps(settings.to_dict(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_text(p, data)
    return p

"""User settings: a dataclass stored as JSON under the platform's config dir, written atomically.

Reading never fails (issue 17): any file, whatever it holds, yields settings. Each value is
checked on its own; a bad one falls back to its default and is named in a notice, and the
file as it was is kept beside as ``<name>.bak``. Only a regular file is read, moved or
written (issue 22, ``ime.settings_file``); a file that cannot be read or kept aside is never
saved over.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from ime.settings_file import (
    NotRegularFile,
    keep_aside,
    kind_name,
    read_regular,
    writable_target,
)

logger = logging.getLogger(__name__)

#: Environment variable that overrides where settings live (tests, portable installs).
ENV_PATH = "XIEZI_SETTINGS"
#: A settings file is a few hundred bytes; a bigger one is not read (bounded memory).
MAX_BYTES = 64 * 1024
INSERT_MODES = ("auto", "x11", "x11-paste", "windows", "macos", "wayland", "clipboard")
AUTO_COMMIT = ("learn", "fixed", "off")
LANGUAGE_CHOICES = ("auto", "zh", "en")
#: Ranges of the numbers (inclusive). Window coordinates stay far inside Qt's 32-bit ints.
AUTO_COMMIT_MS = (100, 10_000)
PAD_SIZE = (120, 2000)
COORD = (-100_000, 100_000)
EXTENT = (50, 20_000)
PAUSE_MS = (0, 60_000)
MAX_PAUSES = 64


@dataclass
class Settings:
    """What the user can change; every field has a sane default.

    Attributes:
        insert_mode: how text reaches the focused application ("auto" or one of
            ``ime.insert.MODES``).
        auto_commit: when the character on the pad is committed without a click: "learn"
            (after a pause clearly longer than the writer's own pauses inside a character,
            learned as they write; ``ime.pauses``), "fixed" (after ``auto_commit_ms``) or "off".
        auto_commit_ms: the pause of "fixed", in ms (100..10000).
        pad_size: side of the square writing area, in pixels (120..2000).
        ink_colour: ink colour as "#rrggbb".
        language: interface language: "auto" (the system's), "zh" or "en".
        geometry: window x, y, width, height in pixels, or None before the first save.
        pauses_ms: the writer's latest pauses inside characters (pen-up to pen-down, ms),
            what "learn" learned; at most 64, newest last.
        learn_handwriting: keep a memory of the user's corrections and words and rank with
            it (issue 28, ``ime.memory_store``); off: nothing learned, read or written.
    """

    insert_mode: str = "auto"
    auto_commit: str = "learn"
    auto_commit_ms: int = 1000
    pad_size: int = 280
    ink_colour: str = "#202020"
    language: str = "auto"
    geometry: list[int] | None = field(default=None)
    pauses_ms: list[int] = field(default_factory=list)
    learn_handwriting: bool = True

    def __post_init__(self) -> None:
        # Code that builds Settings must pass good values: a bad one is a bug, not a notice.
        for name, check in CHECKS.items():
            value = getattr(self, name)
            good, problem = check(value)
            if problem is not None:
                raise ValueError(f"Settings.{name}: {problem}")
            setattr(self, name, good)

    @classmethod
    def from_dict(cls, d: object) -> tuple[Settings, list[str]]:
        """Settings from a parsed JSON value, and one line per value that was replaced.

        Unknown keys are ignored; a bad value gives its default (a number out of range is
        clamped); never raises.
        """
        if not isinstance(d, dict):
            return cls(), [f"the file holds a JSON {type(d).__name__}, not an object"]
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            if f.name not in d:
                continue
            good, problem = CHECKS[f.name](d[f.name])
            if problem is not None:
                problems.append(f"{f.name}: {problem}")
            values[f.name] = good
        if "auto_commit" not in d and d.get("auto_commit_ms") == 0:
            values["auto_commit"] = "off"  # files from before "learn": 0 meant off
        return cls(**values), problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Check = Callable[[Any], tuple[Any, "str | None"]]


def _choice(options: tuple[str, ...], default: str) -> Check:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, str) and v in options:
            return v, None
        return default, f"{_show(v)} is not one of {', '.join(options)}"

    return check


def _bool(default: bool) -> Check:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, bool):
            return v, None
        return default, f"{_show(v)} is not true or false"

    return check


def _int(lo: int, hi: int, default: int) -> Check:
    def check(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return default, f"{_show(v)} is not a number"
        if not lo <= v <= hi:
            return int(max(lo, min(v, hi))), f"{_show(v)} is outside {lo}..{hi}"
        return int(v), None

    return check


def _colour(v: Any) -> tuple[Any, str | None]:
    hexdigits = "0123456789abcdefABCDEF"
    if isinstance(v, str) and len(v) == 7 and v[0] == "#" and all(c in hexdigits for c in v[1:]):
        return v, None
    return "#202020", f"{_show(v)} is not a colour like #202020"


def _geometry(v: Any) -> tuple[Any, str | None]:
    if v is None:
        return None, None
    ok = (
        isinstance(v, list)
        and len(v) == 4
        and all(isinstance(n, int) and not isinstance(n, bool) for n in v)
        and all(COORD[0] <= n <= COORD[1] for n in v[:2])
        and all(EXTENT[0] <= n <= EXTENT[1] for n in v[2:])
    )
    return (list(v), None) if ok else (None, f"{_show(v)} is not a window place x, y, w, h")


def _pauses(v: Any) -> tuple[Any, str | None]:
    ok = (
        isinstance(v, list)
        and len(v) <= MAX_PAUSES
        and all(
            isinstance(n, int) and not isinstance(n, bool) and PAUSE_MS[0] <= n <= PAUSE_MS[1]
            for n in v
        )
    )
    return (list(v), None) if ok else ([], f"{_show(v)} is not a list of pauses in ms")


CHECKS: dict[str, Check] = {
    "insert_mode": _choice(INSERT_MODES, "auto"),
    "auto_commit": _choice(AUTO_COMMIT, "learn"),
    "auto_commit_ms": _int(*AUTO_COMMIT_MS, 1000),
    "pad_size": _int(*PAD_SIZE, 280),
    "ink_colour": _colour,
    "language": _choice(LANGUAGE_CHOICES, "auto"),
    "geometry": _geometry,
    "pauses_ms": _pauses,
    "learn_handwriting": _bool(True),
}


def _show(v: Any) -> str:
    """A short repr for a notice (a value may be megabytes of nested lists)."""
    text = repr(v) if not isinstance(v, (list, dict)) else type(v).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _parse_int(text: str) -> int | float:
    # A 100 000-digit number would take seconds to convert (and 3.11 refuses over 4300).
    return int(text) if len(text) <= 20 else math.inf


def default_path() -> Path:
    """$XIEZI_SETTINGS, else ``settings.json`` in platformdirs' user config dir for xiezi."""
    env = os.environ.get(ENV_PATH)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("xiezi")) / "settings.json"


@dataclass(frozen=True)
class SettingsRead:
    """What reading the settings file found.

    Attributes:
        settings: the settings to use (defaults where the file gave none).
        path: the settings path as given (or the default one).
        outcome: "ok", "missing", "fixed" (some values replaced by their defaults), "corrupt"
            (not JSON, or too big: all defaults), "unreadable" (permission denied, EIO) or
            "not_regular" (a folder, FIFO, device or socket).
        problems: one line per problem, in English; [] for "ok" and "missing".
        backup: where the file as it was is kept ("fixed", "corrupt"), or None.
        error: for "unreadable", why it could not be read; for "fixed" and "corrupt", why
            it could not be kept as ``<name>.bak`` (then it is left as it is); else None.
        kind: for "not_regular", what is there (``settings_file.file_kind``).
        keep_out: None when saving may replace the file; else why it must not (it is not a
            regular file, could not be read, or could not be kept aside first).
    """

    settings: Settings
    path: Path
    outcome: str = "ok"
    problems: list[str] = field(default_factory=list)
    backup: Path | None = None
    error: str | None = None
    kind: str | None = None
    keep_out: str | None = None


def read_settings(path: str | Path | None = None) -> tuple[Settings, list[str]]:
    """Read settings; returns them and the problems found (empty when the file was fine).

    See ``read_settings_file``; never raises.
    """
    r = read_settings_file(path)
    return r.settings, r.problems


def read_settings_file(path: str | Path | None = None) -> SettingsRead:
    """Read settings and say what was found; never raises, never blocks.

    A missing file gives defaults. Only a regular file is read (a symlink is followed): a
    folder, FIFO, device or socket gives defaults and is left untouched, as is a file that
    cannot be read. An unparsable file gives defaults and is moved to ``<name>.bak``; a file
    with some bad values gives defaults for those and is copied there. A file that is not
    regular, cannot be read or could not be kept aside must not be saved over (``keep_out``).
    Reads at most ``MAX_BYTES``.
    """
    p = Path(path) if path is not None else default_path()
    try:
        raw, st = read_regular(p, MAX_BYTES)
    except FileNotFoundError:
        return SettingsRead(Settings(), p, "missing")
    except NotRegularFile as e:
        logger.warning(
            "settings path %s; using defaults, and it will not be read, moved or written", e
        )
        return SettingsRead(Settings(), p, "not_regular", [str(e)], kind=e.kind, keep_out=str(e))
    except OSError as e:
        logger.warning(
            "cannot read settings file %s (%s); using defaults, and the file is "
            "left as it is and will not be saved over",
            p,
            _why(e),
        )
        return SettingsRead(
            Settings(),
            p,
            "unreadable",
            [f"cannot read {p}: {_why(e)}"],
            error=_why(e),
            keep_out=f"{p} could not be read ({_why(e)})",
        )
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES} bytes")
        data = json.loads(raw.decode("utf-8-sig"), parse_int=_parse_int)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        why = str(e)[:120] if not isinstance(e, RecursionError) else "nested too deep"
        return _kept(SettingsRead(Settings(), p, "corrupt", [f"corrupt ({why})"]), st, raw)
    settings, problems = Settings.from_dict(data)
    if not problems:
        return SettingsRead(settings, p)
    return _kept(SettingsRead(settings, p, "fixed", problems), st, raw)


def _kept(r: SettingsRead, st: os.stat_result, raw: bytes) -> SettingsRead:
    """r once the file is kept aside (moved when corrupt, else copied), with the log line
    that says which happened."""
    what = "; ".join(r.problems)
    bak, error = keep_aside(r.path, st, raw, move=r.outcome == "corrupt")
    done = "moved it to" if r.outcome == "corrupt" else "copied it to"
    if error is None:
        logger.warning(
            "settings file %s: %s; using the defaults for those, %s %s", r.path, what, done, bak
        )
        return replace(r, backup=bak)
    keep_out = f"{r.path} could not be kept as {bak} ({error})"
    logger.warning(
        "settings file %s: %s; using the defaults for those; could not keep it as "
        "%s (%s), so it is left as it is and will not be saved over",
        r.path,
        what,
        bak,
        error,
    )
    return replace(r, error=error, keep_out=keep_out)


def _why(e: OSError) -> str:
    return e.strerror or str(e)


#: The label of each setting in a notice: its line in the dialog, or a ``what_`` string.
_LABELS = {
    "insert_mode": "insert_mode",
    "auto_commit": "auto_commit",
    "auto_commit_ms": "what_auto_commit_ms",
    "pad_size": "pad_size",
    "ink_colour": "ink_colour",
    "language": "language",
    "geometry": "what_geometry",
    "pauses_ms": "what_pauses_ms",
    "learn_handwriting": "learn_handwriting",
}


def _what(r: SettingsRead, lang: str) -> str:
    """The settings that were replaced, by their names in ``lang`` (issue 23: the English
    detail of ``r.problems`` goes to the log only)."""
    from ime.i18n import tr

    if r.outcome == "corrupt":
        return tr("what_corrupt", lang)
    names = [p.split(":", 1)[0] for p in r.problems]
    labels = [tr(_LABELS[n], lang) for n in names if n in _LABELS]
    if not labels:  # not an object at all
        return tr("what_everything", lang)
    return ("、" if lang == "zh" else ", ").join(labels)


def describe_read(r: SettingsRead, lang: str) -> str:
    """The notice the pad shows for r, in lang; "" when the file was fine or absent. No
    English error text in it (the log has that)."""
    from ime.i18n import tr

    what = _what(r, lang)
    if r.outcome == "not_regular":
        return tr("settings_not_file", lang, path=r.path, kind=kind_name(r.kind or "other", lang))
    if r.outcome == "unreadable":
        return tr("settings_unreadable", lang, path=r.path)
    if r.outcome in ("fixed", "corrupt") and r.error is not None:
        return tr("settings_not_kept", lang, path=r.path, what=what)
    if r.outcome == "fixed":
        return tr("settings_bad", lang, what=what, bak=r.backup)
    if r.outcome == "corrupt":
        return tr("settings_corrupt", lang, path=r.path, bak=r.backup)
    return ""


def load_settings(path: str | Path | None = None) -> Settings:
    """``read_settings`` without the problems (they are logged)."""
    return read_settings(path)[0]


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Write settings as JSON atomically (temporary file in the same folder, then os.replace),
    through a symlink to its target.

    Returns the path written. Raises NotRegularFile (an OSError) when something other than a
    regular file is at the path (it is left as it is), OSError when the folder cannot be
    written.
    """
    p = Path(path) if path is not None else default_path()
    data = json.dumps(settings.to_dict(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_text(writable_target(p), data)
    return p

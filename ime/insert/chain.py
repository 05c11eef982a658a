"""The fallback chain: which inserter Xiezi uses here, chosen once at start-up.

``auto`` tries, in order: X11 XTest (``DISPLAY`` set, libX11 + libXtst loadable, the XTEST
extension present) / Windows SendInput / macOS CGEvent (pyobjc's Quartz importable) / Wayland
wtype (``WAYLAND_DISPLAY`` set and ``wtype`` on PATH), and ends with the clipboard, which is
always available. Under Wayland without wtype the clipboard comes with a notice to paste. Every
chain ends with the clipboard: when the typing back end fails, the text is left there. The chain's
entry, ``FallbackInserter``, checks the text once; the back ends trust it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ime.insert.clipboard import Clipboard, ClipboardInserter, default_clipboard
from ime.insert.later import Scheduler
from ime.insert.protocol import InsertConfig, Inserter, Key, check_text

logger = logging.getLogger(__name__)


@dataclass
class Env:
    """What a back end needs to decide and run: environment, clipboard, settings, scheduler."""

    environ: Mapping[str, str]
    clipboard: Clipboard
    config: InsertConfig
    schedule: Scheduler | None


@dataclass(frozen=True)
class Backend:
    """One insertion back end: its mode name (settings, ``--insert``), its label in the log,
    how to build it, and why it cannot work here (None when it can). Each back end's module
    is imported only when it is asked or built."""

    mode: str
    label: str
    build: Callable[[Env], Inserter]
    unavailable: Callable[[Mapping[str, str]], str | None]


def _x11_reason(environ: Mapping[str, str]) -> str | None:
    from ime.insert import x11

    return x11.unavailable_reason(environ)


def _x11(env: Env) -> Inserter:
    from ime.insert.x11 import X11Inserter

    return X11Inserter(env.config, display=env.environ.get("DISPLAY"), schedule=env.schedule)


def _x11_paste(env: Env) -> Inserter:
    from ime.insert.x11 import X11Inserter
    from ime.insert.x11_paste import X11PasteInserter

    keys = X11Inserter(env.config, display=env.environ.get("DISPLAY"), schedule=env.schedule)
    return X11PasteInserter(keys, env.clipboard, env.config, schedule=env.schedule)


def _windows(env: Env) -> Inserter:
    from ime.insert.windows import WindowsInserter

    return WindowsInserter()


def _macos_reason(environ: Mapping[str, str]) -> str | None:
    from ime.insert import macos

    return macos.unavailable_reason()


def _macos(env: Env) -> Inserter:
    from ime.insert.macos import MacInserter

    return MacInserter()


def _wayland_reason(environ: Mapping[str, str]) -> str | None:
    from ime.insert import wayland

    return wayland.unavailable_reason(environ)


def _wayland(env: Env) -> Inserter:
    from ime.insert.wayland import WtypeInserter

    return WtypeInserter(env.config, environ=env.environ)


#: The back ends, in the order the settings list them; the clipboard, always available, last.
BACKENDS: dict[str, Backend] = {
    b.mode: b
    for b in (
        Backend("x11", "X11 XTest key events", _x11, _x11_reason),
        Backend("x11-paste", "X11 paste (clipboard + Ctrl+V)", _x11_paste, _x11_reason),
        Backend(
            "windows",
            "Windows SendInput",
            _windows,
            lambda environ: None if sys.platform == "win32" else "not Windows",
        ),
        Backend("macos", "macOS CGEvent", _macos, _macos_reason),
        Backend("wayland", "Wayland wtype", _wayland, _wayland_reason),
        Backend(
            "clipboard",
            "clipboard",
            lambda env: ClipboardInserter(env.clipboard),
            lambda environ: None,
        ),
    )
}
MODES: tuple[str, ...] = ("auto", *BACKENDS)


def _auto_order(environ: Mapping[str, str]) -> list[str]:
    if sys.platform == "win32":
        return ["windows"]
    if sys.platform == "darwin":
        return ["macos"]
    # A Wayland session usually also sets DISPLAY (XWayland), but XTest there reaches only X
    # clients: prefer wtype, and do not fall to XTest silently.
    if environ.get("WAYLAND_DISPLAY"):
        return ["wayland"]
    return ["x11"]


class FallbackInserter:
    """The chain's entry: checks the text, sends it through ``primary`` and, when that fails,
    leaves it on the clipboard (``fallback``).

    The text is checked here once (``check_text``): the back ends trust it. ``insert`` returns
    False when the text did not arrive, so the pad can say so. ``fallback`` is None when
    ``primary`` is the clipboard itself (clipboard mode, or nothing else works here). Never
    raises, even when ``primary`` does.
    """

    def __init__(self, primary: Inserter, fallback: ClipboardInserter | None = None) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name if fallback is None else f"{primary.name} → {fallback.name}"
        #: The text goes to the clipboard, not into the application (the pad says so at each
        #: commit, issue 23).
        self.to_clipboard = isinstance(primary, ClipboardInserter)

    def insert(self, text: str) -> bool:
        why = check_text(text)
        if why:
            logger.warning("not inserting: %s", why)
            return False
        try:
            if self.primary.insert(text):
                return True
            logger.warning("%s could not insert %r", self.primary.name, text)
        except Exception:
            logger.exception("%s raised while inserting %r", self.primary.name, text)
        if self.fallback is not None and self.fallback.insert(text):
            logger.warning("left %r on the clipboard instead", text)
        return False

    def key(self, name: Key) -> bool:
        try:
            return self.primary.key(name)
        except Exception:
            logger.exception("%s raised while pressing %s", self.primary.name, name)
            return False

    def notice(self, lang: str) -> str:
        """The primary's notice: the clipboard's when it is the whole chain, else none."""
        return self.primary.notice(lang)

    def close(self) -> None:
        close: Callable[[], None] | None = getattr(self.primary, "close", None)
        if close is not None:
            close()


def available_modes(environ: Mapping[str, str] | None = None) -> list[str]:
    """The modes that can work here, "auto" first and "clipboard" last (for the settings)."""
    environ = os.environ if environ is None else environ
    return ["auto"] + [m for m, b in BACKENDS.items() if b.unavailable(environ) is None]


def choose_inserter(
    mode: str = "auto",
    *,
    config: InsertConfig | None = None,
    clipboard: Clipboard | None = None,
    environ: Mapping[str, str] | None = None,
    schedule: Scheduler | None = None,
) -> Inserter:
    """Build the chain for ``mode`` ("auto" or one of ``MODES``): a ``FallbackInserter`` whose
    primary is that back end and whose fallback the clipboard, or the clipboard alone.

    A mode that cannot work here is logged and replaced by the clipboard. Raises ValueError
    only for an unknown mode name.
    """
    if mode not in MODES:
        raise ValueError(f"unknown insertion mode {mode!r}; known: {', '.join(MODES)}")
    environ = os.environ if environ is None else environ
    config = config or InsertConfig()
    clip = (
        clipboard if clipboard is not None else default_clipboard(environ, config.command_timeout_s)
    )
    env = Env(environ, clip, config, schedule)
    fallback = ClipboardInserter(clip)
    for m in _auto_order(environ) if mode == "auto" else [mode]:
        if m == "clipboard":
            return FallbackInserter(fallback)
        backend = BACKENDS[m]
        why = backend.unavailable(environ)
        if why is None:
            try:
                return FallbackInserter(backend.build(env), fallback)
            except Exception:
                logger.exception("cannot start %s", backend.label)
        else:
            logger.info("%s unavailable: %s", backend.label, why)
    if environ.get("WAYLAND_DISPLAY") and sys.platform not in ("win32", "darwin"):
        fallback.notice_key = "wayland_notice"
    logger.warning("typing into applications is unavailable; using the clipboard")
    return FallbackInserter(fallback)


def describe_chain(
    mode: str = "auto", environ: Mapping[str, str] | None = None, lang: str = "en"
) -> str:
    """One line for the settings dialog in ``lang`` ("zh" or "en"), e.g.
    "X11 key events (XTest) → clipboard (on failure)"."""
    from ime.i18n import tr

    if mode not in MODES:
        raise ValueError(f"unknown insertion mode {mode!r}; known: {', '.join(MODES)}")
    environ = os.environ if environ is None else environ
    parts: list[str] = []
    for m in _auto_order(environ) if mode == "auto" else [mode]:
        if m == "clipboard":
            break
        why = BACKENDS[m].unavailable(environ)
        label = tr(f"mode_{m}", lang)
        parts.append(label if why is None else tr("chain_unavailable", lang, label=label, why=why))
        if why is None:
            return tr("chain_then_clipboard", lang, first=parts[-1])
    return " → ".join([*parts, tr("chain_clipboard_only", lang)])

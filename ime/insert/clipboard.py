"""The clipboard: back ends to read and set it, and the always-available clipboard inserter."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ime.i18n import tr
from ime.insert.protocol import Key

logger = logging.getLogger(__name__)


class Clipboard(Protocol):
    """Reads and sets the system clipboard's text. Never raises."""

    name: str

    def get_text(self) -> str | None:
        """The clipboard's text, or None when it holds none or cannot be read."""
        ...

    def set_text(self, text: str) -> bool:
        """Own the clipboard with ``text``; True on success."""
        ...


@dataclass
class MemoryClipboard:
    """An in-process clipboard for tests (and the last resort when nothing else works)."""

    name: str = "memory"
    text: str | None = None
    history: list[str] = field(default_factory=list)

    def get_text(self) -> str | None:
        return self.text

    def set_text(self, text: str) -> bool:
        self.text = text
        self.history.append(text)
        return True


class QtClipboard:
    """QGuiApplication.clipboard(): the pad's own process owns the selection while it runs.

    Only usable on the GUI thread of a running QGuiApplication.
    """

    name = "Qt"

    @staticmethod
    def _clipboard():  # type: ignore[no-untyped-def]
        from ime import qt

        app = qt.QGuiApplication.instance()
        return None if app is None else app.clipboard()

    def get_text(self) -> str | None:
        try:
            cb = self._clipboard()
            if cb is None:
                return None
            mime = cb.mimeData()
            return cb.text() if mime is not None and mime.hasText() else None
        except Exception as e:  # noqa: BLE001 - never raise into the GUI
            logger.warning("cannot read the Qt clipboard: %s", e)
            return None

    def set_text(self, text: str) -> bool:
        try:
            cb = self._clipboard()
            if cb is None:
                logger.warning("no QGuiApplication: cannot set the Qt clipboard")
                return False
            cb.setText(text)
            return True
        except Exception as e:  # noqa: BLE001 - never raise into the GUI
            logger.warning("cannot set the Qt clipboard: %s", e)
            return False


@dataclass
class CommandClipboard:
    """A clipboard reached through helper programs (xclip, xsel, wl-copy/wl-paste, pbcopy).

    Attributes:
        name: the program family, e.g. "xclip".
        copy: argv that reads the new text from stdin and owns the clipboard.
        paste: argv that prints the clipboard's text.
        timeout_s: limit for each call, seconds.
        environ: the programs' environment (DISPLAY, WAYLAND_DISPLAY); None: ours.
    """

    name: str
    copy: list[str]
    paste: list[str]
    timeout_s: float = 3.0
    environ: Mapping[str, str] | None = None

    def get_text(self) -> str | None:
        try:
            done = subprocess.run(
                self.paste,
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
                env=self.environ,
            )
        except (OSError, subprocess.SubprocessError) as e:
            logger.warning("%s: cannot read the clipboard: %s", self.name, e)
            return None
        if done.returncode != 0:  # empty clipboard or no text target
            return None
        return done.stdout.decode("utf-8", errors="replace")

    def set_text(self, text: str) -> bool:
        # xclip / wl-copy fork a child that serves the selection: it must not inherit our
        # pipes, or run() would wait for it to exit. Hence DEVNULL for its output.
        try:
            done = subprocess.run(
                self.copy,
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=self.timeout_s,
                check=False,
                env=self.environ,
            )
        except (OSError, subprocess.SubprocessError) as e:
            logger.warning("%s: cannot set the clipboard: %s", self.name, e)
            return False
        if done.returncode != 0:
            logger.warning("%s: setting the clipboard exited with %d", self.name, done.returncode)
            return False
        return True


def _qt_app_exists() -> bool:
    if "PySide6.QtGui" not in sys.modules:  # never import Qt just to look
        return False
    try:
        from ime import qt

        return qt.QGuiApplication.instance() is not None
    except (ImportError, AttributeError):
        return False


def default_clipboard(
    env: Mapping[str, str] | None = None, timeout_s: float = 3.0, *, qt: bool = True
) -> Clipboard:
    """The best clipboard here: Qt when a QGuiApplication runs (and ``qt``), else a helper
    program for the display in ``env``.

    Falls back to a MemoryClipboard (logged) when no system clipboard can be reached.
    """
    own = env is None
    env = os.environ if env is None else env
    if qt and _qt_app_exists():
        return QtClipboard()
    path = env.get("PATH")
    candidates: list[tuple[str, list[str], list[str]]] = []
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(("wl-copy", ["wl-copy"], ["wl-paste", "--no-newline"]))
    if env.get("DISPLAY"):
        candidates.append(
            (
                "xclip",
                ["xclip", "-selection", "clipboard", "-in"],
                ["xclip", "-selection", "clipboard", "-out"],
            )
        )
        candidates.append(
            ("xsel", ["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"])
        )
    if sys.platform == "darwin":
        candidates.append(("pbcopy", ["pbcopy"], ["pbpaste"]))
    for name, copy, paste in candidates:
        exe = shutil.which(copy[0], path=path)
        reader = shutil.which(paste[0], path=path)
        if exe and reader:
            return CommandClipboard(
                name, [exe, *copy[1:]], [reader, *paste[1:]], timeout_s, None if own else dict(env)
            )
    logger.warning("no system clipboard reachable (no Qt application, xclip, xsel, wl-copy)")
    return MemoryClipboard()


@dataclass
class ClipboardInserter:
    """Puts the text on the clipboard for the user to paste: works everywhere, types nothing.

    Attributes:
        clipboard: where the text goes.
        name: shown in the settings dialog.
        notice_key: the key in ``ime.i18n`` of what the pad shows while the clipboard is the
            whole chain ("paste with Ctrl+V"; under Wayland also why it cannot type).
    """

    clipboard: Clipboard
    name: str = "clipboard"
    notice_key: str = "clipboard_notice"

    def insert(self, text: str) -> bool:
        if not text:
            return True
        ok = self.clipboard.set_text(text)
        if ok:
            logger.info("%d characters on the %s clipboard", len(text), self.clipboard.name)
        return ok

    def key(self, name: Key) -> bool:
        logger.info("clipboard mode cannot send %s to the application", name)
        return False

    def notice(self, lang: str) -> str:
        """The notice ``notice_key`` in ``lang``: the user has to paste."""
        return tr(self.notice_key, lang)

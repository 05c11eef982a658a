"""Wayland: type through ``wtype`` (the virtual-keyboard protocol of wlroots compositors).

GNOME and KDE do not offer that protocol to ordinary clients; there wtype exits non-zero and
the chain leaves the text on the clipboard with a notice (see docs/insertion.md).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Mapping

from ime.insert.protocol import KEYS, InsertConfig, Key

logger = logging.getLogger(__name__)


def unavailable_reason(environ: Mapping[str, str] | None = None) -> str | None:
    """Why wtype cannot be used here, or None."""
    environ = os.environ if environ is None else environ
    if not environ.get("WAYLAND_DISPLAY"):
        return "WAYLAND_DISPLAY is not set"
    if shutil.which("wtype", path=environ.get("PATH")) is None:
        return "wtype is not on PATH"
    return None


class WtypeInserter:
    """Runs ``wtype [-d ms] -- text`` and ``wtype -k Key`` for the pad's keys."""

    name = "Wayland wtype"

    def __init__(
        self, config: InsertConfig | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.config = config or InsertConfig()
        self.environ = dict(os.environ if environ is None else environ)

    def _run(self, args: list[str]) -> bool:
        exe = shutil.which("wtype", path=self.environ.get("PATH"))
        if exe is None:
            logger.warning("wtype is not on PATH")
            return False
        try:
            done = subprocess.run(
                [exe, *args],
                env=self.environ,
                capture_output=True,
                timeout=self.config.command_timeout_s,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as e:
            logger.warning("wtype failed to run: %s", e)
            return False
        if done.returncode != 0:
            # e.g. "Compositor does not support the virtual keyboard protocol" (GNOME, KDE)
            logger.warning(
                "wtype exited with %d: %s",
                done.returncode,
                done.stderr.decode("utf-8", "replace").strip(),
            )
            return False
        return True

    def _delay_args(self) -> list[str]:
        ms = round(self.config.key_delay_s * 1000)
        return ["-d", str(ms)] if ms > 0 else []

    def insert(self, text: str) -> bool:
        if not text:
            return True
        return self._run([*self._delay_args(), "--", text])

    def key(self, name: Key) -> bool:
        if name not in KEYS:
            logger.warning("unknown key %r", name)
            return False
        return self._run(["-k", name])

    def notice(self, lang: str) -> str:
        """Nothing to show: this back end types the text."""
        return ""

"""call_later: run a function after a delay, on the Qt GUI thread when there is one."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: ``schedule(delay_s, fn)``: how inserters defer undoing a temporary change.
Scheduler = Callable[[float, Callable[[], None]], None]


def _guarded(fn: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # a deferred restore must never take the GUI down
            logger.exception("deferred call %r failed", fn)

    return run


def thread_later(delay_s: float, fn: Callable[[], None]) -> None:
    """Run ``fn`` on a daemon timer thread after ``delay_s`` seconds."""
    timer = threading.Timer(delay_s, _guarded(fn))
    timer.daemon = True
    timer.start()


def call_later(delay_s: float, fn: Callable[[], None]) -> None:
    """Run ``fn`` after ``delay_s`` seconds.

    On the GUI thread of a running Qt application a single-shot QTimer is used, so ``fn`` may
    touch Qt objects (the clipboard) and the event loop keeps serving paste requests meanwhile;
    anywhere else a daemon thread timer.
    """
    if "PySide6.QtCore" in sys.modules:  # never import Qt just for this
        try:
            from ime import qt

            # The Qt GUI thread is the main thread; a QTimer there runs in its event loop.
            app = qt.QGuiApplication.instance()
            if app is not None and threading.current_thread() is threading.main_thread():
                qt.QTimer.singleShot(int(delay_s * 1000), _guarded(fn))
                return
        except (ImportError, AttributeError) as e:
            logger.debug("no Qt timer (%s); using a thread timer", e)
    thread_later(delay_s, fn)

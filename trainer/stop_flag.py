"""StopFlag: SIGTERM / SIGINT ask a training run to checkpoint and return."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

logger = logging.getLogger(__name__)


class StopFlag:
    """Set by SIGTERM / SIGINT so the loop checkpoints and returns; a second signal kills."""

    def __init__(self) -> None:
        self.set = False
        self._old: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.set:
            signal.signal(signum, self._old.get(signum, signal.SIG_DFL))
            signal.raise_signal(signum)
            return
        logger.warning("signal %d: checkpointing after this step, then stopping", signum)
        self.set = True

    def uninstall(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

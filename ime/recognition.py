"""RecognitionService: runs the engine on one worker thread and reports back on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ime.qt import QObject, QRunnable, QThreadPool, Signal

if TYPE_CHECKING:  # the engine is imported on the worker, after the window paints
    from engine.protocol import InkRecognizer as Recognize

logger = logging.getLogger(__name__)


def describe(e: BaseException) -> str:
    """One line for a person: the message of our own errors, the type name for others."""
    from engine.errors import EngineError

    text = str(e).strip() or type(e).__name__
    return text if isinstance(e, EngineError) else f"{type(e).__name__}: {text}"


class _Relay(QObject):
    """Lives on the GUI thread; a worker emitting its signal is delivered there (queued)."""

    done = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay, tag: int) -> None:
        super().__init__()
        self._fn, self._relay, self._tag = fn, relay, tag

    def run(self) -> None:
        try:
            result: object = self._fn()
        except Exception as e:  # noqa: BLE001 - handed to the GUI thread as a value
            result = e
        self._relay.done.emit(self._tag, result)


LOAD_TAG = -1
RUN_TAG = -2


class RecognitionService(QObject):
    """Asks a recognizer off the GUI thread, one request at a time.

    ``request(generation, strokes, context)`` queues a recognition; requests run in order,
    each one (a recognition takes milliseconds, a stroke far longer, so no queue builds up; and
    an older result may still be wanted, e.g. for an auto-commit). ``resultReady(generation,
    candidates)`` or ``failed(generation, message)`` follow on the GUI thread. ``context``
    (the text typed just before, issue 24) is the one given at request time.
    ``load(factory)`` builds the recognizer on the worker (so the window paints while
    onnxruntime is imported and the model loads); ``modelReady()`` or ``modelFailed(message)``
    follow. ``run(fn)`` runs other slow preparation there too (the 联想 language model).
    """

    resultReady = Signal(int, list)
    failed = Signal(int, str)
    modelReady = Signal()
    modelFailed = Signal(str)

    def __init__(
        self, recognizer: Recognize | None = None, n: int = 10, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.n = n
        self._recognizer = recognizer
        self._load_error: str | None = None
        self._lock = threading.Lock()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one engine call at a time: results come in order
        self._pool.setExpiryTimeout(-1)  # keep the thread: no start-up cost on each pen-up
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)

    @property
    def ready(self) -> bool:
        return self._recognizer is not None

    def load(self, factory: Callable[[], Recognize]) -> None:
        """Build the recognizer with factory() on the worker (let it load a lazy model)."""

        def work() -> Recognize:
            try:
                r = factory()
            except Exception as e:
                with self._lock:  # set here, before any queued request runs
                    self._load_error = describe(e)
                raise
            with self._lock:
                self._recognizer = r
            return r

        self._pool.start(_Job(work, self._relay, LOAD_TAG))

    def request(
        self,
        generation: int,
        strokes: list[list[tuple[float, float, float]]],
        context: str | None = None,
    ) -> None:
        """Recognize strokes of (x, y, t_ms) points after ``context`` (None: the ink alone);
        the engine Ink is built (and validated) on the worker too, so a pen-up costs the GUI
        thread next to nothing."""

        def work() -> object:
            from engine.ink import make_ink

            ink = make_ink(strokes)
            with self._lock:
                r, err = self._recognizer, self._load_error
            if r is None:
                raise RuntimeError(err or "the recognizer is not loaded")
            if context is None:
                return list(r.recognize(ink, self.n))
            return list(r.recognize(ink, self.n, context=context))

        self._pool.start(_Job(work, self._relay, generation))

    def run(self, fn: Callable[[], object]) -> None:
        """Run fn on the worker after what is queued; its result is dropped and it must
        handle its own errors (one that escapes is logged)."""
        self._pool.start(_Job(fn, self._relay, RUN_TAG))

    def wait(self, ms: int = 5000) -> bool:
        """Block until queued work is done (tests, shutdown)."""
        return bool(self._pool.waitForDone(ms))

    def _on_done(self, tag: int, result: object) -> None:
        if tag == RUN_TAG:
            if isinstance(result, BaseException):
                logger.warning("background work failed: %s", describe(result))
            return
        if tag == LOAD_TAG:
            if isinstance(result, BaseException):
                msg = describe(result)
                logger.error("cannot load the recognizer: %s", msg)
                self.modelFailed.emit(msg)
            else:
                self.modelReady.emit()
            return
        if isinstance(result, BaseException):
            logger.warning("recognition failed: %s", describe(result))
            self.failed.emit(tag, describe(result))
        else:
            self.resultReady.emit(tag, result)  # type: ignore[arg-type]

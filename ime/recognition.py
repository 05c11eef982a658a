"""RecognitionService: runs the engine on one worker thread and reports back on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ime.qt import QObject, QRunnable, QThreadPool, Signal

if TYPE_CHECKING:  # the engine is imported on the worker, after the window paints
    import numpy as np

    from engine.ink import Ink
    from engine.protocol import InkRecognizer as Recognize

logger = logging.getLogger(__name__)


def describe(e: BaseException) -> str:
    """One line for a person: the message of our own errors, the type name for others."""
    from engine.errors import EngineError

    text = str(e).strip() or type(e).__name__
    return text if isinstance(e, EngineError) else f"{type(e).__name__}: {text}"


@dataclass(frozen=True)
class PadReading:
    """What the worker read for one generation (issue 28).

    Attributes:
        candidates: best first, as ``resultReady`` gives them.
        ink: the engine's Ink that was read (what the user's memory keeps with a pick).
        embedding: the model's embedding of it, (D,) float32; None for a model without that
            output or a recognizer without ``read``.
    """

    candidates: list[Any]
    ink: Ink | None = None
    embedding: np.ndarray | None = None


#: Readings kept for the latest generations (a pick uses the one the bar shows).
KEEP_READINGS = 8


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
RUN_TAG = -2  # run() without done; those with one get tags below it


class RecognitionService(QObject):
    """Asks a recognizer off the GUI thread, one request at a time.

    ``request(generation, strokes, context)`` queues a recognition; requests run in order,
    each one (a recognition takes milliseconds, a stroke far longer, so no queue builds up; and
    an older result may still be wanted, e.g. for an auto-commit). ``resultReady(generation,
    candidates)`` or ``failed(generation, message)`` follow on the GUI thread. ``context``
    (the text typed just before, issue 24) is the one given at request time.
    ``load(factory)`` builds the recognizer on the worker (so the window paints while
    onnxruntime is imported and the model loads); ``modelReady()`` or ``modelFailed(message)``
    follow. ``run(fn, done)`` runs other slow work there too (the 联想 language model, the
    user's memory: reading, learning and saving it), ``done(result)`` after it on the GUI thread.
    ``memory()`` (issue 28), asked on the worker at each request, is the user's memory the
    engine ranks with (None: none); ``reading(generation)`` keeps the ink and its embedding
    with the candidates, for the memory to learn a pick.
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
        self.memory: Callable[[], object | None] = lambda: None
        self._readings: dict[int, PadReading] = {}
        self._callbacks: dict[int, Callable[[object], None]] = {}
        self._next_tag = RUN_TAG

    @property
    def ready(self) -> bool:
        return self._recognizer is not None

    @property
    def recognizer(self) -> Recognize | None:
        """The recognizer once loaded (None before, or when it could not be)."""
        with self._lock:
            return self._recognizer

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

        def work() -> PadReading:
            from engine.ink import make_ink

            ink = make_ink(strokes)
            with self._lock:
                r, err = self._recognizer, self._load_error
            if r is None:
                raise RuntimeError(err or "the recognizer is not loaded")
            return self._read(r, ink, context)

        self._pool.start(_Job(work, self._relay, generation))

    def _read(self, r: Recognize, ink: Ink, context: str | None) -> PadReading:
        """The engine's Reading (candidates and embedding, with the user's memory) where the
        recognizer has ``read``; the candidates alone from any other InkRecognizer."""
        read = getattr(r, "read", None)
        if read is not None:
            memory = self.memory()
            extra = {"memory": memory} if memory is not None else {}
            reading = read(ink, self.n, context=context, **extra)
            return PadReading(list(reading.candidates), ink, reading.embedding)
        if context is None:
            return PadReading(list(r.recognize(ink, self.n)), ink)
        return PadReading(list(r.recognize(ink, self.n, context=context)), ink)

    def reading(self, generation: int) -> PadReading | None:
        """What was read for ``generation``, if it is one of the latest (KEEP_READINGS)."""
        return self._readings.get(generation)

    def run(self, fn: Callable[[], object], done: Callable[[object], None] | None = None) -> None:
        """Run fn on the worker after what is queued; ``done(result)`` follows on the GUI
        thread (without it the result is dropped). fn must handle its own errors: one that
        escapes is logged, and done is not called."""
        tag = RUN_TAG
        if done is not None:
            self._next_tag -= 1
            tag = self._next_tag
            self._callbacks[tag] = done
        self._pool.start(_Job(fn, self._relay, tag))

    def wait(self, ms: int = 5000) -> bool:
        """Block until queued work is done (tests, shutdown)."""
        return bool(self._pool.waitForDone(ms))

    def _on_done(self, tag: int, result: object) -> None:
        if tag <= RUN_TAG:
            done = self._callbacks.pop(tag, None)
            if isinstance(result, BaseException):
                logger.warning("background work failed: %s", describe(result))
            elif done is not None:
                done(result)
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
            assert isinstance(result, PadReading)
            self._readings[tag] = result
            for old in sorted(self._readings)[:-KEEP_READINGS]:
                del self._readings[old]
            self.resultReady.emit(tag, result.candidates)

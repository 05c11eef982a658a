"""Controller: links the pad, the candidate bar, the engine and the inserter."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from ime.associations import Associations
from ime.candidates import CandidateBar
from ime.delay import Delay
from ime.i18n import tr
from ime.keys import BACKSPACE, ENTER, SPACE
from ime.pad import Pad
from ime.pauses import PauseModel, stroke_pauses
from ime.qt import QObject, Signal
from ime.recognition import RecognitionService

logger = logging.getLogger(__name__)

#: Quick-key action -> the key name of ime.insert.KEYS the inserter's ``key()`` takes.
KEY_NAMES = {SPACE: "space", BACKSPACE: "BackSpace", ENTER: "Return"}
#: A Backspace this soon after an auto-commit takes it back: the pause was too short (s).
TAKE_BACK_S = 5.0


class Inserter(Protocol):
    """ime.insert.Inserter, restated so the controller depends on its shape only."""

    name: str

    def insert(self, text: str) -> bool: ...

    def key(self, name: Any) -> bool: ...


class Controller(QObject):
    """The pad's behaviour, with no widget of its own.

    * Every change of the finished ink (pen-up, undo, clear) bumps ``generation`` and asks the
      engine; a result for an older generation is stale and never shown (``stale`` counts them).
    * Auto-commit: ``auto_commit`` (a Delay) starts at pen-up with ``commit_delay_ms()``;
      when it fires, the best candidate is committed. A pen-down stops it, so a stroke that
      starts before the pause is over always belongs to the character on the pad. Mode
      "learn" takes the pause from ``pauses`` (the writer's own pauses inside characters,
      learned from every committed character; a Backspace right after an auto-commit
      teaches it that pause was too short), "fixed" uses ``fixed_ms``, "off" none
      (``Delay.enabled = False``).
    * A commit sends the text to the inserter, clears the pad and shows associations (联想).

    Signals: ``committed(text)`` after text went to the inserter; ``message(text)`` for the
    one line the window shows ("" hides it); ``candidatesShown(kind)`` after the bar changed.
    """

    committed = Signal(str)
    message = Signal(str)
    candidatesShown = Signal(str)

    def __init__(self, pad: Pad, bar: CandidateBar, service: RecognitionService,
                 inserter: Inserter, associations: Associations | None = None,
                 auto_commit: str = "off", fixed_ms: int = 1000,
                 pauses: PauseModel | None = None, language: str = "zh",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pad, self.bar, self.service = pad, bar, service
        self.inserter = inserter
        self.associations = associations if associations is not None else Associations()
        self.language = language
        self.generation = 0
        self.stale = 0
        self.pauses = pauses if pauses is not None else PauseModel()
        self.auto_commit = Delay(0, parent=self)
        self.mode, self.fixed_ms = "off", fixed_ms
        self.set_auto_commit(auto_commit, fixed_ms)
        self._last_auto: tuple[float, int] | None = None  # (monotonic s, pause ms)
        self._results: tuple[int, list[str]] | None = None
        self._pending_commit: int | None = None
        self._model_message = ""
        self._error_shown = False
        pad.inkChanged.connect(self._on_ink_changed)
        pad.strokeFinished.connect(self._on_stroke_finished)
        pad.strokeStarted.connect(self._on_stroke_started)
        bar.chosen.connect(self.commit)
        service.resultReady.connect(self._on_result)
        service.failed.connect(self._on_failed)
        service.modelFailed.connect(self._on_model_failed)
        service.modelReady.connect(self._on_model_ready)
        self.auto_commit.timeout.connect(self._on_pause)

    # ------------------------------------------------------------------ ink -> engine
    def _on_ink_changed(self) -> None:
        self.generation += 1
        self._results = None
        self.auto_commit.stop()
        strokes = self.pad.strokes()
        if strokes:
            self.service.request(self.generation, strokes)
        elif self.bar.kind == "candidates":
            self._show([], "")

    def _on_stroke_finished(self) -> None:
        self.auto_commit.ms = self.commit_delay_ms()
        self.auto_commit.start()

    def _on_result(self, generation: int, candidates: list[Any]) -> None:
        chars = [c.char for c in candidates]
        if generation == self._pending_commit:
            self._pending_commit = None
            if chars:
                self._insert(chars[0])
            return
        if generation != self.generation:
            self.stale += 1
            logger.debug("stale result for ink %d (now %d) discarded", generation, self.generation)
            return
        self._results = (generation, chars)
        self._show(chars, "candidates")
        if self._error_shown:
            self._error_shown = False
            self.message.emit("")

    def _on_failed(self, generation: int, reason: str) -> None:
        if generation == self.generation:
            self._error_shown = not self._model_message
            self.message.emit(self._model_message or tr("recognize_failed", self.language,
                                                          reason=reason))

    def _on_model_failed(self, reason: str) -> None:
        self._model_message = tr("model_failed", self.language, reason=reason)
        self.message.emit(self._model_message)

    def _on_model_ready(self) -> None:
        self.message.emit("")

    # ------------------------------------------------------------------ auto-commit
    def set_auto_commit(self, mode: str, fixed_ms: int) -> None:
        """Mode "learn", "fixed" (after ``fixed_ms``) or "off"."""
        if mode not in ("learn", "fixed", "off"):
            raise ValueError(f"auto-commit mode must be learn, fixed or off, not {mode!r}")
        self.mode, self.fixed_ms = mode, fixed_ms
        self.auto_commit.enabled = mode != "off"
        if mode == "off":
            self.auto_commit.stop()

    def commit_delay_ms(self) -> int:
        """The pause after a pen-up that commits the character on the pad."""
        return self.fixed_ms if self.mode == "fixed" else self.pauses.delay_ms()

    def _on_pause(self) -> None:
        if not self.pad.stroke_count or self.pad.is_writing():
            return
        pause = self.auto_commit.ms
        best = self.best()
        if best is not None:
            self.commit(best)
        else:  # the engine has not answered yet: commit its answer when it comes
            self._learn()
            self._pending_commit = self.generation
            self.pad.clear()
        self._last_auto = (time.monotonic(), pause)

    def _on_stroke_started(self) -> None:
        self.auto_commit.stop()

    def _learn(self) -> None:
        """The pauses inside the character about to be committed teach the commit pause."""
        self.pauses.learn(stroke_pauses(self.pad.strokes()))

    # ------------------------------------------------------------------ commit
    def best(self) -> str | None:
        """The first candidate of the ink on the pad, if the engine has answered for it."""
        if self._results is not None and self._results[0] == self.generation and self._results[1]:
            return self._results[1][0]
        return None

    def commit(self, text: str) -> None:
        """Send text to the inserter, clear the pad and offer associations for it."""
        self._learn()
        self._last_auto = None
        self._insert(text)
        self.pad.clear()
        self._show(self.associations.following(text), "associations")

    def commit_pending(self) -> None:
        """Commit the best candidate of the ink on the pad, if any (before punctuation etc.)."""
        best = self.best()
        if best is not None:
            self._learn()
            self._insert(best)
            self.pad.clear()
        self._show([], "")

    def type_text(self, text: str) -> None:
        """A quick key (punctuation): commit what is pending, then the mark itself."""
        self.commit_pending()
        self._last_auto = None
        self._insert(text)

    def key_action(self, name: str) -> None:
        """SPACE commits the first candidate (or types a space); BACKSPACE undoes a stroke
        when there is ink, else deletes in the application; ENTER commits, then a newline."""
        if name == SPACE and self.bar.items() and self.bar.kind == "candidates":
            self.bar.choose(0)
            return
        if name == BACKSPACE and self.pad.stroke_count:
            self.pad.undo()
            return
        if name == BACKSPACE and self._last_auto is not None:
            at, pause = self._last_auto
            if time.monotonic() - at < TAKE_BACK_S and self.mode == "learn":
                self.pauses.too_early(pause)
                logger.info("auto-commit after %d ms taken back: now %d ms", pause,
                            self.commit_delay_ms())
        self._last_auto = None
        self.commit_pending()
        try:
            ok = self.inserter.key(KEY_NAMES[name])
        except Exception:
            logger.exception("inserter %s raised", getattr(self.inserter, "name", "?"))
            ok = False
        if not ok:
            self._insert_failed()

    def _insert(self, text: str) -> None:
        try:
            ok = self.inserter.insert(text)
        except Exception:
            logger.exception("inserter %s raised", getattr(self.inserter, "name", "?"))
            ok = False
        if not ok:
            self.message.emit(tr("insert_failed", self.language, text=text,
                                 mode=getattr(self.inserter, "name", "?")))
        self.committed.emit(text)

    def _insert_failed(self) -> None:
        self.message.emit(tr("key_failed", self.language,
                             mode=getattr(self.inserter, "name", "?")))

    def _show(self, items: list[str], kind: str) -> None:
        self.bar.set_items(items, kind)
        self.candidatesShown.emit(kind)

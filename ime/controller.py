"""Controller: links the pad, the candidate bar, the engine and the inserter."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ime.associations import Associations
from ime.candidates import CandidateBar
from ime.context import FORGET_MS, TypedText
from ime.delay import Delay
from ime.i18n import tr
from ime.insert.protocol import Inserter, Key
from ime.keys import BACKSPACE, ENTER, SPACE
from ime.memory_store import MemoryStore
from ime.pad import Pad
from ime.pauses import PauseModel, stroke_pauses
from ime.qt import QObject, Signal
from ime.recognition import PadReading, RecognitionService

logger = logging.getLogger(__name__)

#: Quick-key action -> the key name of ime.insert.KEYS the inserter's ``key()`` takes.
KEY_NAMES: dict[str, Key] = {SPACE: "space", BACKSPACE: "BackSpace", ENTER: "Return"}
#: A Backspace this soon after an auto-commit takes it back: the pause was too short (s).
TAKE_BACK_S = 5.0


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
    * A commit sends the text to the inserter, clears the pad and shows associations (联想):
      the characters that follow the text typed just before.
    * Context (issue 24): ``typed`` holds what the pad typed recently (commits, marks, space,
      newline; Backspace takes its last character back) and every request carries it, so the
      engine ranks the candidates as text. It is forgotten when ``target()`` (the window with
      the focus, None where the platform cannot tell; asked at the first pen-up of each
      character and at each commit) names another window than the text went into, and when
      ``forget_after`` (a Delay, FORGET_MS) fires: that long without writing or committing.
      Ink on the pad that was asked with another context than the one now is asked again (a
      new generation), so the first candidate and auto-commit follow the text.
    * The user's memory (issue 28, ``memory``; None: none): a candidate picked from the bar
      (a click, or Space for the first) is learned with the ink it was read from and where it
      stood; an auto-commit taken back with Backspace (within TAKE_BACK_S) and then rewritten
      teaches that ink too, when the character picked was among its candidates; one that is
      not taken back stands (rank 0) once the user goes on. The text typed
      is learned as the user's words a run at a time (its pairs count; what Backspace took
      back does not), when the context is forgotten or the run is long.

    Signals: ``committed(text)`` after text went to the inserter; ``message(text)`` for the
    one line the window shows ("" hides it); ``candidatesShown(kind)`` after the bar changed.
    """

    committed = Signal(str)
    message = Signal(str)
    status = Signal(str)
    candidatesShown = Signal(str)

    def __init__(
        self,
        pad: Pad,
        bar: CandidateBar,
        service: RecognitionService,
        inserter: Inserter,
        *,
        associations: Associations | None = None,
        auto_commit: str = "off",
        fixed_ms: int = 1000,
        pauses: PauseModel | None = None,
        language: str = "zh",
        parent: QObject | None = None,
        target: Callable[[], int | None] | None = None,
        memory: MemoryStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.memory = memory
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
        self._auto_reading: PadReading | None = None  # what the last auto-commit read
        self._taken_back: PadReading | None = None  # an auto-commit Backspace took back
        self.typed = TypedText()
        self.target: Callable[[], int | None] = target if target is not None else (lambda: None)
        self.forget_after = Delay(FORGET_MS, parent=self)
        self.forget_after.timeout.connect(self._forget)
        self._asked_context: str | None = None  # the context of the latest request
        self._results: tuple[int, list[str]] | None = None
        self._pending_commit: int | None = None
        self._model_message = ""
        self._error_shown = False
        pad.inkChanged.connect(self._on_ink_changed)
        pad.strokeFinished.connect(self._on_stroke_finished)
        pad.strokeStarted.connect(self._on_stroke_started)
        bar.chosen.connect(self._on_chosen)
        service.resultReady.connect(self._on_result)
        service.failed.connect(self._on_failed)
        service.modelFailed.connect(self._on_model_failed)
        service.modelReady.connect(self._on_model_ready)
        self.auto_commit.timeout.connect(self._on_pause)

    # ------------------------------------------------------------------ ink -> engine
    def _on_ink_changed(self) -> None:
        self.auto_commit.stop()
        self.forget_after.start()
        if self.pad.stroke_count == 1:  # a new character: for which window?
            self._follow_target()
        self._ask()
        if self.pad.stroke_count and not self.pad.is_writing():
            # Ink left after an undo commits after the same pause as after a pen-up (issue
            # 23: it used to wait for ever); at a pen-up strokeFinished starts it again.
            self.auto_commit.ms = self.commit_delay_ms()
            self.auto_commit.start()

    def _ask(self) -> None:
        """A new generation: ask the engine about the ink on the pad, after the text now."""
        self.generation += 1
        self._results = None
        strokes = self.pad.strokes()
        if strokes:
            self._asked_context = context = self.typed.text
            self.service.request(self.generation, strokes, context)
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
                self._auto_reading = self.service.reading(generation)
                self._insert(chars[0])
                if not self.pad.stroke_count and self.bar.kind != "candidates":
                    self._show(self.associations.following(self.typed.text), "associations")
                self._typed_changed()
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
            self.message.emit(
                self._model_message or tr("recognize_failed", self.language, reason=reason)
            )

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
            reading = self._reading()
            self.commit(best)
            self._auto_reading = reading
        else:  # the engine has not answered yet: commit its answer when it comes
            self._learn()
            self._confirm_auto()
            self._pending_commit = self.generation
            self.pad.clear()
        self._last_auto = (time.monotonic(), pause)

    def _on_stroke_started(self) -> None:
        self.auto_commit.stop()
        self.forget_after.start()

    def _learn(self) -> None:
        """The pauses inside the character about to be committed teach the commit pause."""
        self.pauses.learn(stroke_pauses(self.pad.strokes()))

    # ------------------------------------------------------------------ commit
    def best(self) -> str | None:
        """The first candidate of the ink on the pad, if the engine has answered for it."""
        if self._results is not None and self._results[0] == self.generation and self._results[1]:
            return self._results[1][0]
        return None

    def _reading(self) -> PadReading | None:
        """What the engine read for the ink on the pad, if it has answered for it."""
        if self._results is None or self._results[0] != self.generation:
            return None
        return self.service.reading(self.generation)

    def _on_chosen(self, text: str) -> None:
        """A cell of the bar was chosen: a candidate picked is learned, then committed."""
        if self.bar.kind == "candidates":
            self._remember_pick(text)
        self.commit(text)

    def _remember_pick(self, char: str) -> None:
        """Issue 28: the memory learns the pick, for the ink on the pad and for an auto-commit
        just taken back whose candidates had ``char`` below the first."""
        back, self._taken_back = self._taken_back, None
        if self.memory is None:
            return
        reading = self._reading()
        chars = [c.char for c in reading.candidates] if reading is not None else []
        if reading is not None and char in chars:
            self.memory.pick(reading, char, chars.index(char))
        chars = [c.char for c in back.candidates] if back is not None else []
        if back is not None and char in chars[1:]:
            self.memory.pick(back, char, chars.index(char))

    def _confirm_auto(self) -> None:
        """The user went on after an auto-commit: its first candidate stands (a pick at rank 0;
        the engine keeps it only where its memory was contested). A Backspace that takes it
        back drops it instead (``_auto_reading = None``)."""
        reading, self._auto_reading = self._auto_reading, None
        if reading is not None and reading.candidates and self.memory is not None:
            self.memory.pick(reading, reading.candidates[0].char, 0)

    def commit(self, text: str) -> None:
        """Send text to the inserter, clear the pad and offer associations for what precedes
        the next character."""
        self._learn()
        self._confirm_auto()
        self._last_auto = self._taken_back = None
        self._insert(text)
        self.pad.clear()
        self._show(self.associations.following(self.typed.text), "associations")
        self._typed_changed()

    def commit_pending(self) -> None:
        """Commit the best candidate of the ink on the pad, if any (before punctuation etc.)."""
        self._commit_best()
        self._typed_changed()

    def _commit_best(self) -> None:
        """Commit the first candidate (punctuation, Enter or Backspace with ink on the pad):
        it stands, as a pick at rank 0 would."""
        best, reading = self.best(), self._reading()
        if best is not None:
            self._learn()
            if reading is not None and self.memory is not None:
                self.memory.pick(reading, best, 0)
            self._insert(best)
            self.pad.clear()
        self._show([], "")

    def type_text(self, text: str) -> None:
        """A quick key (punctuation): commit what is pending, then the mark itself."""
        self._confirm_auto()
        self._commit_best()
        self._last_auto = self._taken_back = None
        self._insert(text)
        self._typed_changed()

    def key_action(self, name: str) -> None:
        """SPACE commits the first candidate (or types a space); BACKSPACE undoes a stroke
        when there is ink, else deletes in the application; ENTER commits, then a newline."""
        if name == SPACE and self.bar.items() and self.bar.kind == "candidates":
            self.bar.choose(0)
            return
        if name == BACKSPACE and self.pad.stroke_count:
            self.pad.undo()
            return
        self._taken_back = None
        if name == BACKSPACE and self._last_auto is not None:
            self._take_back(*self._last_auto)
        if name != BACKSPACE:
            self._confirm_auto()
        self._last_auto = self._auto_reading = None
        self._commit_best()
        try:
            ok = self.inserter.key(KEY_NAMES[name])
        except Exception:
            logger.exception("inserter %s raised", self.inserter.name)
            ok = False
        if not ok:
            self._insert_failed()
        self._follow_target()
        if name == BACKSPACE:  # takes back the last character typed (an auto-commit too)
            self.typed.backspace()
            if self.memory is not None:
                self.memory.backspace()
        else:  # Enter ends the text: the newline is a boundary for the language model
            self.typed.add(" " if name == SPACE else "\n")
            if self.memory is not None:
                self.memory.typed(" " if name == SPACE else "\n")
        self._typed_changed()

    def _take_back(self, at: float, pause: int) -> None:
        """A Backspace just after an auto-commit: the pause was too short ("learn"), and the
        ink it read may be rewritten and picked right (issue 28)."""
        if time.monotonic() - at >= TAKE_BACK_S:
            return
        self._taken_back = self._auto_reading
        if self.mode == "learn":
            self.pauses.too_early(pause)
            logger.info(
                "auto-commit after %d ms taken back: now %d ms", pause, self.commit_delay_ms()
            )

    def _insert(self, text: str) -> None:
        self._follow_target()
        self.typed.add(text)  # even when it failed: the clipboard holds it, to be pasted
        if self.memory is not None:
            self.memory.typed(text)
        try:
            ok = self.inserter.insert(text)
        except Exception:
            logger.exception("inserter %s raised", self.inserter.name)
            ok = False
        if not ok:
            self.message.emit(
                tr("insert_failed", self.language, text=text, mode=self.inserter.name)
            )
        elif text and getattr(self.inserter, "to_clipboard", False):
            self.status.emit(tr("on_clipboard", self.language, text=text))  # issue 23
        self.committed.emit(text)

    # ------------------------------------------------------------------ context
    def _follow_target(self) -> None:
        if self.typed.follow(self.target()):
            logger.info("another window has the focus: the text typed before is forgotten")
            if self.memory is not None:
                self.memory.end_words()

    def _typed_changed(self) -> None:
        """After typing: the pause rule starts again, and ink on the pad that was asked after
        another text is asked again."""
        self.forget_after.start()
        if self.pad.stroke_count and self._asked_context != self.typed.text:
            self._ask()

    def _forget(self) -> None:
        """Long without writing or committing: the text before the cursor is not known."""
        if self.typed.text:
            logger.debug(
                "%d s without writing: the text typed before is forgotten",
                self.forget_after.ms // 1000,
            )
        self.typed.reset()
        if self.memory is not None:
            self.memory.end_words()
        if self.pad.stroke_count and self._asked_context != "":
            self._ask()

    def _insert_failed(self) -> None:
        self.message.emit(tr("key_failed", self.language, mode=self.inserter.name))

    def _show(self, items: list[str], kind: str) -> None:
        self.bar.set_items(items, kind)
        self.candidatesShown.emit(kind)

"""MemoryStore: the user's memory of corrections as the pad keeps it (issue 28).

One file per user (``memory_path``), opened on the recognition worker once the model has
loaded; every read, learn and save runs there too, in order, so the GUI thread never waits on
the disk and a pick is on disk before the next ink is read (a killed pad loses at most the
last pick). Off (``Settings.learn_handwriting``): nothing is learned, read or written.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ime.settings import ENV_PATH

if TYPE_CHECKING:
    import numpy as np

    from engine.ink import Ink
    from engine.memory import UserMemory
    from ime.recognition import PadReading

logger = logging.getLogger(__name__)

#: Overrides where the memory lives (tests, portable installs), as XIEZI_SETTINGS does.
ENV_MEMORY = "XIEZI_MEMORY"
#: The user's words are learned a run of typed text at a time (so its pairs count), at the
#: latest once the run is this long (engine.user_words).
WORDS_BATCH = 32
#: What the engine names a memory file it kept aside (engine.memory.UserMemory.open).
ASIDE = {".damaged": "memory_damaged", ".old-model": "memory_restarted"}

#: Runs fn on the worker, then done(result) on the GUI thread (RecognitionService.run).
Run = Callable[[Callable[[], object], Callable[[object], None]], None]


def memory_file_name() -> str:
    """The memory's file name, as the engine names it."""
    from engine.memory import DEFAULT_FILE_NAME

    return str(DEFAULT_FILE_NAME)


def memory_path(settings_path: Path | None = None) -> Path:
    """Where the user's memory is kept: $XIEZI_MEMORY; else beside a settings file chosen with
    ``--settings`` or $XIEZI_SETTINGS (a profile of its own: its pad, its settings, its
    memory; what keeps tests away from the real one); else in platformdirs' user data folder
    for xiezi (``~/.local/share/xiezi`` on Linux)."""
    env = os.environ.get(ENV_MEMORY)
    if env:
        return Path(env)
    chosen = settings_path if settings_path is not None else os.environ.get(ENV_PATH) or None
    if chosen is not None:
        return Path(chosen).parent / memory_file_name()
    import platformdirs

    return Path(platformdirs.user_data_dir("xiezi")) / memory_file_name()


class MemoryStore:
    """The pad's handle on the user's ``engine.memory.UserMemory``.

    Methods without a leading underscore are called on the GUI thread and queue their work
    with ``run`` (the recognition worker); ``tell(text)`` shows a line on the pad (a notice
    from opening the file, a save that failed). ``active()`` is what each read ranks with.

    ``state``: "off" (the user turned learning off), "waiting" (on, the model not loaded
    yet), "ready", "no_embedding" (the model has no embedding output: nothing to compare
    inks by), "no_model" (the model did not load) or "failed" (the file could not be opened;
    the log says why).
    """

    def __init__(
        self,
        path: Path,
        run: Run,
        tell: Callable[[str], None] = lambda text: None,
        enabled: bool = True,
        language: str = "en",
    ) -> None:
        self.path = path
        self._run = run
        self.tell = tell
        self.language = language
        self.enabled = enabled
        self.state = "waiting" if enabled else "off"
        self._memory: UserMemory | None = None
        self._recognizer: Callable[[], Any] = lambda: None
        self._words = ""  # typed since the words were last learned (GUI thread)
        self._before = ""  # what those words came after ("": a text's start)
        self._unsaved = False  # words learned since the last save (worker)
        self._save_failed = False

    # ------------------------------------------------------------------ GUI thread
    def open(self, recognizer: Callable[[], Any]) -> None:
        """Open the file on the worker once the recognizer (``recognizer()`` there) is
        loaded; nothing happens while learning is off."""
        self._recognizer = recognizer
        if self.enabled:
            self._queue(self._open)

    def set_enabled(self, on: bool) -> None:
        """Learning on or off: off drops the memory and the words not learned yet; on opens
        the file again."""
        if on == self.enabled:
            return
        self.enabled, self._words, self._before = on, "", ""
        if on:
            self.state = "waiting"
            self._queue(self._open)
        else:
            self.state = "off"
            self._queue(self._close)

    def pick(self, reading: PadReading, char: str, rank: int) -> None:
        """The user picked ``char`` for the ink of ``reading``, where it stood at ``rank``
        among the candidates (0 = first)."""
        if self.enabled and reading.embedding is not None:
            embedding, ink = reading.embedding, reading.ink
            self._queue(lambda: self._learn(char, embedding, ink, rank))

    def typed(self, text: str) -> None:
        """Text the pad typed (a character, a mark, " ", "\\n"): the user's words."""
        if self.enabled:
            self._words += text
            if len(self._words) >= WORDS_BATCH:
                self._learn_words(then=self._words[-1:])

    def backspace(self) -> None:
        """A Backspace took the last character typed back: it is not the user's word."""
        if not self._words:
            self._before = ""  # what it took back was learned already: no pair across it
        self._words = self._words[:-1]

    def end_words(self) -> None:
        """The run of text ends (another window, a long pause, the pad quits): learn it; what
        comes next starts a text of its own."""
        self._learn_words(then="")

    def _learn_words(self, then: str) -> None:
        """Learn the run typed so far after the text before it; ``then``: what the next run
        comes after (its last character, or "" for a new text)."""
        text, before = self._words, self._before
        self._words, self._before = "", then
        if self.enabled and text.strip():
            self._queue(lambda: self._learn_text(text, before))

    def forget(self, done: Callable[[], None] = lambda: None) -> None:
        """Forget everything: the memory in RAM and its file (and a damaged one kept aside);
        ``done()`` after it, on the GUI thread."""
        self._words = self._before = ""
        self._run(self._forget, lambda message: self._told(message, done))

    def flush(self) -> None:
        """Learn and save what is not saved yet (the pad quits)."""
        self.end_words()
        self._queue(lambda: self._save() if self._unsaved else None)

    def characters(self) -> int | None:
        """How many characters the memory knows; None when it is not open."""
        memory = self._memory
        return memory.characters() if memory is not None else None

    def _queue(self, fn: Callable[[], str | None]) -> None:
        self._run(fn, self._told)

    def _told(self, message: object, then: Callable[[], None] | None = None) -> None:
        if isinstance(message, str) and message:
            self.tell(message)
        if then is not None:
            then()

    # ------------------------------------------------------------------ worker
    def active(self) -> UserMemory | None:
        """The memory the engine ranks with (None when off or not open)."""
        return self._memory if self.enabled else None

    def _open(self) -> str | None:
        if not self.enabled or self._memory is not None:
            return None
        r = self._recognizer()
        if r is None:
            self.state = "no_model"
            return None
        if not getattr(r, "has_embedding", False):
            self.state = "no_embedding"
            logger.info("the model has no embedding output: the user's memory is off")
            return None
        from engine.memory import UserMemory

        before = {suffix: _stamp(self._aside(suffix)) for suffix in ASIDE}
        try:
            memory, notice = UserMemory.open(self.path, r.package.sha256, embed=embedder(r))
        except Exception:  # the pad goes on without a memory
            logger.exception("cannot open the user's memory %s", self.path)
            self.state = "failed"
            return None
        self._memory, self.state = memory, "ready"
        logger.info(
            "user's memory %s: %d inks, %d characters", self.path, len(memory), memory.characters()
        )
        if not notice:
            return None
        logger.warning("user's memory %s: %s", self.path, notice)
        return self._describe_notice(before, len(memory))

    def _aside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    def _describe_notice(self, before: dict[str, object], inks: int) -> str:
        """The engine's notice in the pad's language (issue 23: its English goes to the log),
        told apart by the file the engine kept aside, if any."""
        from ime.i18n import tr

        for suffix, key in ASIDE.items():
            aside = self._aside(suffix)
            if _stamp(aside) not in (None, before[suffix]):
                return tr(key, self.language, path=self.path, aside=aside)
        if inks:
            return tr("memory_reread", self.language, n=inks)
        return tr("memory_unreadable", self.language, path=self.path)

    def _close(self) -> None:
        if self._memory is not None and self._unsaved:
            self._save()
        self._memory = None

    def _learn(self, char: str, embedding: np.ndarray, ink: Ink | None, rank: int) -> str | None:
        if self._memory is None or not self.enabled:
            return None
        from engine.errors import EngineError

        try:
            self._memory.learn(char, embedding, ink, rank)
        except (ValueError, EngineError) as e:  # a pick the memory refuses: not learned
            logger.warning("the user's memory did not learn %r: %s", char, e)
            return None
        return self._save()

    def _learn_text(self, text: str, before: str) -> str | None:
        if self._memory is None or not self.enabled:
            return None
        self._memory.learn_text(text, before)
        self._unsaved = True
        return self._save()

    def _save(self) -> str | None:
        """Write the memory (atomically, mode 0600); a failure is said once, then logged."""
        if self._memory is None:
            return None
        try:
            self._memory.save(self.path)
        except Exception as e:  # noqa: BLE001 - OSError or the engine's: the pad goes on
            logger.warning("cannot save the user's memory to %s: %s", self.path, e)
            if self._save_failed:
                return None
            self._save_failed = True
            from ime.i18n import tr

            return tr("memory_save_failed", self.language, path=self.path)
        self._unsaved = self._save_failed = False
        return None

    def _forget(self) -> None:
        if self._memory is not None:
            self._memory.forget()
        self._unsaved = False
        for p in [self.path, *(self._aside(suffix) for suffix in ASIDE)]:
            try:
                p.unlink(missing_ok=True)
            except OSError as e:
                logger.warning("cannot delete %s: %s", p, e)


def _stamp(path: Path) -> object:
    """What tells a file written since from the one there before: (inode, mtime), or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def embedder(r: Any) -> Callable[[Sequence[Ink]], np.ndarray]:
    """The embedding of stored inks by the model now loaded (the memory re-embeds its inks
    when the model changed)."""

    def embed(inks: Sequence[Ink]) -> np.ndarray:
        if hasattr(r, "embed"):  # batched: 3000 inks in about 1.3 s, not 3-5 s
            return r.embed(inks)  # type: ignore[no-any-return]
        import numpy as np

        return np.stack([r.read(ink, 1).embedding for ink in inks])

    return embed

"""``xiezi``: start the writing pad. ``main(argv=None) -> int``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ime import preflight
from ime.i18n import resolve_language, tr
from ime.qt import QApplication, QMessageBox, Qt, QTimer

if TYPE_CHECKING:
    from engine.ink import Ink
    from engine.protocol import InkRecognizer as Recognize
    from ime.ibus.link import IBusLink
    from ime.insert import Inserter
    from ime.instance import Instance
    from ime.window import MainWindow

logger = logging.getLogger(__name__)

_T0 = time.perf_counter()


class _Parser(argparse.ArgumentParser):
    """argparse in the user's language: its headings, --help and the frame of its errors
    (issue 23; argparse's own detail, e.g. "invalid choice", stays English)."""

    def __init__(self, lang: str, **kwargs: object) -> None:
        self.lang = lang

        class Formatter(argparse.RawDescriptionHelpFormatter):
            def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
                super().add_usage(usage, actions, groups, prefix or tr("cli_usage", lang))

        super().__init__(formatter_class=Formatter, add_help=False, **kwargs)  # type: ignore[arg-type]
        self._optionals.title = tr("cli_options", lang)
        self.add_argument("-h", "--help", action="help", help=tr("cli_help", lang))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, tr("cli_error", self.lang, prog=self.prog, message=message) + "\n")


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The command line of ``xiezi``, its help in ``lang`` (default: the system's language)."""
    from ime.insert import MODES

    lang = lang or resolve_language("auto")
    p = _Parser(
        lang, prog="xiezi", description=tr("cli_description", lang), epilog=tr("cli_epilog", lang)
    )
    p.add_argument("--model", type=Path, help=tr("cli_model", lang))
    p.add_argument("--settings", type=Path, help=tr("cli_settings", lang))
    p.add_argument("--insert", choices=MODES, help=tr("cli_insert", lang))
    p.add_argument("-v", "--verbose", action="store_true", help=tr("cli_verbose", lang))
    # For bench/bench_pad.py: print "painted <ms since start>" at the first paint, then quit.
    p.add_argument("--exit-after-paint", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-tray", action="store_true", help=tr("cli_no_tray", lang))
    # Issue 26: Xiezi as an IBus input method (ime/ibus/).
    p.add_argument("--install-ibus", action="store_true", help=tr("cli_install_ibus", lang))
    p.add_argument("--uninstall-ibus", action="store_true", help=tr("cli_uninstall_ibus", lang))
    p.add_argument("--system", action="store_true", help=tr("cli_system", lang))
    return p


def make_inserter(mode: str) -> Inserter:
    """The insert helper's chain for mode; an unknown mode falls back to "auto"."""
    from ime.insert import choose_inserter

    try:
        return choose_inserter(mode)
    except ValueError as e:
        logger.warning("%s; using auto", e)
        return choose_inserter("auto")


def model_factory(path: Path | None) -> Callable[[], Recognize]:
    """A function that builds the recognizer and runs it once; run on the worker thread, so
    onnxruntime is imported and the model loaded there while the window paints."""

    def build() -> Recognize:
        from engine.recognizer import Recognizer

        r = Recognizer(path) if path is not None else Recognizer.default()
        r.recognize(warmup_ink(), 1)  # loads the lazy model (and fails here if it cannot)
        return r

    return build


def warmup_ink() -> Ink:
    from engine.ink import make_ink

    return make_ink([[[0, 0, 0], [10, 10, 16], [20, 0, 32]]])


def create(
    argv: list[str] | None = None,
) -> tuple[QApplication, MainWindow, argparse.Namespace]:
    """Parse arguments and build the window; the model starts loading at its first paint.
    Does not show the window or run the event loop."""
    from ime.associations import Associations
    from ime.i18n import install_qt_translator
    from ime.memory_store import MemoryStore, memory_path
    from ime.recognition import RecognitionService
    from ime.settings import default_path, read_settings_file
    from ime.window import MainWindow

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    found = read_settings_file(args.settings)  # never blocks; says what it found (issue 22)
    settings = found.settings
    lang = resolve_language(settings.language)  # what goes wrong next is said in it too
    existing = QApplication.instance()
    if not isinstance(existing, QApplication):
        problem = preflight.before_qt(lang=lang)  # Qt would abort (exit 134) without these
        if problem is not None:
            raise StartError(problem, lang)
    app = existing if isinstance(existing, QApplication) else QApplication(["xiezi"])  # WM_CLASS
    instance = None
    if existing is None:  # a process of its own (tests that embed the pad are not one)
        instance = claim_instance(args.settings or default_path(), lang)
        instance.setParent(app)
    install_qt_translator(lang)
    problem = preflight.check_font(font_sample(), lang)
    if problem is not None:
        raise StartError(problem, lang)
    mode = args.insert or settings.insert_mode
    service = RecognitionService()
    memory = MemoryStore(
        memory_path(args.settings),
        service.run,
        enabled=settings.learn_handwriting,
        language=lang,
    )
    service.memory = memory.active
    link = ibus_link(app)
    inserters = make_inserter if link is None else with_ibus(link)
    window = MainWindow(
        settings,
        service,
        inserters(mode),
        Associations.lazy(),
        settings_path=args.settings,
        make_inserter=inserters,
        tray=not args.no_tray,
        settings_read=found,
        memory=memory,
    )
    if instance is not None:
        instance.show.connect(window.bring_forward)
        if link is not None:  # the IBus engine starts a pad: this one, if it runs already
            instance.show.connect(link.connect_now)
    if link is not None:  # switching to Xiezi shows the pad, away hides it (issue 26)
        link.shown.connect(lambda on: window.bring_forward() if on else window.hide())
    if window.tray is not None:
        app.setQuitOnLastWindowClosed(False)
    window.show_message(tr("loading_model", lang))

    def load() -> None:  # after the first paint: importing onnxruntime holds the GIL a while
        window.bar.painted.disconnect(load)
        service.load(model_factory(args.model))
        service.run(window.controller.associations.load)  # the language model, for 联想 too
        memory.open(lambda: service.recognizer)  # the user's memory (issue 28), if on

    window.bar.painted.connect(load)
    return app, window, args


def ibus_link(parent: QApplication) -> IBusLink | None:
    """The pad's end of Xiezi's IBus engine (issue 26), where IBus can run (not Windows or
    macOS); it connects whenever the engine's socket appears."""
    if sys.platform in ("win32", "darwin"):
        return None
    from ime.ibus.link import IBusLink

    return IBusLink(parent=parent)


def with_ibus(link: IBusLink) -> Callable[[str], Inserter]:
    """``make_inserter`` with IBus first: commits go through Xiezi's IBus engine while it is
    the active input method, else through the chain as before."""
    from ime.ibus.inserter import IBusInserter

    return lambda mode: IBusInserter(link, make_inserter(mode))


def claim_instance(settings: Path, lang: str) -> Instance:
    """Become the pad of this user, display and settings file; raises AlreadyRunning after
    bringing the running one forward (issue 23)."""
    from ime.instance import Instance, ask_running, server_name

    name = server_name(settings)
    if ask_running(name):
        raise AlreadyRunning(lang)
    instance = Instance(name)
    instance.listen()
    return instance


class AlreadyRunning(Exception):
    """A pad runs already for this user and display; it was asked to come forward."""

    def __init__(self, lang: str) -> None:
        super().__init__("xiezi is already running")
        self.lang = lang


class StartError(Exception):
    """The pad cannot start here; ``problem`` says what is missing and how to install it."""

    def __init__(self, problem: preflight.Problem, lang: str = "en") -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.lang = lang


def font_sample() -> str:
    """Characters a usable font must draw: every 25th of the charset and the interface's."""
    from engine.resources import resource_path

    try:
        charset = resource_path("charsets", "gb2312_level1.txt").read_text(encoding="utf-8")
    except OSError:
        charset = ""
    return "".join(charset.split())[::25] + "写字撤销清除设置退格回车，。"


def report(problem: preflight.Problem, lang: str = "en") -> None:
    """Say what is missing: on stderr, and in a message box when Qt runs on a screen."""
    print(problem.message, file=sys.stderr)
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.platformName() not in preflight.HEADLESS:
        problem_box(problem, lang).exec()


def problem_box(problem: preflight.Problem, lang: str) -> QMessageBox:
    """The message box for ``problem``: rich text, so the commands keep their columns and a
    package name is never broken (issue 23)."""
    box = QMessageBox(QMessageBox.Icon.Critical, tr("start_failed_title", lang), "")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(problem.html())
    return box


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if "--install-ibus" in words or "--uninstall-ibus" in words:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:
            return int(e.code or 0)
        from ime.ibus.install import run

        return run(install_it=args.install_ibus, system=args.system)
    try:
        app, window, args = create(argv)
    except SystemExit as e:  # argparse: --help or a usage error, already printed
        return int(e.code or 0)
    except StartError as e:
        report(e.problem, e.lang)
        return e.problem.exit_code
    except AlreadyRunning as e:
        logger.info("a pad is running already: brought it forward")
        print(tr("already_running", e.lang), flush=True)
        return 0
    if args.exit_after_paint:

        def painted() -> None:
            print(f"painted {1000 * (time.perf_counter() - _T0):.1f}", flush=True)
            QTimer.singleShot(0, app.quit)

        window.bar.painted.connect(painted)
    window.show()
    rc = app.exec()
    window.controller.service.wait(2000)
    return int(rc)


if __name__ == "__main__":
    sys.exit(main())

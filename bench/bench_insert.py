"""Time from commit to the text arriving in an X11 text field (Xvfb), per insertion mode.

    .venv/bin/python bench/bench_insert.py [--n 20] [--text 中文，你好]

Starts a private Xvfb and a QLineEdit in its own process (tests/support/field_app.py),
which timestamps every change with time.monotonic() (the system-wide clock). For each mode it
clears the field, commits the text, and takes the field's timestamp of the moment it held the
whole text minus the moment insert() was called. Reports the median and the range.

Modes: XTest with the default key delay (12 ms) and with none; "warm" keeps the keysym
remapping between commits (as when writing steadily), "cold" waits for the restore first so
each commit remaps; paste mode (xclip); and the whole pad: a real click on a candidate of
ime.window.MainWindow in its own process, timed from its insert() call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root

from ime.insert import InsertConfig, choose_inserter
from ime.insert.clipboard import default_clipboard
from ime.insert.x11 import X11Inserter
from tests.support.xharness import App, Xvfb, click, start_field, start_pad


class Timers:
    def __init__(self) -> None:
        self.timers: list[threading.Timer] = []

    def __call__(self, delay_s: float, fn: Callable[[], None]) -> None:
        t = threading.Timer(delay_s, fn)
        t.start()
        self.timers.append(t)

    def join(self) -> None:
        for t in self.timers:
            t.join()
        self.timers.clear()


def clear(field: App) -> None:
    field.send("clear")
    field.wait_for(lambda s: s["text"] == "")


def measure(
    field: App,
    insert: Callable[[str], bool],
    text: str,
    n: int,
    between: Callable[[], None] = lambda: None,
) -> list[float]:
    """Milliseconds from insert() to the field holding ``text``, ``n`` times."""
    out = []
    for _ in range(n):
        clear(field)
        between()
        t0 = time.monotonic()
        if not insert(text):
            raise RuntimeError("insert() returned False")
        arrived = field.wait_for(lambda s: s["text"] == text)["t"]
        out.append(1000 * (arrived - t0))
    return out


def measure_pad(xvfb: Xvfb, field: App, text: str, n: int) -> list[float]:
    pad = start_pad(xvfb, "x11", text)
    out = []
    try:
        cell = pad.query()["cell"]
        for i in range(n):
            clear(field)
            # The first candidate is shown again after each commit (associations replace it).
            pad.send("reset")
            click(xvfb.display, *cell)
            state = field.wait_for(lambda s: s["text"] == text)
            started = pad.wait_for(lambda s, i=i: len(s["insert_t"]) > i)["insert_t"][i]
            out.append(1000 * (state["t"] - started))
    finally:
        pad.close()
    return out


def report(name: str, ms: list[float], text: str) -> None:
    med = statistics.median(ms)
    print(
        f"{name:<42} median {med:7.1f} ms  min {min(ms):7.1f}  max {max(ms):7.1f}  "
        f"({med / len(text):.1f} ms/char, n={len(ms)})"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20, help="commits per mode")
    p.add_argument("--text", default="中文，你好")
    args = p.parse_args(argv)
    xvfb = Xvfb()
    field = start_field(xvfb)
    try:
        print(
            f"Xvfb {xvfb.display}; text {args.text!r} ({len(args.text)} chars); "
            f"time.monotonic() from insert() to the field's textChanged"
        )
        for delay in (InsertConfig().key_delay_s, 0.0):
            timers = Timers()
            cfg = InsertConfig(key_delay_s=delay, restore_after_s=0.2)
            ins = X11Inserter(cfg, display=xvfb.display, schedule=timers)
            ms = measure(field, ins.insert, args.text, args.n)
            report(f"XTest, key delay {delay * 1000:.0f} ms, warm", ms, args.text)
            ms = measure(field, ins.insert, args.text, args.n, between=timers.join)
            report(f"XTest, key delay {delay * 1000:.0f} ms, cold (remap)", ms, args.text)
            ins.close()
        env = xvfb.env()
        clip = default_clipboard(env, qt=False)
        if clip.name == "xclip":
            timers = Timers()
            paste = choose_inserter(
                "x11-paste",
                config=InsertConfig(restore_after_s=0.2),
                clipboard=clip,
                environ=env,
                schedule=timers,
            )
            report(
                "paste mode (xclip, Ctrl+V)",
                measure(field, paste.insert, args.text, args.n, between=timers.join),
                args.text,
            )
        else:
            print("paste mode: skipped (xclip not installed)")
        report(
            "pad click → field (XTest, default delay)",
            measure_pad(xvfb, field, args.text, args.n),
            args.text,
        )
    finally:
        field.close()
        xvfb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pad as a process of its own with a fresh HOME (issue 28): a pick lands in Xiezi's data
folder (``~/.local/share/xiezi/memory.npz``, 0600) and nowhere else under HOME, survives the
pad being killed right after it, and the next pad reads the same ink as the character picked."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.support.pad_process import ROOT, needs_model, run_python

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    needs_model,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders"),
]

#: The pad as ``xiezi`` builds it, offscreen; writes 中's stroke medians with real mouse
#: events once the model is loaded, prints the candidates, picks argv[1] (a cell of the bar,
#: or -1: none) and is then killed (SIGKILL) as soon as the worker is idle.
PAD = """
import os, signal, sys
from ime.app import create
from ime.qt import QTimer
from tests.ime.pad_drawing import draw_stroke, pixel_path
from trainer.data.templates import load_templates
app, window, args = create(["--no-tray", "--insert", "clipboard"])
window.controller.associations.load = lambda: False
service = window.controller.service
cell = int(sys.argv[1])
def write():
    side = min(window.pad.width(), window.pad.height())
    for s in load_templates().strokes("中"):
        draw_stroke(window.pad, pixel_path(20 + s * (side - 40)), delay_ms=0)
def shown(generation, candidates):
    if generation != window.controller.generation or window.pad.stroke_count < 4:
        return
    print("candidates", "".join(c.char for c in candidates), flush=True)
    if cell >= 0:
        QTimer.singleShot(0, lambda: window.bar.choose(cell))
    QTimer.singleShot(50, die)
def die():
    service.wait(10000)
    print("path", window.memory.path, window.memory.state, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
service.resultReady.connect(shown)
service.modelReady.connect(lambda: QTimer.singleShot(0, write))
QTimer.singleShot(60000, lambda: os._exit(7))
window.show()
app.exec()
"""


def fresh_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("XDG_") and k not in ("XIEZI_SETTINGS", "XIEZI_MEMORY")
    }
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return env


def shown_lines(stdout: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in stdout.splitlines() if " " in line)


def run_pad(home: Path, cell: int) -> dict[str, str]:
    done = run_python(["-c", PAD, str(cell)], fresh_env(home), timeout_s=120)
    assert done.returncode == -9, done.stdout + done.stderr[-3000:]  # killed, as planned
    lines = shown_lines(done.stdout)
    assert "candidates" in lines and "path" in lines, done.stdout + done.stderr[-3000:]
    return lines


def test_a_pick_lands_in_the_data_folder_and_survives_a_killed_pad(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first = run_pad(home, cell=1)
    data = home / ".local" / "share" / "xiezi"
    assert first["path"] == f"{data / 'memory.npz'} ready"
    memory = data / "memory.npz"
    assert stat.S_IMODE(os.stat(memory).st_mode) == 0o600
    created = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    own = (".local/share/xiezi/", ".config/xiezi/", ".cache/xiezi/")
    assert [p for p in created if not p.startswith(own)] == [], created
    second = run_pad(home, cell=-1)
    assert second["candidates"][0] == first["candidates"][1], (first, second)


def test_under_strace_a_pick_writes_only_in_xiezis_folders(tmp_path: Path) -> None:
    """Every file the pad opens to write while it learns a pick (the atomic save's temporary
    file included) is in Xiezi's own folders under HOME, and it reaches no other machine."""
    from tests.support.observe import observe, strace_problem

    problem = strace_problem()
    if problem is not None:
        pytest.skip(f"needs strace: {problem}")
    home = tmp_path / "home"
    home.mkdir()
    seen = observe([sys.executable, "-c", PAD, "1"], fresh_env(home), ROOT, timeout_s=180)
    assert seen.returncode == -9 and not seen.timed_out, seen.stdout + seen.stderr[-3000:]
    assert "ready" in shown_lines(seen.stdout).get("path", ""), seen.stdout
    assert seen.problems(home) == []
    data = home / ".local" / "share" / "xiezi"
    created = seen.created_under(home)
    own = [data, home / ".config" / "xiezi", home / ".cache" / "xiezi"]
    outside = [
        p for p in created if not any(Path(p).is_relative_to(o) or o.is_relative_to(p) for o in own)
    ]  # a folder above Xiezi's, made for it, is no file of another program
    assert outside == [] and data / "memory.npz" in [Path(p) for p in created], created

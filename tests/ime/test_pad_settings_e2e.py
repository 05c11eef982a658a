"""The pad as a process with a FIFO or a device node as its settings file (issue 22): it
starts, says so, and renames, truncates or writes nothing there, not even when it saves."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from special_files import SPECIAL, snapshot

from tests.support.pad_process import pad_args, run_python

KINDS = [
    "fifo",
    "char device (copy of /dev/null)",
    "char device (copy of /dev/zero)",
    "symlink to a fifo",
]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home")}
    # A FIFO that blocked open() would hang here: the timeout fails the test instead.
    return run_python(args, env, timeout_s=60)


def _special_settings(tmp_path: Path, kind: str) -> tuple[Path, Path, dict[str, tuple[int, ...]]]:
    """A folder, its settings.json made a ``kind`` special file, and the folder's snapshot."""
    folder = tmp_path / "config"
    folder.mkdir()
    path = folder / "settings.json"
    SPECIAL[kind](path)
    return folder, path, snapshot(folder)


@pytest.mark.gui
@pytest.mark.parametrize("kind", KINDS)
def test_the_pad_starts_and_renames_nothing(tmp_path: Path, kind: str) -> None:
    folder, path, before = _special_settings(tmp_path, kind)
    done = _run(
        ["-m", "ime.app", *pad_args(path, tmp_path / "none.xiezi"), "--exit-after-paint"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "painted" in done.stdout
    assert "not a regular file" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(folder) == before


@pytest.mark.gui
@pytest.mark.parametrize("kind", KINDS[:2])
def test_the_pad_that_saves_and_quits_writes_nothing_there(tmp_path: Path, kind: str) -> None:
    """The dialog's new settings and the window's place on quit are refused, with a notice."""
    folder, path, before = _special_settings(tmp_path, kind)
    code = (
        "import sys\n"
        "from ime.app import create\n"
        "from ime.qt import QTimer\n"
        "from ime.settings import Settings\n"
        f"app, w, _ = create({pad_args(path, tmp_path / 'none.xiezi')!r})\n"
        "def change():\n"
        "    w.apply_settings(Settings(pad_size=300, language='en'))\n"
        "    print('NOTICE', w._notice, flush=True)\n"
        "    w.close()\n"
        "w.show(); QTimer.singleShot(200, change); QTimer.singleShot(20000, lambda: app.exit(7))\n"
        "sys.exit(app.exec())\n"
    )
    done = _run(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "NOTICE Settings not saved." in done.stdout and str(path) in done.stdout
    assert "Traceback" not in done.stderr
    assert snapshot(folder) == before

"""An installed Xiezi (a wheel, as pipx installs it) finds its bundled model and data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = "model/xiezi-gb1.xiezi"
BUNDLED = ("charsets/gb2312_level1.txt", "templates/medians.npz", "lm/lm.npz", MODEL)
needs_model = pytest.mark.skipif(
    not (ROOT / "resources" / MODEL).is_file(),
    reason="no bundled model in this checkout yet (trainer build --preset full)",
)


_IGNORED_EVERYWHERE = shutil.ignore_patterns(
    ".git", ".venv*", "*.egg-info", "__pycache__", ".*_cache"
)
#: Build outputs at the root only: trainer/build/ is a package.
_IGNORED_AT_ROOT = {"build", "dist", "runs"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    ignored = set(_IGNORED_EVERYWHERE(folder, names))
    if Path(folder) == ROOT:
        ignored |= _IGNORED_AT_ROOT & set(names)
    return ignored


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build from a clean copy: a stale build/ folder in the checkout would fill the wheel
    # with packages pyproject no longer (or never) lists.
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("xiezi-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return site


def run_installed(
    site: Path, cwd: Path, args: list[str], input: str | None = None, timeout: int = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` with only the extracted wheel ``site`` added to the import path."""
    return subprocess.run(
        [sys.executable, *args],
        input=input,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(site), **env},
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_wheel_carries_every_bundled_resource(site: Path) -> None:
    for name in BUNDLED:
        if name == MODEL and not (ROOT / "resources" / MODEL).is_file():
            continue
        packed, source = site / "xiezi_resources" / name, ROOT / "resources" / name
        assert packed.read_bytes() == source.read_bytes(), name


@pytest.mark.slow
def test_wheel_carries_every_python_package(site: Path) -> None:
    for top in ("engine", "trainer", "ime"):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(ROOT)
            assert (site / rel).is_file(), f"{rel.parent} is missing from the wheel (pyproject)"


@pytest.mark.slow
def test_installed_pad_and_trainer_modules_import(site: Path, tmp_path: Path) -> None:
    done = run_installed(
        site,
        tmp_path,
        [
            "-c",
            (
                "import ime.app, ime.insert, trainer.cli, trainer.data.synth, "
                "trainer.build.pipeline; ime.app.build_parser()"
            ),
        ],
        timeout=120,
        QT_QPA_PLATFORM="offscreen",
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@needs_model
def test_installed_engine_recognizes_with_the_bundled_model(site: Path, tmp_path: Path) -> None:
    where = run_installed(
        site,
        tmp_path,
        [
            "-c",
            (
                "import engine, engine.resources as r; "
                "print(engine.__file__); "
                "print(r.resource_path(*r.DEFAULT_MODEL))"
            ),
        ],
        OMP_WAIT_POLICY="PASSIVE",
    )
    assert where.returncode == 0, where.stderr
    engine_file, model = where.stdout.split()
    assert engine_file.startswith(str(site)) and model.startswith(str(site))
    ink = {"strokes": [[[10, 50, 0], [90, 50, 120]]]}  # 一
    done = run_installed(
        site,
        tmp_path,
        ["-m", "engine", "recognize", "-", "-n", "5"],
        input=json.dumps(ink),
        timeout=120,
        OMP_WAIT_POLICY="PASSIVE",
    )
    assert done.returncode == 0, done.stderr
    candidates = json.loads(done.stdout)["candidates"]
    assert len(candidates) == 5 and all(len(c) == 2 and len(c[0]) == 1 for c in candidates)

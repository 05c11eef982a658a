"""Issue 17 item 4: two clean builds, and a killed-and-resumed one, are bit-identical.

Before the fix the baseline was made before any seeding, so its initial weights (and every
package after it) differed between builds. A tiny build with a few steps per stage.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from trainer import checkpoint as ck
from trainer.build.pipeline import build
from trainer.build.presets import STAGES, BuildConfig, preset
from trainer.data.feed import StreamSource

pytestmark = pytest.mark.slow


def small() -> BuildConfig:
    cfg = preset("tiny").with_steps(baseline=6, svd=3, prune=3, quant=3)
    return replace(
        cfg,
        latency_runs=1,
        baseline=replace(cfg.baseline, checkpoint_every=2),
        prune=replace(cfg.prune, checkpoint_every=1),
        quant=replace(cfg.quant, checkpoint_every=1),
    )


class CrashingSource(StreamSource):
    """The real data, but the training stream raises after ``crash_after`` batches."""

    def __init__(self, config: Any, crash_after: int) -> None:
        super().__init__(config)
        self.left = crash_after

    def stream(self, rank: int, world_size: int, start_batch: int) -> Any:
        for item in super().stream(rank, world_size, start_batch):
            if self.left == 0:
                raise RuntimeError("simulated crash")
            self.left -= 1
            yield item


def same_build(a: Path, b: Path) -> None:
    name = preset("tiny").package_name
    for stage in STAGES:
        sa, sb = (ck.read_checkpoint(p / stage / "final.pt")["model"] for p in (a, b))
        assert sa.keys() == sb.keys()
        assert all(torch.equal(sa[k], sb[k]) for k in sa), stage
    assert (a / name).read_bytes() == (b / name).read_bytes()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    build(small(), out, threads=1, progress=False)
    return out


def test_two_clean_builds_are_bit_identical(clean: Path, tmp_path: Path) -> None:
    torch.manual_seed(12345)  # whatever the process did before must not matter
    build(small(), tmp_path, threads=1, progress=False)
    same_build(clean, tmp_path)


def test_a_killed_and_resumed_build_is_bit_identical(clean: Path, tmp_path: Path) -> None:
    cfg = small()
    with pytest.raises(RuntimeError, match="simulated crash"):  # in the baseline, after step 2
        build(cfg, tmp_path, threads=1, progress=False, source=CrashingSource(cfg.data, 3))
    assert (tmp_path / "baseline" / ck.LAST).is_file()
    assert not (tmp_path / "baseline" / "final.pt").exists()
    torch.manual_seed(999)
    result = build(cfg, tmp_path, threads=1, progress=False)
    assert result.skipped == ["data"] and "baseline" in result.ran
    same_build(clean, tmp_path)


@pytest.mark.parametrize(("stage", "batches"), [("prune", 6 + 3 + 1), ("quant", 6 + 3 + 3 + 1)])
def test_a_build_killed_while_pruning_or_sharing_resumes_bit_identical(
    clean: Path, tmp_path: Path, stage: str, batches: int
) -> None:
    # the masks and the shared weights are parametrizations: a resumed stage puts them back
    # from the pass's saved state over the checkpoint's plain weights
    cfg = small()
    with pytest.raises(RuntimeError, match="simulated crash"):  # after one step of the stage
        build(cfg, tmp_path, threads=1, progress=False, source=CrashingSource(cfg.data, batches))
    assert ck.read_checkpoint(tmp_path / stage / ck.LAST)["step"] == 1
    result = build(cfg, tmp_path, threads=1, progress=False)
    assert stage in result.ran
    same_build(clean, tmp_path)


def test_packages_written_from_reloaded_checkpoints_are_the_same_bytes(
    clean: Path, tmp_path: Path
) -> None:
    """Issue 27 item 6: a build stopped after its last stage's final.pt but before its packages
    writes them from reloaded checkpoints; removing a parametrization moves a parameter to the
    end of its module, so the initializers came out in another order than from the model in
    memory. The same bytes either way."""
    import shutil

    shutil.copytree(clean, tmp_path / "b")
    b = tmp_path / "b"
    shutil.rmtree(b / "packages")
    (b / preset("tiny").package_name).unlink()
    result = build(small(), b, threads=1, progress=False)
    assert "package" in result.ran
    same_build(clean, b)

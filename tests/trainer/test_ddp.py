"""Two CPU processes train one model with DistributedDataParallel (gloo), and resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from train_fakes import ddp_entry

from trainer.checkpoint import read_checkpoint
from trainer.metrics import read_metrics

pytestmark = [pytest.mark.torch, pytest.mark.slow]


def test_two_ranks_train_disjoint_data_to_identical_weights(tmp_path: Path) -> None:
    ctx = mp.spawn(ddp_entry, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=False)
    for _ in range(240):  # 120 s at most; a deadlock must fail, not hang the suite
        if ctx.join(timeout=0.5):
            break
    else:
        for p in ctx.processes:
            p.kill()
        pytest.fail("DDP processes did not finish")
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert set(r0["seen"]).isdisjoint(r1["seen"])
    assert sorted(r0["seen"] + r1["seen"]) == list(range(24))  # 12 steps x 2 ranks
    for name, p in r0["full"].items():
        assert torch.equal(p, r1["full"][name]), name  # the ranks stayed in step
        assert torch.allclose(p, r0["part"][name], atol=1e-6), name  # resume = no crash
    ckpt = read_checkpoint(tmp_path / "full" / "last.pt")
    assert ckpt["step"] == 12 and ckpt["world_size"] == 2 and ckpt["data_positions"] == [12, 12]
    assert ckpt["samples_seen"] == 12 * 2 * 8
    assert len(ckpt["rng"]) == 2
    steps = [
        r["step"] for r in read_metrics(tmp_path / "full" / "metrics.jsonl") if r["kind"] == "train"
    ]
    assert steps == list(range(1, 13))  # rank 0 alone writes the log
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == [
        "best.pt",
        "curves.png",
        "last.pt",
        "metrics.jsonl",
    ]

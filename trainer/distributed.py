"""Running one training command on many processes: DistributedDataParallel setup and helpers.

The same ``trainer train`` command runs alone or under ``torchrun``; torchrun's environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) switches DDP on. The backend is
chosen from the device: NCCL on CUDA, gloo on CPU. Each rank reads its own shard of the
training stream (``TrainStream(rank=, world_size=)``); only rank 0 writes checkpoints, logs
and curves.

One machine, two processes (CPU or two GPUs)::

    torchrun --standalone --nproc-per-node 2 -m trainer train --out runs/r1 --classes 100

Several machines (run on each node, with its own --node-rank; the first node's address as
the rendezvous endpoint)::

    torchrun --nnodes 2 --node-rank 0 --nproc-per-node 8 \\
        --rdzv-backend c10d --rdzv-endpoint 10.0.0.1:29500 --rdzv-id xiezi-r1 \\
        -m trainer train --out /shared/runs/r1 --classes 3755 --device cuda

``--out`` must be on storage every node sees when a later run resumes on another node (only
rank 0 writes there; every rank reads last.pt on --resume).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a (possibly single-process) run.

    Attributes:
        rank: global rank (0 writes files).
        world_size: number of processes.
        local_rank: rank on this node (picks the GPU).
        device: the torch device this process trains on.
        initialized: whether this module started a process group (and must end it).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    initialized: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """ "auto" -> cuda:local_rank when a GPU is present, else cpu; "cpu"; "cuda"."""
    if name not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but torch sees no CUDA GPU")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup(device: str = "auto") -> DistContext:
    """Start the process group when launched by torchrun (WORLD_SIZE > 1), else run alone.

    An already started process group (a caller's own) is used as it is and left running.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device, local_rank)
    if dist.is_available() and dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, dev, False)
    if world_size <= 1:
        return DistContext(0, 1, 0, dev, False)
    backend = "nccl" if dev.type == "cuda" else "gloo"
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    dist.init_process_group(backend=backend)
    ctx = DistContext(dist.get_rank(), dist.get_world_size(), local_rank, dev, True)
    logger.info("rank %d of %d on %s (backend %s)", ctx.rank, ctx.world_size, ctx.device, backend)
    return ctx


def teardown(ctx: DistContext) -> None:
    """End the process group if setup() started it."""
    if ctx.initialized and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_flags(ctx: DistContext, flags: list[bool]) -> list[bool]:
    """Rank 0's flags on every rank (so all ranks agree to checkpoint or stop together)."""
    if not ctx.distributed:
        return flags
    t = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=_comm_device(ctx))
    dist.broadcast(t, src=0)
    return [bool(v) for v in t.tolist()]


def gather_objects(ctx: DistContext, obj: Any) -> list[Any]:
    """Every rank's ``obj`` as a list indexed by rank (on every rank; [obj] when alone)."""
    if not ctx.distributed:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def _comm_device(ctx: DistContext) -> torch.device:
    return ctx.device if ctx.device.type == "cuda" else torch.device("cpu")

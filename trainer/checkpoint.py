"""Training checkpoints: atomic writes, validated loads, and the random states they carry.

A checkpoint is a ``torch.save`` of a dict of tensors and plain Python values (loaded with
``weights_only=True``: no code runs on load). Keys (docs/architecture.md):

    format, model_spec, model_config, model, charset, preprocess, preprocess_version,
    train_config, data_config, step, samples_seen, optimizer, scheduler, rng, data_position,
    callbacks, metrics_tail, elapsed_s, world_size, log_accumulator, best_top1

and, in a build stage's final.pt, details and eval. ``run_header`` and ``make_checkpoint``
assemble every one of them.

``model_spec`` rebuilds the model with ``trainer.model.build_model_from_spec``, so a
checkpoint alone is enough to rebuild its model. ``rng`` holds one entry per rank
(python, numpy, torch, cuda states); ``data_position`` is the next batch index of the
training stream.
"""

from __future__ import annotations

import logging
import pickle
import random
import zipfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from engine.atomic import atomic_open
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig
from trainer.errors import CheckpointError
from trainer.model import build_model_from_spec, model_spec

logger = logging.getLogger(__name__)

#: Bumped when the layout of the checkpoint dict changes incompatibly.
CHECKPOINT_FORMAT = 1
#: Keys every checkpoint must hold; a file without one of them is refused.
REQUIRED_KEYS = (
    "format",
    "model_spec",
    "model",
    "charset",
    "preprocess",
    "preprocess_version",
    "train_config",
    "step",
    "samples_seen",
)
#: File names inside a run folder.
LAST = "last.pt"
BEST = "best.pt"


def run_header(
    model: nn.Module,
    train_config: Any,
    charset: str,
    preprocess: PreprocessConfig,
    data_config: Any = None,
) -> dict[str, Any]:
    """The keys of a checkpoint that describe its run rather than its progress.

    ``train_config`` and ``data_config`` are dataclasses (stored as plain values).
    """
    spec = plain(model_spec(model))
    return {
        "format": CHECKPOINT_FORMAT,
        "model_spec": spec,
        "model_config": spec.get("config"),
        "charset": charset,
        "preprocess": preprocess.to_dict(),
        "preprocess_version": PREPROCESS_VERSION,
        "train_config": plain(train_config),
        "data_config": plain(data_config),
    }


def make_checkpoint(
    header: dict[str, Any], model: nn.Module, step: int, samples_seen: int, **progress: Any
) -> dict[str, Any]:
    """A checkpoint: ``run_header``'s keys, the model's weights, and how far training got
    (``progress``: optimizer, scheduler, rng, ... for a resumable one; see the docstring)."""
    return {
        **header,
        "model": plain_weights(model),
        "step": step,
        "samples_seen": samples_seen,
        **progress,
    }


def plain_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model.state_dict()`` as the model without parametrizations has it: a pruned or
    shared weight under its own name, holding its value (trainer.compress; the passes put
    their parametrizations back from their own state on resume)."""
    out = {k: v for k, v in model.state_dict().items() if ".parametrizations." not in f".{k}"}
    for prefix, module in model.named_modules():
        if parametrize.is_parametrized(module):
            for name in module.parametrizations:
                out[f"{prefix}.{name}" if prefix else name] = getattr(module, name).detach()
    return out


def plain(value: Any) -> Any:
    """A dataclass / Path / tuple / numpy value as JSON-like Python (dict, list, str, ...).

    Checkpoints load with ``weights_only=True``, which only accepts plain values and tensors.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def capture_rng() -> dict[str, Any]:
    """Random states of python, numpy and torch (and CUDA when present) of this process."""
    py = random.getstate()
    np_state: tuple[Any, ...] = tuple(np.random.get_state(legacy=True))
    keys = torch.from_numpy(np.asarray(np_state[1]).astype(np.int64))
    state: dict[str, Any] = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [str(np_state[0]), keys, int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of capture_rng."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def check_out_dir(out: str | Path) -> None:
    """Raises ValueError when the run folder ``out`` (or one above it) exists as a file."""
    out = Path(out)
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise ValueError(f"--out {out}: {p} is a file, not a folder; name a folder")
            return


def atomic_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temporary file in the same folder, fsync it, then os.replace.

    A reader (or a resumed run) sees either the old file or the new one, never a half one,
    even when the process is killed mid-write.
    """
    with atomic_open(path, "wb") as f:
        torch.save(obj, f)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate a checkpoint dict (on CPU).

    Raises:
        CheckpointError: the file is missing, truncated or corrupt, not a checkpoint, or
            lacks one of REQUIRED_KEYS.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:  # torch's text here is advice about weights_only
        logger.debug("torch.load(%s): %s", path, e)
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated, or not a Xiezi training checkpoint "
            "(a torch.save file of tensors and plain values); pass a run's last.pt or "
            "best.pt, or a build stage's final.pt"
        ) from e
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as e:
        logger.debug("torch.load(%s): %s", path, e)
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({_first_line(e)}); use another "
            "checkpoint of the run (best.pt, or rerun the stage)"
        ) from e
    if not isinstance(ckpt, dict) or "model_spec" not in ckpt:
        raise CheckpointError(f"{path} is not a Xiezi training checkpoint")
    missing = [k for k in REQUIRED_KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {path} has format {ckpt['format']}, this trainer reads {CHECKPOINT_FORMAT}"
        )
    return ckpt


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of a checkpoint from the file alone.

    Returns:
        (model with the stored weights, in eval mode on CPU; the checkpoint dict).
    Raises:
        CheckpointError: see read_checkpoint, or the weights do not fit the stored spec.
    """
    ckpt = read_checkpoint(path)
    try:
        model = build_model_from_spec(ckpt["model_spec"])
        model.load_state_dict(ckpt["model"])
    except (ValueError, TypeError, KeyError, RuntimeError) as e:
        raise CheckpointError(f"checkpoint {path}: cannot rebuild its model: {e}") from e
    model.eval()
    return model, ckpt


def check_compatible(
    ckpt: dict[str, Any], spec: dict[str, Any], charset: str, where: str | Path
) -> None:
    """Refuse to resume a run whose model or class list differs from the checkpoint's."""
    if plain(ckpt["model_spec"]) != plain(spec):
        raise CheckpointError(
            f"checkpoint {where} is of another model: {ckpt['model_spec']} != {spec}"
        )
    if ckpt["charset"] != charset:
        raise CheckpointError(
            f"checkpoint {where} was trained on another class list "
            f"({len(ckpt['charset'])} classes, this run has {len(charset)})"
        )


def check_resumable(ckpt: dict[str, Any], where: str | Path) -> None:
    """Refuse to resume from a model-only checkpoint (best.pt, a compression stage's final.pt)."""
    missing = [k for k in ("optimizer", "scheduler", "data_position") if k not in ckpt]
    if missing:
        raise CheckpointError(
            f"{where} holds a model but no training state ({', '.join(missing)}); "
            f"resume from a run's {LAST}"
        )

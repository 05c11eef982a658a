"""The baseline of Yang et al. (ICFHR 2018): Input(6)-LSTM(100)-LSTM(512)-FC(512)-FC(C)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    """Arguments that rebuild a model; stored in every checkpoint.

    Attributes:
        num_classes: size of the output layer (the class list of the data).
        input_dim: features per point (6, engine.preprocess.features).
        hidden1: units of the first LSTM (100 in the paper).
        hidden2: units of the second LSTM (512).
        fc: units of the hidden fully connected layer (512).
        pooling: how the sequence becomes one vector: "mean" over valid steps (Zhang et al.
            2017) or "last" valid step.
        dropout: dropout before each fully connected layer during training.
        stride2: time stride of the second LSTM: it reads every ``stride2``-th output of the
            first, ending at the last point (1: every output, as the paper). The first LSTM
            still reads every point; 2 halves the steps of the costly second layer.
    """

    num_classes: int
    input_dim: int = 6
    hidden1: int = 100
    hidden2: int = 512
    fc: int = 512
    pooling: str = "mean"
    dropout: float = 0.1
    stride2: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class BaselineLSTM(nn.Module):
    """Sequence classifier. forward(x (B, T, 6) float32, lengths (B,) int64) -> logits (B, C).

    Steps at or past a sequence's length are padding; padding only ever follows the real
    steps, so the LSTM state over real steps equals that of the unpadded sequence and the
    pooled vector (mean over valid steps, or the last valid step) is exact.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last', got {config.pooling!r}")
        if (
            isinstance(config.stride2, bool)
            or not isinstance(config.stride2, int)
            or config.stride2 < 1
        ):
            raise ValueError(f"stride2 must be an integer >= 1, got {config.stride2!r}")
        self.config = config
        self.lstm1 = nn.LSTM(config.input_dim, config.hidden1, batch_first=True)
        self.lstm2 = nn.LSTM(config.hidden1, config.hidden2, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.fc1 = nn.Linear(config.hidden2, config.fc)
        self.fc2 = nn.Linear(config.fc, config.num_classes)

    def spec(self) -> dict[str, Any]:
        return {"kind": "baseline", "config": self.config.to_dict()}

    def pool(self, h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """h (B, T, H), lengths (B,) -> (B, H)."""
        t = h.shape[1]
        if self.config.pooling == "last":
            idx = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, h.shape[2])
            return h.gather(1, idx).squeeze(1)
        mask = (torch.arange(t, device=h.device)[None, :] < lengths[:, None]).to(h.dtype)
        return (h * mask[:, :, None]).sum(1) / lengths.clamp(min=1).to(h.dtype)[:, None]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm1(x)
        h, lengths = decimate(h, lengths, self.config.stride2)
        h, _ = self.lstm2(h)
        v = self.pool(h, lengths)
        v = torch.relu(self.fc1(self.drop(v)))
        return self.fc2(self.drop(v))


def decimate(
    h: torch.Tensor, lengths: torch.Tensor, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``stride``-th step of h (B, T, H) ending at each sequence's last valid step.

    Sequence b (length L) keeps steps o, o + s, ..., L - 1 with o = (L - 1) mod s: its
    K = ceil(L / s) kept steps come first, padding (the clamped last step) after. Returns
    (B, ceil(T / s), H) and the lengths K. The exporter builds the same indices in ONNX.
    """
    if stride == 1:
        return h, lengths
    t = h.shape[1]
    lens = lengths.clamp(min=1)
    k = torch.arange(-(-t // stride), device=h.device)
    idx = ((lens - 1) % stride)[:, None] + stride * k[None, :]
    idx = idx.clamp(max=t - 1)[:, :, None].expand(-1, -1, h.shape[2])
    return h.gather(1, idx), (lens + stride - 1) // stride


#: Model kinds a checkpoint can name, as "module:factory" (imported lazily). Each factory takes
#: the stored config dict and returns the nn.Module; each model has spec() -> {"kind", "config"}.
MODEL_KINDS = {
    "baseline": "trainer.model:baseline_from_config",
    "lowrank": "trainer.compress.svd:lowrank_from_config",
}


def baseline_from_config(config: dict[str, Any]) -> BaselineLSTM:
    return BaselineLSTM(ModelConfig(**config))


def model_spec(model: nn.Module) -> dict[str, Any]:
    """{"kind": ..., "config": ...}: what a checkpoint stores to rebuild ``model``."""
    spec = getattr(model, "spec", None)
    if spec is None:
        raise TypeError(f"{type(model).__name__} has no spec(); cannot be checkpointed")
    return spec()


def build_model_from_spec(spec: dict[str, Any]) -> nn.Module:
    """Rebuild a model (with fresh weights) from model_spec(); load the state_dict after."""
    import importlib

    kind = spec.get("kind")
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(MODEL_KINDS)}")
    module, func = MODEL_KINDS[kind].split(":")
    return getattr(importlib.import_module(module), func)(spec["config"])

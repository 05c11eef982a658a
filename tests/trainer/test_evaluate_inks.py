"""evaluate() and `trainer eval`: accuracy, confused pairs, unknown labels counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_fakes import CHARSET, FakeDataConfig, FakeSource, tiny_model

from trainer.cli import main
from trainer.evaluate import evaluate
from trainer.train import TrainConfig, train

pytestmark = pytest.mark.torch
torch.set_num_threads(1)


class Fixed(torch.nn.Module):
    """Predicts class (label + shift) % C with the highest score, then the rest in order."""

    def __init__(self, classes: int, shift: int) -> None:
        super().__init__()
        self.classes, self.shift = classes, shift

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        labels = x[:, 0, 0].long()
        out = torch.zeros(len(labels), self.classes)
        out[torch.arange(len(labels)), (labels + self.shift) % self.classes] = 10.0
        out[torch.arange(len(labels)), labels] += 5.0
        return out


def test_evaluate_counts_top1_topk_and_confusions() -> None:
    labels = torch.tensor([0, 1, 2, 3])
    x = torch.zeros(4, 2, 6)
    x[:, 0, 0] = labels.float()
    lengths = torch.full((4,), 2)
    r = evaluate(Fixed(5, 0), [(x, lengths, labels)], top=2)
    assert r["n"] == 4 and r["top1"] == 1.0 and r["confused"] == []
    r = evaluate(Fixed(5, 1), [(x, lengths, labels), (x[:2], lengths[:2], labels[:2])], top=2)
    assert r["n"] == 6 and r["top1"] == 0.0 and r["top2"] == 1.0
    assert r["confused"][:2] == [(0, 1, 2), (1, 2, 2)]


def ink_line(label: str, k: int) -> str:
    strokes = [[[0, 0, 0], [10 + k, 5 * k, 10], [20, 10, 20]], [[5, 15, 40], [15, 15 + k, 50]]]
    return json.dumps({"strokes": strokes, "label": label}, ensure_ascii=False)


def test_eval_command_reports_unknown_labels(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = TrainConfig(steps=2, log_every=1, threads=1, workers=0, val_every=0)
    train(tiny_model(), config, FakeDataConfig(), tmp_path, source=FakeSource(), progress=False)
    inks = tmp_path / "inks.jsonl"
    lines = [ink_line(CHARSET[i % 8], i) for i in range(6)]
    lines += [ink_line("龍", 1), '{"strokes": []}', json.dumps({"strokes": [[[0, 0, 0]]]})]
    inks.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["eval", str(tmp_path / "last.pt"), str(inks), "--top", "3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 6 and 0.0 <= r["top1"] <= r["top3"] <= 1.0
    assert r["unknown"] == {"龍": 1} and r["unlabelled"] == 1
    assert len(r["invalid"]) == 1 and r["invalid"][0][0] == 8
    assert all(t in CHARSET and p in CHARSET for t, p, _ in r["confused"])
    assert main(["eval", str(tmp_path / "last.pt"), str(inks)]) == 0
    text = capsys.readouterr().out
    assert "6 inks: top-1" in text and "outside the model's classes" in text and "龍:1" in text


def test_eval_command_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    inks = tmp_path / "inks.jsonl"
    inks.write_text(ink_line("一", 0) + "\n", encoding="utf-8")
    assert main(["eval", str(tmp_path / "nope.pt"), str(inks)]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    assert main(["eval", str(bad), str(inks)]) == 2
    assert "corrupt" in capsys.readouterr().err

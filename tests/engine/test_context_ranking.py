"""Ranking with context (issue 24): the network's scores and a language model's prior combined."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from engine import cli
from engine.evaluate import evaluate_lines
from engine.language import LanguageModelError
from engine.ranking import ContextOptions, combine, log_softmax
from engine.recognizer import Recognizer, RecognizerOptions
from tests.support.engine_fixtures import CHARSET, sample_ink


class FixedPrior:
    """A language model that puts ``boost`` on one character whatever the context, and
    records the contexts it was asked about."""

    def __init__(self, favourite: str, boost: float = 20.0) -> None:
        self.favourite = favourite
        self.boost = boost
        self.asked: list[str] = []

    def log_probs(self, context: str, charset: str) -> np.ndarray:
        self.asked.append(context)
        scores = np.array([self.boost if c == self.favourite else 0.0 for c in charset])
        return log_softmax(scores).astype(np.float32)


class BrokenPrior:
    def log_probs(self, context: str, charset: str) -> np.ndarray:
        raise LanguageModelError("lm.npz is corrupt; rebuild it")


def test_combine_is_the_log_linear_posterior() -> None:
    logits = np.array([2.0, 1.0, 0.0])
    prior = np.log(np.array([0.2, 0.3, 0.5]))
    got = combine(logits, prior, weight=0.5, temperature=2.0)
    want = log_softmax(logits / 2.0) + 0.5 * prior
    # the same posterior: equal up to one constant, so equal after normalizing
    np.testing.assert_allclose(log_softmax(got), log_softmax(want), atol=1e-6)
    # weight 0 and T 1: the network's own log-probabilities
    np.testing.assert_allclose(
        log_softmax(combine(logits, prior, 0.0, 1.0)), log_softmax(logits), atol=1e-6
    )


def test_no_context_is_the_network_alone(tiny_package: Path) -> None:
    lm = FixedPrior(CHARSET[-1])
    rec = Recognizer(tiny_package, language_model=lm)  # type: ignore[arg-type]
    plain = Recognizer(tiny_package)
    for seed in range(5):
        ink = sample_ink(seed)
        assert rec.recognize(ink, 5) == plain.recognize(ink, 5)
    assert lm.asked == []


def test_context_lifts_a_character_from_the_bottom(tiny_package: Path) -> None:
    ink = sample_ink(3)
    plain = Recognizer(tiny_package).recognize(ink, len(CHARSET))
    last = plain[-1].char  # the network's least likely class
    lm = FixedPrior(last)
    rec = Recognizer(tiny_package, language_model=lm)  # type: ignore[arg-type]
    top = rec.recognize(ink, 3, context="我们")
    assert top[0].char == last
    assert lm.asked == ["我们"]
    probs = [c.prob for c in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9


def test_start_of_text_weighs_the_prior_less(tiny_package: Path) -> None:
    ink = sample_ink(3)
    plain = Recognizer(tiny_package).recognize(ink, len(CHARSET))
    last = plain[-1].char
    opts = RecognizerOptions(context=ContextOptions(weight=1.0, start_weight=0.0))
    rec = Recognizer(tiny_package, opts, language_model=FixedPrior(last))  # type: ignore[arg-type]
    # After punctuation or at the start the prior has weight 0: the network's order.
    assert [c.char for c in rec.recognize(ink, 5, context="")] == [c.char for c in plain[:5]]
    assert [c.char for c in rec.recognize(ink, 5, context="好。")] == [c.char for c in plain[:5]]
    # a character the language model reads as a boundary (CJK Extension A) is a start too
    assert [c.char for c in rec.recognize(ink, 5, context="好㐀")] == [c.char for c in plain[:5]]
    assert rec.recognize(ink, 1, context="好")[0].char == last


def test_history_is_cut_to_the_last_characters(tiny_package: Path) -> None:
    lm = FixedPrior(CHARSET[0])
    opts = RecognizerOptions(context=ContextOptions(history=4))
    rec = Recognizer(tiny_package, opts, language_model=lm)  # type: ignore[arg-type]
    rec.recognize(sample_ink(1), 3, context="一二三四五六七")
    assert lm.asked == ["四五六七"]


def test_ink_carries_its_context_and_batch_matches_single(tiny_package: Path) -> None:
    lm = FixedPrior(CHARSET[2])
    rec = Recognizer(tiny_package, language_model=lm)  # type: ignore[arg-type]
    inks = [sample_ink(s) for s in range(3)]
    from dataclasses import replace

    with_ctx = [replace(inks[0], context="中"), inks[1], replace(inks[2], context="")]
    batch = rec.recognize_batch(with_ctx, 4)
    for ink, got in zip(with_ctx, batch, strict=True):
        assert [c.char for c in got] == [c.char for c in rec.recognize(ink, 4)]
    with pytest.raises(ValueError, match="one per ink"):
        rec.recognize_batch(inks, 4, ["中"])


def test_a_broken_language_model_ranks_by_the_network(
    tiny_package: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recognizer(tiny_package, language_model=BrokenPrior())  # type: ignore[arg-type]
    plain = Recognizer(tiny_package)
    ink = sample_ink(2)
    with caplog.at_level(logging.WARNING):
        got = rec.recognize(ink, 5, context="中")
        rec.recognize(ink, 5, context="中")
    assert got == plain.recognize(ink, 5)
    assert sum("without context" in r.message for r in caplog.records) == 1


@pytest.mark.parametrize(
    "bad", [{"temperature": 0}, {"weight": float("nan")}, {"start_weight": -1}, {"history": 0}]
)
def test_context_options_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="ContextOptions"):
        ContextOptions(**bad)  # type: ignore[arg-type]


def test_a_context_that_is_not_text_is_refused(tmp_path: Path) -> None:
    line = json.dumps({"strokes": [[[0, 0, 0], [10, 0, 9]]], "context": 5})
    from engine.errors import InkError
    from engine.ink import ink_from_json

    with pytest.raises(InkError, match="context must be a string"):
        ink_from_json(line)


def test_eval_scores_with_and_without_context(tiny_package: Path) -> None:
    ink = sample_ink(3)
    plain = Recognizer(tiny_package).recognize(ink, len(CHARSET))
    last = plain[-1].char
    rec = Recognizer(tiny_package, language_model=FixedPrior(last))  # type: ignore[arg-type]
    obj = ink.to_json_obj() | {"label": last, "context": "我们"}
    r = evaluate_lines(rec, [json.dumps(obj, ensure_ascii=False)] * 3)
    assert (r.labelled, r.with_context) == (3, 3)
    assert r.top1 == 1.0 and r.top1_no_context == 0.0


def test_cli_reads_the_context_of_each_line(
    tiny_package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ink = sample_ink(3)
    last = Recognizer(tiny_package).recognize(ink, len(CHARSET))[-1].char
    lm = FixedPrior(last)
    monkeypatch.setattr("engine.language.LanguageModel.default", classmethod(lambda cls: lm))
    path = tmp_path / "text.jsonl"
    lines = [
        ink.to_json_obj() | {"label": last, "context": "我们"},
        ink.to_json_obj() | {"label": last},
    ]
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in lines), "utf-8")
    assert cli.main(["eval", str(path), "--model", str(tiny_package), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["with_context"] == 1 and r["top1"] == 0.5 and r["top1_no_context"] == 0.0
    assert cli.main(["recognize", str(path), "--model", str(tiny_package), "-n", "1"]) == 0
    first = [json.loads(x)["candidates"][0][0] for x in capsys.readouterr().out.splitlines()]
    assert first[0] == last and first[1] != last

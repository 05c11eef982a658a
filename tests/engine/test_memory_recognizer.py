"""Recognizer.read / recognize with a UserMemory, on the bundled model (issue 28)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.memory import MemoryError, UserMemory
from engine.recognizer import Reading, Recognizer
from engine.resources import DEFAULT_MODEL, resource_path
from tests.support.engine_fixtures import sample_ink


@pytest.fixture(scope="module")
def bundled() -> Recognizer:
    if not resource_path(*DEFAULT_MODEL).is_file():
        pytest.skip("no bundled model in this checkout")
    r = Recognizer().load()
    if not r.has_embedding:
        pytest.skip("the bundled model has no embedding output")
    return r


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_read_gives_candidates_and_the_embedding(bundled: Recognizer) -> None:
    ink = sample_ink(0)
    reading = bundled.read(ink, 5)
    assert isinstance(reading, Reading) and len(reading.candidates) == 5
    assert reading.embedding is not None and reading.embedding.dtype == np.float32
    assert reading.embedding.ndim == 1 and np.isfinite(reading.embedding).all()
    assert [c.char for c in bundled.recognize(ink, 5)] == [c.char for c in reading.candidates]


def test_a_learned_miss_is_first_next_time_and_another_ink_is_not_hijacked(
    bundled: Recognizer,
) -> None:
    mem = UserMemory(bundled.package.sha256)
    ink, other = sample_ink(0), sample_ink(7, strokes=1, points=30)
    first = bundled.read(ink, 10)
    before_other = [c.char for c in bundled.recognize(other, 10)]
    assert first.embedding is not None
    wanted = first.candidates[6].char  # the user picks the 7th candidate
    mem.learn(wanted, first.embedding, ink, rank=6)
    again = bundled.read(ink, 10, memory=mem)
    assert again.candidates[0].char == wanted
    e_other = bundled.read(other).embedding
    assert e_other is not None and cos(e_other, first.embedding) < 0.85  # a different ink
    assert [c.char for c in bundled.recognize(other, 10, memory=mem)] == before_other
    batch = bundled.recognize_batch([ink, other], 3, memory=mem)
    assert batch[0][0].char == wanted and [c.char for c in batch[1]] == before_other[:3]
    with_context = bundled.recognize(ink, 3, context="我们", memory=mem)
    assert with_context[0].char == wanted  # the memory wins over the context's prior too


def test_user_words_lift_a_character_after_its_context(bundled: Recognizer) -> None:
    mem = UserMemory(bundled.package.sha256)
    ink = sample_ink(3)
    cands = bundled.recognize(ink, 10, context="北")
    target = cands[5].char
    before = {c.char: c.prob for c in cands}[target]
    for _ in range(20):
        mem.learn_text("北" + target)
    after = {c.char: c.prob for c in bundled.recognize(ink, 10, context="北", memory=mem)}
    assert after.get(target, 0.0) > before
    bare = [c.char for c in bundled.recognize(ink, 10)]
    assert [c.char for c in bundled.recognize(ink, 10, memory=mem)] == bare  # no context: none


def test_a_memory_of_another_model_is_refused_with_the_fix(bundled: Recognizer) -> None:
    mem = UserMemory("0" * 64)
    with pytest.raises(MemoryError, match="UserMemory.open"):
        bundled.read(sample_ink(0), memory=mem)
    with pytest.raises(ValueError):
        bundled.read(sample_ink(0), memory="memory.npz")  # type: ignore[arg-type]


def test_a_model_without_embeddings_still_reads(tiny_package: Path) -> None:
    r = Recognizer(tiny_package).load()
    assert not r.has_embedding
    ink = sample_ink(0)
    reading = r.read(ink, 3)
    assert reading.embedding is None
    mem = UserMemory(r.package.sha256)
    mem.learn_text("中国")
    assert [c.char for c in r.recognize(ink, 3, memory=mem)] == [c.char for c in reading.candidates]


def test_embed_in_batches_equals_one_ink_at_a_time(bundled: Recognizer) -> None:
    # inks of very different lengths: batched, padded rows must give each ink its own embedding
    inks = [sample_ink(i, strokes=1 + i % 5, points=5 + 7 * (i % 4)) for i in range(11)]
    one = np.stack([bundled.read(ink, 1).embedding for ink in inks])  # type: ignore[misc]
    for batch in (1, 4, 32):
        got = bundled.embed(inks, batch=batch)
        assert got.shape == one.shape and np.abs(got - one).max() < 1e-4
    with pytest.raises(ValueError, match="batch"):
        bundled.embed(inks, batch=0)


def test_embed_names_a_model_without_the_output(tiny_package: Path) -> None:
    from engine.errors import EngineError

    with pytest.raises(EngineError, match="no embedding output"):
        Recognizer(tiny_package).embed([sample_ink(0)])

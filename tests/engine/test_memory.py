"""engine.memory.UserMemory on made-up embeddings: bonus, outvoting, decay, bounds (issue 28)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.memory import MemoryConfig, MemoryError, UserMemory, UserMemoryError
from engine.ranking import fuse

CHARSET = "一二三十口日月田中国人大曰比北"
SHA = "ab" * 32
D = 64


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def near(e: np.ndarray, cos: float, seed: int) -> np.ndarray:
    """A unit vector at cosine ``cos`` from unit ``e``."""
    r = np.random.default_rng(seed).normal(size=e.shape)
    r = unit(r - (r @ e) * e)
    return unit(cos * e + np.sqrt(1 - cos**2) * r)


def rand(seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=D))


def bonus_of(mem: UserMemory, e: np.ndarray, char: str) -> float:
    b = mem.bonus(e[None], CHARSET)
    return 0.0 if b is None else float(b[0, CHARSET.index(char)])


def test_a_learned_correction_lifts_its_character_and_only_near_inks() -> None:
    mem = UserMemory(SHA)
    e = rand(0)
    mem.learn("日", e, rank=3)
    assert len(mem) == 1 and mem.characters() == 1
    same, close, far = bonus_of(mem, e, "日"), bonus_of(mem, near(e, 0.97, 1), "日"), 0.0
    assert same >= 5.0  # the same ink: enough to pass a first guess 5 nats ahead
    assert 2.0 < close < same
    assert mem.bonus(rand(2)[None], CHARSET) is None  # an unrelated ink: nothing at all
    assert bonus_of(mem, near(e, 0.80, 3), "日") < 0.01 + far
    b = mem.bonus(e[None], CHARSET)
    assert b is not None and np.count_nonzero(b) == 1  # no other character is touched


def test_the_bonus_fused_puts_the_corrected_character_first() -> None:
    mem = UserMemory(SHA)
    e = rand(0)
    logits = np.zeros(len(CHARSET), np.float32)
    logits[CHARSET.index("曰")], logits[CHARSET.index("日")] = 8.0, 2.0  # gap 3 nats at T=2
    assert CHARSET[int(np.argmax(logits))] == "曰"
    mem.learn("日", e, rank=1)
    scores = fuse(logits, 2.0, memory=mem.bonus(e[None], CHARSET)[0])  # type: ignore[index]
    assert CHARSET[int(np.argmax(scores))] == "日"


def test_confirmed_first_candidates_are_kept_lightly_and_contested_ones_fully() -> None:
    e = rand(0)
    off = UserMemory(SHA, MemoryConfig(confirm=0.0))
    off.learn("日", e, rank=0)
    assert len(off) == 0  # the model was right and nothing disputed it: nothing kept
    mem = UserMemory(SHA)
    mem.learn("日", e, rank=0)
    assert len(mem) == 1 and float(mem._weight[0]) == pytest.approx(mem.config.confirm)
    corrected = UserMemory(SHA)
    corrected.learn("日", e, rank=1)
    light, full = bonus_of(mem, e, "日"), bonus_of(corrected, e, "日")
    assert 0.5 < light < full - 1.0  # a confirmation tips near ties, a correction overrules
    mem.learn("曰", near(e, 0.95, 1), rank=2)
    mem.learn("日", near(e, 0.96, 2), rank=0)  # confirmed where 曰's ink lifts 曰: contested
    assert len(mem) == 3 and float(mem._weight[-1]) == 1.0
    assert set(mem._chars.tolist()) == {"日", "曰"}


def test_a_mistaken_pick_is_outvoted_by_the_next_correction() -> None:
    mem = UserMemory(SHA)
    e = rand(0)
    mem.learn("比", e, rank=1)  # the user picked 比 for their 北 by mistake
    assert bonus_of(mem, near(e, 0.98, 1), "比") > 3.0
    mem.learn("北", near(e, 0.99, 2), rank=1)  # corrected next time
    probe = near(e, 0.98, 3)
    assert bonus_of(mem, probe, "北") > bonus_of(mem, probe, "比") + 1.0


def test_two_characters_written_alike_keep_their_inks() -> None:
    """A correction in a place where the character's own ink is the nearer one is the model's
    fault, not a stored ink's: the rival keeps its weight (便 / 使 of one writer)."""
    mem = UserMemory(SHA)
    e = rand(0)
    mem.learn("日", e, rank=1)
    yue = near(e, 0.94, 1)
    mem.learn("曰", yue, rank=1)  # a different character, not in 日's very place
    assert mem._weight.tolist() == [1.0, 1.0]
    again = unit(0.7 * e + 0.3 * yue)  # nearer to its own 日 than to 曰, yet within 0.95 of 曰
    assert float(again @ yue) >= mem.config.supersede and float(again @ e) > float(again @ yue)
    mem.learn("日", again, rank=1)
    assert float(mem._weight[mem._chars.tolist().index("曰")]) == 1.0


def test_old_inks_fade_with_newer_picks() -> None:
    mem = UserMemory(SHA, MemoryConfig(half_life=10.0))
    e = rand(0)
    mem.learn("日", e, rank=1)
    fresh = bonus_of(mem, e, "日")
    for i in range(40):  # 40 picks later: four half-lives, weight 1/16
        mem.learn("一", rand(100 + i), rank=0)
    assert bonus_of(mem, e, "日") < fresh - 2.0
    mem.learn("日", near(e, 0.99, 1), rank=0)  # confirmed again: young again
    assert bonus_of(mem, e, "日") > fresh - 0.5


def test_bounds_per_character_and_in_all() -> None:
    cfg = MemoryConfig(per_char=3, max_inks=10)
    mem = UserMemory(SHA, cfg)
    for i in range(20):
        mem.learn("日", rand(i), rank=1)
    assert len(mem) == 3
    for i in range(40):
        mem.learn(CHARSET[i % len(CHARSET)], rand(1000 + i), rank=1)
    assert len(mem) == 10
    counts = np.unique(mem._chars, return_counts=True)[1]
    assert counts.max() <= 3
    assert len(mem._inks) == len(mem._time) == len(mem._weight) == len(mem._emb) == 10


def test_a_near_duplicate_refreshes_instead_of_adding() -> None:
    mem = UserMemory(SHA)
    e = rand(0)
    mem.learn("日", e, rank=1)
    mem.learn("日", near(e, 0.995, 1), rank=1)
    assert len(mem) == 1


def test_forget_and_counts() -> None:
    mem = UserMemory(SHA)
    mem.learn("日", rand(0), rank=1)
    mem.learn("月", rand(1), rank=1)
    mem.learn_text("日月")
    assert len(mem) == 2 and mem.characters() == 2 and len(mem.words) == 2
    mem.forget()
    assert len(mem) == 0 and mem.characters() == 0 and len(mem.words) == 0
    assert mem.bonus(rand(0)[None], CHARSET) is None


def test_characters_outside_the_charset_are_kept_but_give_nothing() -> None:
    mem = UserMemory(SHA)
    e = rand(0)
    mem.learn("龘", e, rank=4)
    assert len(mem) == 1 and mem.bonus(e[None], CHARSET) is None


@pytest.mark.parametrize(
    "char, emb, rank",
    [
        ("日月", rand(0), 1),
        ("", rand(0), 1),
        (3, rand(0), 1),
        ("日", np.full(D, np.nan, np.float32), 1),
        ("日", np.zeros((2, D), np.float32), 1),
        ("日", rand(0), -1),
        ("日", rand(0), True),
    ],
)
def test_bad_arguments_are_value_errors(char: object, emb: np.ndarray, rank: object) -> None:
    with pytest.raises(ValueError):
        UserMemory(SHA).learn(char, emb, rank=rank)  # type: ignore[arg-type]


def test_an_embedding_of_another_width_names_the_fix() -> None:
    mem = UserMemory(SHA)
    mem.learn("日", rand(0), rank=1)
    with pytest.raises(MemoryError, match="another model"):
        mem.learn("日", np.ones(D + 1, np.float32), rank=1)
    assert UserMemoryError is MemoryError
    assert mem.bonus(np.ones((1, D + 1), np.float32), CHARSET) is None


def test_bad_configs_are_refused() -> None:
    for kwargs in (
        {"near": 1.5},
        {"sharpness": 0.0},
        {"half_life": 0.0},
        {"outvote": 2.0},
        {"per_char": 0},
        {"per_char": 5, "max_inks": 3},
        {"bonus": float("nan")},
        {"confirm": 1.5},
    ):
        with pytest.raises(ValueError):
            MemoryConfig(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        UserMemory("")


def test_learning_and_reading_from_two_threads() -> None:
    mem = UserMemory(SHA, MemoryConfig(per_char=4, max_inks=50))
    probes = np.stack([rand(5000 + i) for i in range(8)])
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(300):
                b = mem.bonus(probes, CHARSET)
                assert b is None or b.shape == (8, len(CHARSET))
        except BaseException as e:  # noqa: BLE001 - reported to the main thread
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for i in range(300):
        mem.learn(CHARSET[i % len(CHARSET)], rand(i), rank=1)
    t.join()
    assert not errors and len(mem) <= 50

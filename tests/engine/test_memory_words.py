"""engine.user_words: the user's characters and pairs lift the prior, bounded and decaying."""

from __future__ import annotations

import numpy as np
import pytest

from engine.user_words import UserWords, WordsConfig

CHARSET = "北京天安门中国人大日月我们的"
INDEX = {c: i for i, c in enumerate(CHARSET)}


def prior() -> np.ndarray:
    """A flat log-prior: every character 1/C."""
    return np.full(len(CHARSET), -np.log(len(CHARSET)), np.float32)


def boost(words: UserWords, context: str) -> np.ndarray:
    p = prior()
    words.boost(context, p, CHARSET, INDEX)
    return p - prior()


def test_written_characters_and_pairs_are_lifted_within_the_cap() -> None:
    words = UserWords()
    for _ in range(5):
        words.learn_text("北京")
    after_bei = boost(words, "我北")
    after_other = boost(words, "我们")
    jing = CHARSET.index("京")
    assert after_bei[jing] > after_other[jing] > 0.0  # the pair weighs after 北
    assert after_bei.max() <= words.config.cap + 1e-6
    untouched = [i for i, c in enumerate(CHARSET) if c not in "北京"]
    assert not after_bei[untouched].any()  # characters never written: unchanged


def test_the_cap_bounds_a_rare_character_written_often() -> None:
    words = UserWords(WordsConfig(cap=1.0))
    for _ in range(100):
        words.learn_text("门")
    p = prior()
    p[CHARSET.index("门")] = -30.0  # the language model finds it very unlikely
    base = p.copy()
    words.boost("", p, CHARSET, INDEX)
    assert p[CHARSET.index("门")] - base[CHARSET.index("门")] == pytest.approx(1.0)


def test_pairs_span_one_character_commits_and_reset_at_a_boundary() -> None:
    words = UserWords()
    for c in "北京":
        words.learn_text(c)
    assert words.to_dict()["pairs"] == {"北京": 1.0}
    words.learn_text("天", context="。")  # after punctuation: no pair
    words.learn_text("安", context="")  # a text's start: no pair
    assert words.to_dict()["pairs"] == {"北京": 1.0}
    words.learn_text("门", context="安")
    assert words.to_dict()["pairs"] == {"北京": 1.0, "安门": 1.0}


def test_counts_decay_and_stay_bounded() -> None:
    words = UserWords(WordsConfig(max_mass=100.0, max_entries=5))
    words.learn_text("北京" * 30)  # 60 characters
    words.learn_text("天安门" * 20)  # 120 in all: past 100, every count halved
    d = words.to_dict()
    assert sum(d["chars"].values()) <= 100.0
    assert d["chars"]["北"] == pytest.approx(15.0)
    words.learn_text("中国人大日月我们的")
    d = words.to_dict()
    assert len(d["chars"]) <= 5 and len(d["pairs"]) <= 5


def test_off_and_forget() -> None:
    words = UserWords(WordsConfig(weight=0.0))
    words.learn_text("北京")
    assert not boost(words, "北").any()
    words = UserWords()
    words.learn_text("北京")
    words.forget()
    assert len(words) == 0 and not boost(words, "北").any()


def test_round_trip_and_strict_reading() -> None:
    words = UserWords()
    words.learn_text("北京天安门")
    back = UserWords.from_dict(words.to_dict())
    assert back.to_dict() == words.to_dict()
    assert np.array_equal(boost(back, "北"), boost(words, "北"))
    assert len(UserWords.from_dict({})) == 0
    for bad in (
        [],
        {"chars": {}},
        {"chars": {"北": 1.0}, "pairs": {"北": 1.0}},
        {"chars": {"x": 1.0}, "pairs": {}},
        {"chars": {"北": -1.0}, "pairs": {}},
        {"chars": {"北": True}, "pairs": {}},
        {"chars": {"北": float("inf")}, "pairs": {}},
        {"chars": {chr(0x4E00 + i): 1.0 for i in range(6000)}, "pairs": {}},
    ):
        with pytest.raises(ValueError):
            UserWords.from_dict(bad)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        UserWords().learn_text(3)  # type: ignore[arg-type]
    for kwargs in ({"weight": 1.0}, {"cap": -1.0}, {"max_mass": 0.0}, {"pair_k": 0.0}):
        with pytest.raises(ValueError):
            WordsConfig(**kwargs)  # type: ignore[arg-type]

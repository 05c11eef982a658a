"""A deterministic stand-in for engine.language.LanguageModel's 联想, for the pad's tests."""

from __future__ import annotations

import threading

#: Context suffix -> the characters that follow it, best first (longest suffix wins).
FOLLOWERS = {
    "": "我你这他的一是不了在",
    "中": "国心文间午",
    "中国": "人家的队民",
    "申": "请报明",
    "国": "家际内外王",
    "人": "们民家生",
}


class FakeLanguageModel:
    """``following(context, n)`` from FOLLOWERS by the longest matching suffix of context;
    records every context it was asked about (``asked``). ``gate``: when set, the first
    question waits for it (a model still loading)."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.asked: list[str] = []
        self.gate = gate

    def following(self, context: str, n: int = 10) -> list[str]:
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        self.asked.append(context)
        key = max((k for k in FOLLOWERS if context.endswith(k)), key=len)
        return list(FOLLOWERS[key])[:n]

"""The engine stands alone: importing it loads neither torch nor Qt, nor the model."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
import engine, engine.recognizer, engine.package, engine.weights, engine.cli, engine.resources
heavy = [
    m for m in sys.modules if m.split(".")[0] in ("torch", "PySide6", "onnx", "trainer", "ime")
]
print(json.dumps({"heavy": heavy, "default": engine.recognizer.Recognizer._default is None}))
"""


def test_import_engine_loads_no_torch_nor_pyside() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(done.stdout)
    assert result["heavy"] == []
    assert result["default"] is True  # no model was loaded at import

"""Opening a model for recognition: the package, checked, in an onnxruntime session.

The bundled model must be the very file shipped with this engine (its sha256 is recorded
beside it, issue 17); any package is test-run once so that a graph whose output width is
symbolic is still checked against its charset.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine.errors import ModelLoadError
from engine.package import ModelPackage, load_package
from engine.resources import DEFAULT_MODEL, DEFAULT_MODEL_DIGEST, read_sha256_file, resource_path
from engine.session import ModelSession

logger = logging.getLogger(__name__)


def model_path(path: Path | None) -> Path:
    """The package at ``path``, or the bundled one for None."""
    return path if path is not None else resource_path(*DEFAULT_MODEL)


def open_model(
    path: Path | None, threads: int = 1, verify: bool = True
) -> tuple[ModelPackage, ModelSession]:
    """The package at ``path`` (None: the bundled model, held to its recorded digest) and
    its session with ``threads`` intra-op threads.

    Raises:
        ModelLoadError: the file is missing, damaged, refused or not a model onnxruntime runs,
            naming the fix.
    """
    where = model_path(path)
    if path is None and not where.is_file():
        raise ModelLoadError(
            f"the bundled model {where} is not present; build it with "
            "`trainer build --preset full` or pass the path of a model package"
        )
    expected = None if path is not None else read_sha256_file(resource_path(*DEFAULT_MODEL_DIGEST))
    try:
        package = load_package(where, expected_sha256=expected)
    except ModelLoadError as e:
        if expected is None:
            raise
        raise ModelLoadError(
            f"the bundled model is refused: {e}; reinstall Xiezi, or after rebuilding it "
            "on purpose record its digest: python resources/model/regenerate.py "
            "--record-digest"
        ) from e
    try:
        session = ModelSession(package.onnx_bytes, package.tensors, threads)
    except Exception as e:  # onnxruntime raises its own unexported exception types
        raise ModelLoadError(f"cannot load model package {where}: onnxruntime: {e}") from e
    if verify:
        _verify(session, package, where)
    logger.info("loaded %s: %d classes", where, len(package.charset))
    return package, session


def _verify(session: ModelSession, package: ModelPackage, path: Path) -> None:
    """One tiny inference: the output's width must be the charset's."""
    feats = np.zeros((1, 2, 6), dtype=np.float32)
    feats[0, :, 5] = 1.0
    try:
        out = session.run(feats, np.array([2], dtype=np.int64))
    except Exception as e:  # onnxruntime raises its own unexported exception types
        raise ModelLoadError(f"cannot load model package {path}: test run failed: {e}") from e
    if out.shape != (1, len(package.charset)):
        raise ModelLoadError(
            f"cannot load model package {path}: the charset has {len(package.charset)} "
            f"characters but the model outputs shape {out.shape} for one ink"
        )

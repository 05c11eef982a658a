"""The manifest of a model package and the checks that tie it to its ONNX graph.

docs/architecture.md describes the format; engine.package reads and writes it.
"""

from __future__ import annotations

from typing import Any

from engine.onnx_info import ONNX_DTYPES, OnnxSummary
from engine.preprocess import PREPROCESS_VERSION, PreprocessConfig
from engine.weights import ENCODINGS

FORMAT = "xiezi-model"
#: 2: package.sha256 covers every member, manifest included (issue 17); 1 had only the
#: manifest's per-member checksums (`python -m engine repack` converts it).
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: The location an external initializer names when its data is in the package.
PACKAGE_LOCATION = "__xiezi_package__"


def validate_manifest(m: Any, any_preprocess: bool = False) -> dict[str, Any]:
    """Check the parsed manifest.json; raises ValueError naming what is wrong.

    ``any_preprocess`` accepts a model of another preprocessing version (its weights only are
    wanted, e.g. as the start of ``trainer finetune``; it cannot be run on this engine).
    """
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise ValueError(f"{MANIFEST} does not describe a {FORMAT} package")
    if m.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"format_version {m.get('format_version')!r}; this engine reads {FORMAT_VERSION}"
        )
    if not any_preprocess and m.get("preprocess_version") != PREPROCESS_VERSION:
        raise ValueError(
            f"the model was trained with preprocess_version {m.get('preprocess_version')!r}, "
            f"this engine has {PREPROCESS_VERSION}: rebuild the model or use a matching engine"
        )
    checks = {
        "charset": str,
        "tensors": dict,
        "sha256": dict,
        "info": dict,
        "preprocess": dict,
    }
    bad = [key for key, typ in checks.items() if not isinstance(m.get(key), typ)]
    if bad:
        raise ValueError(f"{MANIFEST} has no valid {bad[0]!r}")
    for name, entry in m["tensors"].items():
        encoding = entry.get("encoding") if isinstance(entry, dict) else None
        if isinstance(encoding, str) and encoding not in ENCODINGS:
            raise ValueError(
                f"tensor {name!r} is stored with encoding {encoding!r}, which this engine does "
                f"not know (it reads {', '.join(ENCODINGS)}): update Xiezi, or write the "
                "package with this version's trainer"
            )
        if (
            not isinstance(entry, dict)
            or entry.get("encoding") not in ENCODINGS
            or not isinstance(entry.get("shape"), list)
            or not all(isinstance(d, int) and d >= 0 for d in entry["shape"])
        ):
            raise ValueError(f"{MANIFEST} entry of tensor {name!r} is malformed")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in m["sha256"].items()):
        raise ValueError(f"{MANIFEST} has a malformed 'sha256' table")
    if not m["charset"] or len(set(m["charset"])) != len(m["charset"]):
        raise ValueError(f"{MANIFEST} has an empty charset or one with repeated characters")
    try:  # every parameter in the range its meaning allows (issue 22)
        PreprocessConfig.from_dict(m["preprocess"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{MANIFEST} has an invalid 'preprocess': {e}") from e
    return m


def check_interface(s: OnnxSummary, charset: str) -> None:
    """The contract: features float32 [B, T, 6], lengths int64 [B] -> logits float32 [B, C],
    and optionally embedding float32 [B, D] (the penultimate layer, for engine.memory)."""
    ins = {v.name: v for v in s.inputs if v.name not in s.external}
    outs = {v.name: v for v in s.outputs}
    f, ln, lo = ins.get("features"), ins.get("lengths"), outs.get("logits")
    if f is None or f.elem_type != 1 or (f.dims is not None and len(f.dims) != 3):
        raise ValueError("the model needs an input 'features' float32 [B, T, 6]")
    if f.dims is not None and isinstance(f.dims[2], int) and f.dims[2] != 6:
        raise ValueError(f"input 'features' has {f.dims[2]} features per point, not 6")
    if ln is None or ln.elem_type != 7:
        raise ValueError("the model needs an input 'lengths' int64 [B]")
    if lo is None or lo.elem_type != 1 or (lo.dims is not None and len(lo.dims) != 2):
        raise ValueError("the model needs an output 'logits' float32 [B, C]")
    classes = lo.dims[1] if lo.dims is not None else None
    if isinstance(classes, int) and classes != len(charset):
        raise ValueError(
            f"the charset has {len(charset)} characters but the model outputs {classes} classes"
        )
    em = outs.get("embedding")  # optional: packages made before issue 28 have none
    if em is not None and (em.elem_type != 1 or (em.dims is not None and len(em.dims) != 2)):
        raise ValueError("the model's output 'embedding' must be float32 [B, D]")


def check_tensor_set(s: OnnxSummary, shapes: dict[str, tuple[int, ...]]) -> None:
    """The package's tensors are exactly the graph's initializers stored at PACKAGE_LOCATION."""
    ours = {n for n, t in s.external.items() if t.location == PACKAGE_LOCATION}
    other = sorted(set(s.external) - ours)
    if other:
        raise ValueError(f"initializer {other[0]!r} is external but not in the package")
    missing = sorted(ours - set(shapes))
    if missing:
        raise ValueError(f"tensor {missing[0]!r} of the model is missing from the package")
    extra = sorted(set(shapes) - ours)
    if extra:
        raise ValueError(f"tensor {extra[0]!r} is not an external initializer of the model")
    for name, shape in shapes.items():
        t = s.external[name]
        if t.dims != tuple(shape):
            raise ValueError(f"tensor {name!r} has shape {tuple(shape)}, the graph says {t.dims}")
        if t.data_type not in ONNX_DTYPES:
            raise ValueError(f"tensor {name!r} has an unsupported ONNX type {t.data_type}")

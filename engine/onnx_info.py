"""Reads the graph interface and external initializers of ONNX bytes, without the onnx package.

A minimal reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
over the few fields of onnx.proto that the package checks need: graph inputs and outputs
(name, element type, dims) and initializers stored EXTERNAL (name, type, dims, location).
Large embedded fields are skipped, never copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

#: onnx.TensorProto.DataType values and the numpy dtype names they match.
ONNX_DTYPES = {
    1: "float32",
    2: "uint8",
    3: "int8",
    4: "uint16",
    5: "int16",
    6: "int32",
    7: "int64",
    9: "bool",
    10: "float16",
    11: "float64",
    12: "uint32",
    13: "uint64",
}
_EXTERNAL = 1  # onnx.TensorProto.DataLocation.EXTERNAL

Dim = int | str | None  # a size, a symbolic name, or unknown


@dataclass(frozen=True)
class ValueInfo:
    """A graph input or output: ``elem_type`` is an ONNX data type number."""

    name: str
    elem_type: int
    dims: tuple[Dim, ...] | None


@dataclass(frozen=True)
class ExternalTensor:
    """An initializer whose data lives outside the graph."""

    name: str
    data_type: int
    dims: tuple[int, ...]
    location: str


@dataclass(frozen=True)
class OnnxSummary:
    inputs: list[ValueInfo] = field(default_factory=list)
    outputs: list[ValueInfo] = field(default_factory=list)
    external: dict[str, ExternalTensor] = field(default_factory=dict)


class ProtoError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def read_onnx_summary(data: bytes) -> OnnxSummary:
    """Inputs, outputs and external initializers of a serialized onnx.ModelProto.

    Raises:
        ProtoError: bytes that do not parse, or a model without a graph.
    """
    mv = memoryview(data)
    graph = None
    for num, _, val in _fields(mv):
        if num == 7:  # ModelProto.graph
            graph = val
    if not isinstance(graph, memoryview):
        raise ProtoError("no graph in the ONNX model")
    summary = OnnxSummary()
    for num, _, val in _fields(graph):
        if num == 11 and isinstance(val, memoryview):  # GraphProto.input
            summary.inputs.append(_value_info(val))
        elif num == 12 and isinstance(val, memoryview):  # GraphProto.output
            summary.outputs.append(_value_info(val))
        elif num == 5 and isinstance(val, memoryview):  # GraphProto.initializer
            t = _external_tensor(val)
            if t is not None:
                summary.external[t.name] = t
    return summary


def _varint(mv: memoryview, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(mv):
            raise ProtoError("truncated varint")
        b = mv[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ProtoError("varint too long")


def _fields(mv: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yield (field number, wire type, int or sub-view) for each field of one message."""
    i, n = 0, len(mv)
    while i < n:
        key, i = _varint(mv, i)
        num, wire = key >> 3, key & 7
        if num == 0:  # no field has number 0: not protobuf (and zeros would scan for ages)
            raise ProtoError("field number 0")
        if wire == 0:
            val, i = _varint(mv, i)
            yield num, wire, val
        elif wire == 2:
            size, i = _varint(mv, i)
            if i + size > n:
                raise ProtoError("truncated field")
            yield num, wire, mv[i : i + size]
            i += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if i + width > n:
                raise ProtoError("truncated field")
            yield num, wire, int.from_bytes(mv[i : i + width], "little")
            i += width
        else:
            raise ProtoError(f"unsupported wire type {wire}")


def _text(v: int | memoryview) -> str:
    if not isinstance(v, memoryview):
        raise ProtoError("expected a string field")
    try:
        return bytes(v).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtoError("a string field is not UTF-8") from e


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _value_info(mv: memoryview) -> ValueInfo:
    name, elem, dims = "", 0, None
    for num, _, val in _fields(mv):
        if num == 1:
            name = _text(val)
        elif num == 2 and isinstance(val, memoryview):  # TypeProto
            for tnum, _, tval in _fields(val):
                if tnum == 1 and isinstance(tval, memoryview):  # TypeProto.tensor_type
                    for knum, _, kval in _fields(tval):
                        if knum == 1 and isinstance(kval, int):
                            elem = kval
                        elif knum == 2 and isinstance(kval, memoryview):
                            dims = tuple(_dim(d) for dn, _, d in _fields(kval) if dn == 1)
    return ValueInfo(name, elem, dims)


def _dim(v: int | memoryview) -> Dim:
    if not isinstance(v, memoryview):
        raise ProtoError("bad dimension")
    out: Dim = None
    for num, _, val in _fields(v):
        if num == 1 and isinstance(val, int):
            out = _signed(val)
        elif num == 2:
            out = _text(val)
    return out


def _external_tensor(mv: memoryview) -> ExternalTensor | None:
    name, dtype, location, where = "", 0, 0, ""
    dims: list[int] = []
    for num, _wire, val in _fields(mv):
        if num == 1:  # dims: repeated int64, packed or not
            if isinstance(val, memoryview):
                j = 0
                while j < len(val):
                    d, j = _varint(val, j)
                    dims.append(_signed(d))
            else:
                dims.append(_signed(val))
        elif num == 2 and isinstance(val, int):
            dtype = val
        elif num == 8:
            name = _text(val)
        elif num == 14 and isinstance(val, int):
            location = val
        elif num == 13 and isinstance(val, memoryview):  # StringStringEntryProto
            entry = {k: _text(v) for k, _, v in _fields(val)}
            if entry.get(1) == "location":
                where = entry.get(2, "")
    if location != _EXTERNAL:
        return None
    return ExternalTensor(name, dtype, tuple(dims), where)

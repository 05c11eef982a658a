"""Compression of the baseline (Yang et al., ICFHR 2018): a small library of passes.

Modules: svd, prune, quantize (the passes; layers: their per-layer settings), export (ONNX),
pack (the .xiezi package), measure (size, MACs, latency). The pipeline that runs them is
trainer.build.
"""

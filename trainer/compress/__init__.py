"""Compression of the baseline (Yang et al., ICFHR 2018): SVD, Adaptive Drop Weight, k-means.

Modules: svd, prune, quantize (the passes), export (ONNX), package (the .xiezi), report,
build (the `trainer build` pipeline), cli.
"""

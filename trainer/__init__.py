"""Xiezi's trainer: synthetic and real ink data, the Yang et al. 2018 baseline, compression,
export."""

"""Training data: stroke templates, the handwriting synthesizer, POT and JSONL readers, datasets."""

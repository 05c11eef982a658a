"""Xiezi's writing pad: PySide6 widgets, a controller that asks the engine, and settings."""

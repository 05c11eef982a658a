"""Xiezi's tests; ``tests.support`` holds what they share with bench/."""

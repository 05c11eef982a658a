"""Fakes and harnesses shared by the tests and the bench scripts: ``import tests.support.<module>``
with the repository root on ``sys.path`` (pytest's ``pythonpath``; bench scripts insert it)."""

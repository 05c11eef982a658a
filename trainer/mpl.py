"""matplotlib kept inside Xiezi's own folders: its config and font cache under Xiezi's cache.

``isolate()`` runs before any ``import matplotlib``: matplotlib otherwise writes
``~/.config/matplotlib`` and ``~/.cache/matplotlib/fontlist-*.json`` on first use, and Xiezi
writes nothing outside its own folders (issue 22). A user's own MPLCONFIGDIR is respected.
"""

from __future__ import annotations

import os

from platformdirs import user_cache_dir


def isolate() -> None:
    """Point matplotlib's config and cache folder (MPLCONFIGDIR) into Xiezi's cache folder."""
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(user_cache_dir("xiezi"), "matplotlib"))

"""The data subcommands of ``trainer``: ``preview`` (a contact sheet of synthesized ink)."""

from __future__ import annotations

import argparse

from trainer.data.errors import DataError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the data subcommands to the ``trainer`` parser."""
    p = subparsers.add_parser(
        "preview",
        help="render synthesized characters as a contact sheet PNG",
        description="Render synthesized characters (one row each, one column per writer, "
        "the stroke template first) with stroke order and pen-up moves visible.",
    )
    p.add_argument("--chars", default="永中国我的", help="characters, one row each")
    p.add_argument("--writers", type=int, default=6, help="synthesized writers (columns)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.set_defaults(func=run_preview)


def run_preview(args: argparse.Namespace) -> int:
    from trainer.data.preview import PreviewConfig, render_preview

    try:
        config = PreviewConfig(chars=args.chars, writers=args.writers, seed=args.seed)
        out = render_preview(config, args.output)
    except (ValueError, DataError) as e:
        print(f"trainer preview: {e}")
        return 2
    print(f"wrote {out}")
    return 0

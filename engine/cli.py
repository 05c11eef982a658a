"""``python -m engine``: recognize JSONL ink, or evaluate a model on labelled ink."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from engine.errors import EngineError, ModelLoadError
from engine.evaluate import evaluate_learning, evaluate_lines, recognize_lines
from engine.ink import Ink
from engine.lines import open_ink_file
from engine.memory import UserMemory
from engine.recognizer import Recognizer, RecognizerOptions
from engine.runtime import thread_count

EXIT_OK, EXIT_BAD_LINES, EXIT_FAILURE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m engine",
        description="Recognize JSONL ink, or evaluate a model on labelled ink.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    rec = sub.add_parser(
        "recognize",
        help="candidates for each ink of a JSONL file (a line's "
        '"context", the text before the ink, ranks them with the language model)',
    )
    rec.add_argument("ink", help="JSONL ink file, one ink per line; - reads standard input")
    rec.add_argument("-n", type=int, default=10, help="candidates per ink (default 10)")
    ev = sub.add_parser(
        "eval",
        help="top-1 / top-10 accuracy (with and without the lines' "
        '"context") and latency on labelled ink',
    )
    ev.add_argument("ink", help="JSONL ink file with labels; - reads standard input")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    ev.add_argument(
        "--learn",
        action="store_true",
        help="read the inks in file order as one user who picks the label whenever it is "
        "not first (the user's memory learns it; issue 28); prints 'all:' and 'second half:'",
    )
    ev.add_argument(
        "--memory-out", type=Path, metavar="PATH", help="with --learn: save the memory here"
    )
    ev.add_argument(
        "--no-baseline",
        action="store_true",
        help="with --learn: skip the second pass without learning",
    )
    rp = sub.add_parser("repack", help="convert a package of format 1 to the current format")
    rp.add_argument("old", type=Path, help="package to convert")
    rp.add_argument("new", type=Path, help="where to write it (may be the same path)")
    for sp in (rec, ev):
        sp.add_argument("--model", type=Path, help="model package (default: the bundled one)")
        sp.add_argument(
            "--threads",
            type=thread_count,
            default=1,
            help="onnxruntime threads, 1 .. the CPU cores (default 1)",
        )
        sp.add_argument(
            "--memory",
            type=Path,
            metavar="PATH",
            help="a saved user memory (engine.memory) to read with; with eval --learn, "
            "the memory to start from",
        )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "repack":
        return _repack(args.old, args.new)
    if args.command == "eval" and not args.learn and (args.memory_out or args.no_baseline):
        print("error: --memory-out and --no-baseline go with --learn", file=sys.stderr)
        return EXIT_FAILURE
    if args.command == "recognize" and args.n < 1:  # --threads: checked by thread_count
        print("error: -n must be at least 1", file=sys.stderr)
        return EXIT_FAILURE
    try:
        with _open_input(args.ink) as lines:  # before the model: a typo fails at once
            recognizer = Recognizer(args.model, RecognizerOptions(threads=args.threads)).load()
            memory = _memory(recognizer, args.memory, args.command == "eval" and args.learn)
            if args.command == "recognize":
                return _recognize(recognizer, lines, args.n, memory)
            if args.learn or memory is not None:
                return _eval_learn(recognizer, lines, memory, args)
            return _eval(recognizer, lines, args.json, args.threads)
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the exit flush stays quiet
        return EXIT_OK
    except (ModelLoadError, OSError) as e:
        print(f"error: {_describe(e)}", file=sys.stderr)
        return EXIT_FAILURE
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:  # Ctrl-C: the answers so far are out; stop quietly, as cat does
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _repack(old: Path, new: Path) -> int:
    from engine.repack import repack

    try:
        repack(old, new)
    except (EngineError, OSError) as e:
        print(f"error: {_describe(e)}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wrote {new}")
    return EXIT_OK


def _memory(recognizer: Recognizer, path: Path | None, learn: bool) -> UserMemory | None:
    """The memory of ``--memory`` (strict: a missing or damaged file is an error, left as it
    is), re-embedded if it was made with another model; a fresh one for ``--learn`` alone."""
    sha = recognizer.package.sha256
    if (path is not None or learn) and not recognizer.has_embedding:
        raise EngineError(
            f"the model {recognizer.path} has no embedding output, so it cannot use a user "
            "memory; re-export it with today's trainer"
        )
    if path is None:
        return UserMemory(sha) if learn else None
    memory, notice = UserMemory.read(path, sha, embed=lambda inks: _embed(recognizer, inks))
    if notice:
        print(f"note: {notice}", file=sys.stderr)
    return memory


def _embed(recognizer: Recognizer, inks: Sequence[Ink]) -> np.ndarray:
    out = [recognizer.read(ink, 1).embedding for ink in inks]
    return np.stack([e for e in out if e is not None]) if out else np.zeros((0, 0), np.float32)


def _eval_learn(
    recognizer: Recognizer, lines: IO[bytes], memory: UserMemory | None, args: argparse.Namespace
) -> int:
    data = list(lines)  # read twice: with the memory, then without
    r = evaluate_learning(recognizer, data, memory, learn=args.learn)
    base = None if args.no_baseline else evaluate_learning(recognizer, data, None)
    if memory is not None and args.memory_out is not None:
        try:
            memory.save(args.memory_out)
        except OSError as e:
            print(f"error: cannot write {args.memory_out}: {e.strerror or e}", file=sys.stderr)
            return EXIT_FAILURE
    for err in r.errors:
        print(f"skipped {err}", file=sys.stderr)
    if args.json:
        out = r.to_dict()
        if base is not None:
            out["without_learning"] = base.to_dict()
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"inks: {r.inks} ({r.labelled} labelled, {len(r.errors)} bad lines)")
        how = "learning" if args.learn else "with the memory, not learning"
        print(
            f"{how}: {r.corrections} corrections; the memory holds {r.stored} inks of "
            f"{r.characters} characters"
        )
        print(f"all: top-1 {100 * r.top1:.1f}% top-10 {100 * r.top10:.1f}%")
        print(f"second half: top-1 {100 * r.second_top1:.1f}% top-10 {100 * r.second_top10:.1f}%")
        if base is not None:
            print(
                f"without learning: top-1 {100 * base.top1:.1f}% top-10 {100 * base.top10:.1f}% "
                f"(all), top-1 {100 * base.second_top1:.1f}% top-10 "
                f"{100 * base.second_top10:.1f}% (second half)"
            )
        if args.memory_out is not None:
            print(f"memory saved to {args.memory_out}")
    if r.labelled == 0:
        print("error: no labelled ink to score", file=sys.stderr)
        return EXIT_BAD_LINES
    return EXIT_BAD_LINES if r.errors else EXIT_OK


def _recognize(
    recognizer: Recognizer, lines: IO[bytes], n: int, memory: UserMemory | None = None
) -> int:
    """One output line per input line, in order (issue 17), flushed as it is known."""
    status = EXIT_OK
    for result in recognize_lines(recognizer, lines, n, memory):
        if "error" in result:
            status = EXIT_BAD_LINES
        try:
            text = json.dumps(result, ensure_ascii=False)
            print(text, flush=True)
        except UnicodeEncodeError:  # a stdout that cannot hold the characters (LANG=C)
            print(json.dumps(result), flush=True)
    return status


def _eval(recognizer: Recognizer, lines: IO[bytes], as_json: bool, threads: int) -> int:
    r = evaluate_lines(recognizer, lines)
    for err in r.errors:
        print(f"skipped {err}", file=sys.stderr)
    if as_json:
        print(json.dumps(r.to_dict(), ensure_ascii=False))
    else:
        print(f"inks: {r.inks} ({r.labelled} labelled, {len(r.errors)} bad lines)")
        if r.with_context:
            print(
                f"top-1: {r.top1:.4f}  top-10: {r.top10:.4f}  with context "
                f"({r.with_context} of {r.labelled} inks have one)"
            )
            print(
                f"top-1: {r.top1_no_context:.4f}  top-10: {r.top10_no_context:.4f}  "
                "without context (the network alone)"
            )
        else:
            print(f"top-1: {r.top1:.4f}  top-10: {r.top10:.4f}")
        print(
            f"latency per character: median {r.latency_median_ms:.2f} ms, "
            f"p95 {r.latency_p95_ms:.2f} ms (end to end, threads={threads})"
        )
    if r.labelled == 0:
        print("error: no labelled ink to score", file=sys.stderr)
        return EXIT_BAD_LINES
    return EXIT_BAD_LINES if r.errors else EXIT_OK


@contextmanager
def _open_input(name: str) -> Iterator[IO[bytes]]:
    """The input as bytes: engine.lines decodes each line on its own, file or stdin alike."""
    if name == "-":
        stdin: Any = sys.stdin  # a test may put a StringIO there, which has no .buffer
        yield stdin.buffer if hasattr(stdin, "buffer") else stdin
        return
    with open_ink_file(name) as f:  # a file or a pipe; a folder or a device is refused
        yield f


def _describe(e: Exception) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"cannot read {e.filename}: {e.strerror or e}"
    return str(e)

"""``python -m benchmarks [NAME ...]``: run all benchmarks, or the named ones."""

from __future__ import annotations

import sys

from rich.console import Console

from benchmarks import registered


def main(argv: list[str]) -> int:
    """Run the selected benchmarks; return the exit code."""
    console = Console()
    benchmarks = registered()
    chosen = argv or list(benchmarks)
    unknown = [name for name in chosen if name not in benchmarks]
    if unknown:
        console.print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(benchmarks)}")
        return 2
    for name in chosen:
        console.rule(f"[bold]{name}")
        benchmarks[name](console)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

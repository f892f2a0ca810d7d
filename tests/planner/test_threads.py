"""Torch's thread count is chosen once per process, in a fresh interpreter each time here."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = (
    "import torch\n"
    "from planner.threads import configure_process_threads, ensure_process_threads\n"
    "{setup}\n"
    "print(ensure_process_threads(), torch.get_num_threads())\n"
)


def _run(setup: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def test_the_default_is_one_thread() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DBTL_TORCH_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup="")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.split() == ["1", "1"], done.stderr


def test_the_environment_chooses_the_count() -> None:
    assert _run(DBTL_TORCH_THREADS="2").stdout.split() == ["2", "2"]


def test_a_count_the_process_chose_first_stays() -> None:
    done = _run("configure_process_threads(2)", DBTL_TORCH_THREADS="1")
    assert done.stdout.split() == ["2", "2"], done.stderr


def test_a_bad_count_is_named() -> None:
    done = _run(DBTL_TORCH_THREADS="many")
    assert "DBTL_TORCH_THREADS must be a whole number of at least 1, got 'many'" in done.stderr

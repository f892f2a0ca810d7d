"""Run torch with a given number of threads for the duration of a call, then restore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Use ``count`` intra-op threads inside the block.

    Small GP problems run fastest on one thread, and on a machine whose cores
    are shared, more threads than free cores make torch much slower.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

"""Covariance functions for encoded designs, including a Tanimoto kernel on fingerprints.

A design's features come in blocks (see :mod:`planner.encoding`). Numeric,
one-hot and descriptor columns share one ARD kernel with BoTorch's
dimension-scaled lengthscale prior; every fingerprint block gets its own
:class:`TanimotoKernel`. The blocks' kernels are multiplied, so two designs
are similar when they are similar in every parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from botorch.models.utils.priors import BetaPrior
from gpytorch.constraints import Interval
from gpytorch.kernels import Kernel
from torch import Tensor

from planner.encoding import Block


class TanimotoKernel(Kernel):
    """Tanimoto (Jaccard) similarity of bit vectors, mixed with a constant.

    For bit vectors ``x`` and ``y``, ``T(x, y) = (<x, y> + 1) / (|x|² + |y|² -
    <x, y> + 1)``: the Jaccard index of the two sets of on-bits after adding one
    bit that every vector shares. The shared bit makes two empty fingerprints
    ("nothing added") identical and keeps the kernel positive semi-definite
    (it is the Jaccard kernel of the augmented sets).

    The kernel is ``1 - w + w T(x, y)`` with a learned ``relevance`` ``w`` in
    (0, 1): a block whose molecules do not matter gets ``w`` near 0, the role a
    long lengthscale plays in an ARD kernel. A convex mixture of two PSD
    kernels, it stays PSD.
    """

    has_lengthscale = False

    def __init__(self, **kwargs: Any) -> None:
        """Create the kernel; ``active_dims`` selects the fingerprint columns."""
        super().__init__(**kwargs)
        self.register_parameter("raw_relevance", torch.nn.Parameter(torch.zeros(1)))
        self.register_constraint("raw_relevance", Interval(0.0, 1.0))
        self.register_prior(
            "relevance_prior",
            BetaPrior(2.0, 2.0),
            lambda m: m.relevance,
            lambda m, v: m._set_relevance(v),
        )

    @property
    def relevance(self) -> Tensor:
        """The mixing weight ``w`` of the Tanimoto part."""
        return self.raw_relevance_constraint.transform(self.raw_relevance)

    def _set_relevance(self, value: Tensor | float) -> None:
        value = torch.as_tensor(value).to(self.raw_relevance)
        self.initialize(raw_relevance=self.raw_relevance_constraint.inverse_transform(value))

    def forward(
        self,
        x1: Tensor,
        x2: Tensor,
        diag: bool = False,
        last_dim_is_batch: bool = False,
        **params: Any,
    ) -> Tensor:
        """Return ``1 - w + w T(x1, x2)`` (only the diagonal when ``diag``)."""
        if last_dim_is_batch:
            raise NotImplementedError("TanimotoKernel does not support last_dim_is_batch")
        w = self.relevance
        if diag:
            return torch.ones(x1.shape[:-1], dtype=x1.dtype, device=x1.device) * torch.ones_like(w)
        similarity = tanimoto_similarity(x1, x2)
        return 1.0 - w + w * similarity


def tanimoto_similarity(x1: Tensor, x2: Tensor) -> Tensor:
    """Pairwise ``(<x, y> + 1) / (|x|² + |y|² - <x, y> + 1)`` of the rows of two bit matrices."""
    dot = x1 @ x2.transpose(-2, -1)
    norm1 = (x1 * x1).sum(-1, keepdim=True)
    norm2 = (x2 * x2).sum(-1, keepdim=True).transpose(-2, -1)
    return (dot + 1.0) / (norm1 + norm2 - dot + 1.0)


def block_kernel(blocks: Sequence[Block]) -> Kernel:
    """The product kernel of a design's feature blocks.

    Args:
        blocks: The encoder's blocks, in column order.

    Returns:
        ARD RBF over the numeric, one-hot and descriptor columns (BoTorch's
        dimension-scaled prior) times a Tanimoto kernel per fingerprint block.
    """
    from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior

    dense = [c for b in blocks if b.kind != "fingerprint" for c in b.columns]
    kernels: list[Kernel] = []
    if dense:
        kernels.append(
            get_covar_module_with_dim_scaled_prior(ard_num_dims=len(dense), active_dims=dense)
        )
    for block in blocks:
        if block.kind == "fingerprint":
            kernels.append(TanimotoKernel(active_dims=torch.tensor(block.columns)))
    product = kernels[0]
    for kernel in kernels[1:]:
        product = product * kernel
    return product

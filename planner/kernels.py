"""Covariance functions for encoded designs, including a Tanimoto kernel on fingerprints.

A design's features come in blocks (see :mod:`planner.encoding`). Each
numeric, one-hot or descriptor block gets an ARD RBF kernel whose lengthscale
prior is stated in units of that block's diameter (so a 23-level one-hot block
and a temperature range scaled to [0, 1] get the same prior belief: "a change
across the whole block matters about this much"); every fingerprint block
gets its own :class:`TanimotoKernel`. A ``combined`` molecule block (one-hot
and descriptor parts) gets a :class:`MixtureKernel` of the two parts' RBFs: a
learned share of the similarity between two molecules comes from their
descriptors (so an untried level borrows strength from similar ones), the
rest from their identity alone. The blocks' kernels are multiplied, so two
designs are similar when they are similar in every parameter.
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
from planner.model_options import KernelFamily, Prior


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


class MixtureKernel(Kernel):
    """A convex mixture ``(1 - w) k_a + w k_b`` of two kernels, ``w`` in (0, 1) learned.

    With unit-variance parts (RBFs), the mixture has unit variance too, so it
    slots into a product of per-parameter kernels like any one of them; ``w``
    (the ``share`` of the second kernel, prior Beta(2, 2)) says how much of a
    parameter's similarity the second encoding carries. A convex mixture of
    PSD kernels is PSD.
    """

    has_lengthscale = False

    def __init__(self, first: Kernel, second: Kernel, **kwargs: Any) -> None:
        """Mix ``first`` and ``second`` (each selects its columns by its ``active_dims``)."""
        super().__init__(**kwargs)
        self.first = first
        self.second = second
        self.register_parameter("raw_share", torch.nn.Parameter(torch.zeros(1)))
        self.register_constraint("raw_share", Interval(0.0, 1.0))
        self.register_prior(
            "share_prior", BetaPrior(2.0, 2.0), lambda m: m.share, lambda m, v: m._set_share(v)
        )

    @property
    def share(self) -> Tensor:
        """The weight ``w`` of the second kernel."""
        return self.raw_share_constraint.transform(self.raw_share)

    def _set_share(self, value: Tensor | float) -> None:
        value = torch.as_tensor(value).to(self.raw_share)
        self.initialize(raw_share=self.raw_share_constraint.inverse_transform(value))

    def forward(
        self,
        x1: Tensor,
        x2: Tensor,
        diag: bool = False,
        last_dim_is_batch: bool = False,
        **params: Any,
    ) -> Tensor:
        """Return ``(1 - w) k_a(x1, x2) + w k_b(x1, x2)`` (only the diagonal when ``diag``)."""
        if last_dim_is_batch:
            raise NotImplementedError("MixtureKernel does not support last_dim_is_batch")
        w = self.share
        a, b = (_dense(k(x1, x2, diag=diag)) for k in (self.first, self.second))
        return (1.0 - w) * a + w * b


def _dense(value: Any) -> Tensor:
    return value.to_dense() if hasattr(value, "to_dense") else value


def tanimoto_similarity(x1: Tensor, x2: Tensor) -> Tensor:
    """Pairwise ``(<x, y> + 1) / (|x|² + |y|² - <x, y> + 1)`` of the rows of two bit matrices."""
    dot = x1 @ x2.transpose(-2, -1)
    norm1 = (x1 * x1).sum(-1, keepdim=True)
    norm2 = (x2 * x2).sum(-1, keepdim=True).transpose(-2, -1)
    return (dot + 1.0) / (norm1 + norm2 - dot + 1.0)


LENGTHSCALE_PRIOR = (3.0, 3.0)
"""Gamma(concentration, rate) of each lengthscale, in units of its block's diameter.

Mean one diameter, mode 2/3: two designs that differ in one parameter stay
correlated (about 0.3-0.6 for two levels of a one-hot block), so a model of a
few dozen observations generalizes instead of interpolating. The presets of
EDBO and BayBE are similarly concentrated at moderate-to-long lengthscales.
"""

OUTPUTSCALE_PRIOR = (3.0, 2.0)
"""Gamma prior of the signal variance, in units of the (standardized) outcome's variance."""


def block_kernel(
    blocks: Sequence[Block], prior: Prior = "block", family: KernelFamily = "rbf"
) -> Kernel:
    """The product kernel of a design's feature blocks.

    Args:
        blocks: The encoder's blocks, in column order.
        prior: ``"block"``: a scaled product of one ARD RBF per block whose
            lengthscales have :data:`LENGTHSCALE_PRIOR` in units of the block's
            diameter; ``"dim-scaled"``: one ARD RBF over every dense column with
            BoTorch's dimension-scaled prior (the earlier default).
        family: With ``prior="block"``, each block's kernel: ``"rbf"`` or
            ``"matern52"`` (Matérn-5/2, rougher: correlations fall off faster
            near a design and more slowly far from it), same prior either way.

    Returns:
        The dense kernel(s) times a Tanimoto kernel per fingerprint block.
    """
    dense = [b for b in blocks if b.kind != "fingerprint"]
    kernels: list[Kernel] = []
    if dense and prior == "dim-scaled":
        kernels.append(_dim_scaled([c for b in dense for c in b.columns]))
    elif dense:
        kernels.append(_scaled_product([parameter_kernel(b, family) for b in dense]))
    for block in blocks:
        if block.kind == "fingerprint":
            kernels.append(TanimotoKernel(active_dims=torch.tensor(block.columns)))
    return _product(kernels)


def parameter_kernel(block: Block, family: KernelFamily = "rbf") -> Kernel:
    """One dense block's kernel (RBF or Matérn-5/2); for ``combined``, a mixture of its parts'."""
    if block.kind != "combined":
        return block_rbf(block, family)
    onehot, descriptors = block.parts
    return MixtureKernel(block_rbf(onehot, family), block_rbf(descriptors, family))


def block_rbf(block: Block, family: KernelFamily = "rbf") -> Kernel:
    """ARD kernel over one block (RBF, or Matérn-5/2), its lengthscale prior scaled by the diameter.

    Raises:
        ValueError: ``family`` is not ``"rbf"`` or ``"matern52"``.
    """
    from gpytorch.kernels import MaternKernel, RBFKernel
    from gpytorch.priors import GammaPrior

    if family not in ("rbf", "matern52"):
        raise ValueError(f"kernel family must be 'rbf' or 'matern52', got {family!r}")
    concentration, rate = LENGTHSCALE_PRIOR
    arguments: dict[str, Any] = {
        "ard_num_dims": block.stop - block.start,
        "active_dims": torch.tensor(block.columns),
        "lengthscale_prior": GammaPrior(concentration, rate / block.diameter),
    }
    kernel = RBFKernel(**arguments) if family == "rbf" else MaternKernel(nu=2.5, **arguments)
    kernel.lengthscale = block.diameter * (concentration - 1.0) / rate
    return kernel


def _scaled_product(kernels: list[Kernel]) -> Kernel:
    from gpytorch.kernels import ScaleKernel
    from gpytorch.priors import GammaPrior

    concentration, rate = OUTPUTSCALE_PRIOR
    scaled = ScaleKernel(_product(kernels), outputscale_prior=GammaPrior(concentration, rate))
    scaled.outputscale = (concentration - 1.0) / rate
    return scaled


def _dim_scaled(columns: list[int]) -> Kernel:
    from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior

    return get_covar_module_with_dim_scaled_prior(ard_num_dims=len(columns), active_dims=columns)


def _product(kernels: list[Kernel]) -> Kernel:
    product = kernels[0]
    for kernel in kernels[1:]:
        product = product * kernel
    return product

"""Applying templates: one retrosynthetic disconnection, and the forward check of a step.

A template is applied backwards to a product to find reactant sets; with
``rdchiral`` installed, products that carry stereocentres go through
rdchiral (which keeps and inverts tetrahedral centres as the template says),
everything else through RDKit's ``RunReactants``. Every reactant set is then
checked forwards: the template read forwards must give the product back.
"""

from __future__ import annotations

from itertools import permutations

from rdkit import Chem

from routes.chem import reaction_smiles
from routes.errors import RouteInputError
from routes.model import RouteStep
from routes.templates import (
    CLASSES,
    GENERIC_CLASS,
    TEMPLATES,
    ReactionClass,
    Template,
    reaction_class,
    template,
)

try:  # optional: used for products with stereocentres
    from rdchiral import main as rdchiral_main
except ImportError:  # pragma: no cover - depends on the environment
    rdchiral_main = None

MAX_OUTCOMES = 8
"""At most this many reactant sets per template and product."""


def _has_stereocentres(mol: Chem.Mol) -> bool:
    return any(a.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED for a in mol.GetAtoms())


def _sanitized(fragments: tuple[Chem.Mol, ...]) -> tuple[str, ...] | None:
    out = []
    for fragment in fragments:
        try:
            Chem.SanitizeMol(fragment)
        except (ValueError, RuntimeError):
            return None
        smiles = Chem.MolToSmiles(fragment)
        if Chem.MolFromSmiles(smiles) is None:
            return None
        out.append(str(Chem.MolToSmiles(Chem.MolFromSmiles(smiles))))
    return tuple(out)


def _rdkit_outcomes(t: Template, mol: Chem.Mol) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for fragments in t.retro.RunReactants((mol,), maxProducts=64):
        reactants = _sanitized(fragments)
        if reactants is not None and reactants not in found:
            found.append(reactants)
    return found


def _rdchiral_outcomes(t: Template, smiles: str) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for text in rdchiral_main.rdchiralRunText(t.retro_smarts, smiles):
        mols = [Chem.MolFromSmiles(s) for s in text.split(".")]
        if all(m is not None for m in mols):
            found.append(tuple(str(Chem.MolToSmiles(m)) for m in mols))
    return found


def disconnect(t: Template, product: str) -> list[tuple[str, ...]]:
    """Return the reactant sets ``t`` proposes for ``product`` that pass the forward check.

    Args:
        t: The template.
        product: Canonical SMILES of the product.
    """
    mol = Chem.MolFromSmiles(product)
    if mol is None or not mol.HasSubstructMatch(t.retro.GetReactantTemplate(0)):
        return []
    if rdchiral_main is not None and _has_stereocentres(mol):
        outcomes = _rdchiral_outcomes(t, product)
    else:
        outcomes = _rdkit_outcomes(t, mol)
    checked = [r for r in outcomes if forward_gives(t, r, product)]
    return checked[:MAX_OUTCOMES]


def _flat(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    return "" if mol is None else str(Chem.MolToSmiles(mol, isomericSmiles=False))


def forward_gives(t: Template, reactants: tuple[str, ...], product: str) -> bool:
    """Whether the template read forwards turns ``reactants`` into ``product``.

    Stereochemistry is compared when both sides carry it; otherwise the
    constitution must match.
    """
    mols = [Chem.MolFromSmiles(s) for s in reactants]
    if any(m is None for m in mols) or len(mols) != t.forward.GetNumReactantTemplates():
        return False
    wanted = {product, _flat(product)}
    for order in permutations(mols):
        for fragments in t.forward.RunReactants(tuple(order), maxProducts=64):
            made = _sanitized(fragments)
            if made and (made[0] in wanted or _flat(made[0]) in wanted):
                return True
    return False


def classify(reactants: tuple[str, ...], product: str) -> tuple[ReactionClass, Template | None]:
    """The class (and template) whose forward template turns ``reactants`` into ``product``."""
    for t in TEMPLATES:
        if forward_gives(t, reactants, product):
            return CLASSES[t.reaction_class], t
    return GENERIC_CLASS, None


def limiting_reactant(t: Template, reactants: tuple[str, ...]) -> str:
    """The reactant matching the template's limiting reactant pattern (else the first)."""
    pattern = t.forward.GetReactantTemplate(t.limiting_index)
    for smiles in reactants:
        mol = Chem.MolFromSmiles(smiles)
        if mol is not None and mol.HasSubstructMatch(pattern):
            return smiles
    return reactants[0]


def make_step(t: Template, reactants: tuple[str, ...], product: str) -> RouteStep:
    """Return the route step ``reactants → product`` proposed by template ``t``."""
    cls = reaction_class(t.reaction_class)
    return RouteStep(
        reaction_smiles=reaction_smiles(reactants, product),
        template_class=t.reaction_class,
        template_id=t.id,
        source=f"template:{t.id}",
        reactants=reactants,
        reagents=cls.reagents if t.reagents is None else t.reagents,
        product=product,
        limiting=limiting_reactant(t, reactants),
        conditions=cls.conditions,
        validated=True,
    )


def apply_named_template(template_id: str, product: str, where: str) -> list[RouteStep]:
    """Every step template ``template_id`` proposes for ``product`` (a chemist's swap).

    Raises:
        RouteInputError: Unknown template, or it does not apply to ``product``.
    """
    try:
        t = template(template_id)
    except KeyError as exc:
        raise RouteInputError(where, str(exc.args[0])) from None
    steps = [make_step(t, r, product) for r in disconnect(t, product)]
    if not steps:
        raise RouteInputError(
            where, f"template {template_id!r} ({t.description}) does not apply to {product}"
        )
    return steps


def step_problems(step: RouteStep) -> list[str]:
    """What is wrong with a step, checked with RDKit (empty when it is sound).

    Every reactant and the product must parse; a step from a template must
    be reproduced by that template read forwards.
    """
    problems = [
        f"{role} {s!r} is not a valid SMILES"
        for role, s in [("reactant", r) for r in step.reactants] + [("product", step.product)]
        if Chem.MolFromSmiles(s) is None
    ]
    if problems or step.template_id is None:
        return problems
    try:
        t = template(step.template_id)
    except KeyError as exc:
        return [str(exc.args[0])]
    if not forward_gives(t, step.reactants, step.product):
        problems.append(
            f"template {t.id} read forwards does not turn {'.'.join(step.reactants)} "
            f"into {step.product}"
        )
    return problems

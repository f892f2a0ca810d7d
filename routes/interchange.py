"""Route files of other planners: AiZynthFinder and syntheseus, read and written back.

**AiZynthFinder** writes each route as a reaction tree (``ReactionTree.to_dict``,
the ``trees`` of ``aizynthcli`` output, ``RouteCollection.dicts``): a molecule
node ``{"type": "mol", "smiles", "is_chemical", "in_stock", "children"}`` whose
one child is a reaction node ``{"type": "reaction", "smiles", "metadata",
"children"}`` whose children are the reactant molecule nodes. The reaction
SMILES is atom-mapped and written retro (``product>>reactants``); both
directions are accepted. A file holds one tree or a list of trees.

**syntheseus** keeps a route as a ``SynthesisGraph`` of ``BackwardReaction``
objects (its search CLI pickles them). Its JSON form here is
``{"target": smiles, "reactions": [{"product", "reactants", "reaction_smiles",
"metadata"}]}`` with ``reaction_smiles`` written ``reactants>>product`` as
``BackwardReaction.reaction_smiles`` is; a file holds one route or a list.

Each imported step is classified against the built-in templates (its class
and template when one reproduces it, otherwise ``unclassified`` with a wide
condition space) and checked with RDKit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from routes.chem import canonical, reaction_smiles
from routes.errors import RouteInputError
from routes.model import Route, RouteStep
from routes.retro import classify, limiting_reactant
from routes.stock import Stock

FORMATS = ("aizynthfinder", "syntheseus")


def _step(reactants: tuple[str, ...], product: str, source: str, meta: dict[str, Any]) -> RouteStep:
    cls, t = classify(reactants, product)
    return RouteStep(
        reaction_smiles=meta.pop("_mapped", None) or reaction_smiles(reactants, product),
        template_class=cls.name,
        template_id=None if t is None else t.id,
        source=source,
        reactants=reactants,
        reagents=cls.reagents if t is None or t.reagents is None else t.reagents,
        product=product,
        limiting=reactants[0] if t is None else limiting_reactant(t, reactants),
        conditions=cls.conditions,
        validated=t is not None,
        metadata=meta,
    )


def _route(
    target: str,
    retro_steps: list[RouteStep],
    in_stock: dict[str, bool],
    source: str,
    stock: Stock | None,
) -> Route:
    steps = tuple(reversed(retro_steps))
    made = {s.product for s in steps}
    leaves = {
        r: (r in stock) if stock is not None else in_stock.get(r, False)
        for s in steps
        for r in s.reactants
        if r not in made
    }
    names = stock.names() if stock is not None else {}
    return Route(
        target=target,
        steps=steps,
        leaves=leaves,
        source=source,
        cost=0.0 if stock is None else round(sum(stock.price(m) for m in leaves), 4),
        names={m: names[m] for m in leaves if m in names},
    )


# -- AiZynthFinder -----------------------------------------------------------


def read_aizynthfinder(data: Any, where: str, stock: Stock | None = None) -> list[Route]:
    """Routes from AiZynthFinder reaction-tree dicts (one tree or a list of trees).

    Raises:
        RouteInputError: A node that is not an AiZynthFinder molecule or reaction node.
    """
    trees = data if isinstance(data, list) else [data]
    routes = []
    for number, tree in enumerate(trees, start=1):
        at = f"{where} tree {number}"
        if not isinstance(tree, dict) or tree.get("type") != "mol":
            raise RouteInputError(at, "the root must be a molecule node (type 'mol')")
        steps: list[RouteStep] = []
        in_stock: dict[str, bool] = {}
        target = _aizynth_walk(tree, steps, in_stock, at)
        if not steps:
            raise RouteInputError(at, "the tree has no reaction: the target is a leaf")
        routes.append(_route(target, steps, in_stock, "aizynthfinder", stock))
    return routes


def _aizynth_walk(
    node: dict[str, Any], steps: list[RouteStep], in_stock: dict[str, bool], at: str
) -> str:
    smiles = canonical(str(node.get("smiles", "")), at)
    in_stock[smiles] = bool(node.get("in_stock", False))
    reactions = node.get("children") or []
    if not reactions:
        return smiles
    reaction = reactions[0]
    if reaction.get("type") != "reaction":
        raise RouteInputError(at, f"the child of {smiles} is not a reaction node")
    meta = dict(reaction.get("metadata") or {})
    meta["_mapped"] = reaction.get("smiles")
    children = reaction.get("children") or []
    if not children:
        raise RouteInputError(at, f"the reaction making {smiles} has no reactants")
    reactants = tuple(canonical(str(c.get("smiles", "")), at) for c in children)
    steps.append(_step(reactants, smiles, "aizynthfinder", meta))  # target first, depth first
    for child in children:
        _aizynth_walk(child, steps, in_stock, at)
    return smiles


def write_aizynthfinder(route: Route) -> dict[str, Any]:
    """The route as an AiZynthFinder reaction-tree dict."""
    by_product = {s.product: s for s in route.steps}

    def mol(smiles: str) -> dict[str, Any]:
        step = by_product.get(smiles)
        node: dict[str, Any] = {
            "type": "mol",
            "hide": False,
            "smiles": smiles,
            "is_chemical": True,
            "in_stock": bool(route.leaves.get(smiles, False)),
        }
        if step is not None:
            metadata = {k: v for k, v in step.metadata.items() if not k.startswith("_")}
            metadata.setdefault("classification", step.template_class)
            node["children"] = [
                {
                    "type": "reaction",
                    "hide": False,
                    "smiles": f"{step.product}>>{'.'.join(step.reactants)}",
                    "is_reaction": True,
                    "metadata": metadata,
                    "children": [mol(r) for r in step.reactants],
                }
            ]
        return node

    return mol(route.target)


# -- syntheseus --------------------------------------------------------------


def read_syntheseus(data: Any, where: str, stock: Stock | None = None) -> list[Route]:
    """Routes from syntheseus route JSON (one route or a list).

    Raises:
        RouteInputError: No target, a reaction without product or reactants, or
            reactions that do not form a tree ending at the target.
    """
    items = data if isinstance(data, list) else [data]
    routes = []
    for number, item in enumerate(items, start=1):
        at = f"{where} route {number}"
        if not isinstance(item, dict) or "target" not in item or "reactions" not in item:
            raise RouteInputError(at, "expected an object with 'target' and 'reactions'")
        target = canonical(str(item["target"]), f"{at} target")
        steps = [
            _syntheseus_step(r, f"{at} reaction {i}") for i, r in enumerate(item["reactions"], 1)
        ]
        if not steps:
            raise RouteInputError(at, "the route has no reaction")
        try:
            routes.append(_route(target, _target_first(target, steps), {}, "syntheseus", stock))
        except ValueError as exc:
            raise RouteInputError(at, str(exc)) from None
    return routes


def _syntheseus_step(reaction: dict[str, Any], at: str) -> RouteStep:
    product = reaction.get("product")
    reactants = reaction.get("reactants")
    if not product or not reactants:
        raise RouteInputError(at, "a reaction needs 'product' and 'reactants'")
    meta = dict(reaction.get("metadata") or {})
    meta["_mapped"] = reaction.get("reaction_smiles")
    return _step(
        tuple(canonical(r, at) for r in reactants), canonical(product, at), "syntheseus", meta
    )


def _target_first(target: str, steps: list[RouteStep]) -> list[RouteStep]:
    """Order reactions target first, depth first (the order a retro search finds them)."""
    by_product = {s.product: s for s in steps}
    ordered: list[RouteStep] = []

    def visit(smiles: str) -> None:
        step = by_product.pop(smiles, None)
        if step is not None:
            ordered.append(step)
            for r in step.reactants:
                visit(r)

    visit(target)
    if by_product:
        raise ValueError(f"reaction(s) making {', '.join(by_product)} are not part of the route")
    return ordered


def write_syntheseus(route: Route) -> dict[str, Any]:
    """The route as syntheseus route JSON."""
    return {
        "target": route.target,
        "reactions": [
            {
                "product": s.product,
                "reactants": list(s.reactants),
                "reaction_smiles": reaction_smiles(s.reactants, s.product),
                "metadata": {k: v for k, v in s.metadata.items() if not k.startswith("_")},
            }
            for s in reversed(route.steps)
        ],
    }


# -- files -------------------------------------------------------------------


def read_routes(path: Path, fmt: str, stock: Stock | None = None) -> list[Route]:
    """Read a route file of ``fmt`` (``aizynthfinder`` or ``syntheseus``).

    Raises:
        RouteInputError: Unknown format, missing file, bad JSON or a bad tree.
    """
    if fmt not in FORMATS:
        raise RouteInputError("format", f"unknown route format {fmt!r}; use {', '.join(FORMATS)}")
    if not path.is_file():
        raise RouteInputError(str(path), "no such route file")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RouteInputError(str(path), f"not JSON: {exc.msg} (line {exc.lineno})") from None
    reader = read_aizynthfinder if fmt == "aizynthfinder" else read_syntheseus
    return reader(data, path.name, stock)


def write_routes(routes: list[Route], fmt: str) -> str:
    """The routes as JSON text in ``fmt``."""
    writer = write_aizynthfinder if fmt == "aizynthfinder" else write_syntheseus
    return json.dumps([writer(r) for r in routes], indent=2)

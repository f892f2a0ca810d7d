"""A documented benchmark set: targets with known 1-3-step routes from a given stock.

Each target lists the route a chemist would expect (reaction classes in run
order, and its building blocks); all building blocks are in
:data:`BENCHMARK_STOCK`, together with a few distractors. ``make bench``
(module ``route-proposal``) proposes routes for every target and reports
whether a route with every leaf in stock was found, whether the expected
route is among the proposals, and the time taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from routes.stock import Stock


@dataclass(frozen=True)
class BenchmarkTarget:
    """A target, its expected route (classes in run order) and that route's building blocks."""

    name: str
    smiles: str
    expected_classes: tuple[str, ...]
    building_blocks: tuple[str, ...]
    note: str


TARGETS: tuple[BenchmarkTarget, ...] = (
    BenchmarkTarget(
        "N-(biphenyl-4-yl)acetamide",
        "CC(=O)Nc1ccc(-c2ccccc2)cc1",
        ("suzuki", "amide_coupling"),
        ("Nc1ccc(Br)cc1", "OB(O)c1ccccc1", "CC(=O)Cl"),
        "Suzuki coupling of 4-bromoaniline, then acetylation (or the reverse order)",
    ),
    BenchmarkTarget(
        "4-phenylmorpholine",
        "c1ccc(N2CCOCC2)cc1",
        ("buchwald_hartwig",),
        ("Brc1ccccc1", "C1COCCN1"),
        "Buchwald-Hartwig amination of bromobenzene with morpholine",
    ),
    BenchmarkTarget(
        "1-(4-nitrophenyl)pyrrolidine",
        "O=[N+]([O-])c1ccc(N2CCCC2)cc1",
        ("snar",),
        ("O=[N+]([O-])c1ccc(F)cc1", "C1CCNC1"),
        "SNAr of 4-fluoronitrobenzene with pyrrolidine",
    ),
    BenchmarkTarget(
        "4-(pyrrolidin-1-yl)aniline",
        "Nc1ccc(N2CCCC2)cc1",
        ("snar", "nitro_reduction"),
        ("O=[N+]([O-])c1ccc(F)cc1", "C1CCNC1"),
        "SNAr, then reduction of the nitro group",
    ),
    BenchmarkTarget(
        "4-benzylmorpholine",
        "c1ccc(CN2CCOCC2)cc1",
        ("reductive_amination",),
        ("O=Cc1ccccc1", "C1COCCN1"),
        "reductive amination of benzaldehyde with morpholine",
    ),
    BenchmarkTarget(
        "tert-butyl morpholine-4-carboxylate",
        "CC(C)(C)OC(=O)N1CCOCC1",
        ("boc_protection",),
        ("C1COCCN1", "CC(C)(C)OC(=O)OC(=O)OC(C)(C)C"),
        "Boc protection of morpholine with Boc2O",
    ),
    BenchmarkTarget(
        "benzyl benzoate",
        "O=C(OCc1ccccc1)c1ccccc1",
        ("ester_formation",),
        ("O=C(O)c1ccccc1", "OCc1ccccc1"),
        "Steglich esterification of benzoic acid with benzyl alcohol",
    ),
    BenchmarkTarget(
        "benzyl phenyl ether",
        "c1ccc(COc2ccccc2)cc1",
        ("williamson_ether",),
        ("Oc1ccccc1", "BrCc1ccccc1"),
        "Williamson ether synthesis from phenol and benzyl bromide",
    ),
    BenchmarkTarget(
        "methyl (E)-cinnamate",
        "COC(=O)/C=C/c1ccccc1",
        ("heck",),
        ("Brc1ccccc1", "C=CC(=O)OC"),
        "Heck reaction of bromobenzene with methyl acrylate",
    ),
    BenchmarkTarget(
        "diphenylacetylene",
        "C(#Cc1ccccc1)c1ccccc1",
        ("sonogashira",),
        ("Ic1ccccc1", "C#Cc1ccccc1"),
        "Sonogashira coupling of iodobenzene with phenylacetylene",
    ),
    BenchmarkTarget(
        "1-benzyl-4-phenylpiperazine",
        "c1ccc(CN2CCN(c3ccccc3)CC2)cc1",
        ("n_alkylation",),
        ("c1ccc(N2CCNCC2)cc1", "BrCc1ccccc1"),
        "N-alkylation of 1-phenylpiperazine with benzyl bromide",
    ),
    BenchmarkTarget(
        "N-(piperidin-4-yl)benzamide",
        "O=C(NC1CCNCC1)c1ccccc1",
        ("amide_coupling", "boc_deprotection"),
        ("O=C(O)c1ccccc1", "CC(C)(C)OC(=O)N1CCC(N)CC1"),
        "amide coupling with 4-amino-1-Boc-piperidine, then Boc removal",
    ),
    BenchmarkTarget(
        "tert-butyl 4-(4-acetamidophenyl)piperazine-1-carboxylate",
        "CC(=O)Nc1ccc(N2CCN(C(=O)OC(C)(C)C)CC2)cc1",
        ("snar", "nitro_reduction", "amide_coupling"),
        ("O=[N+]([O-])c1ccc(F)cc1", "CC(C)(C)OC(=O)N1CCNCC1", "CC(=O)Cl"),
        "SNAr with N-Boc-piperazine, nitro reduction, then acetylation",
    ),
)
"""The benchmark targets (13: eleven classes as the last step, routes of 1-3 steps)."""

_STOCK_ROWS = (
    ("Nc1ccc(Br)cc1", "4-bromoaniline", 0.85),
    ("OB(O)c1ccccc1", "phenylboronic acid", 1.6),
    ("CC(=O)Cl", "acetyl chloride", 0.2),
    ("Brc1ccccc1", "bromobenzene", 0.15),
    ("Ic1ccccc1", "iodobenzene", 0.6),
    ("C1COCCN1", "morpholine", 0.1),
    ("O=[N+]([O-])c1ccc(F)cc1", "1-fluoro-4-nitrobenzene", 0.4),
    ("C1CCNC1", "pyrrolidine", 0.2),
    ("O=Cc1ccccc1", "benzaldehyde", 0.1),
    ("C1CNCCN1", "piperazine", 0.1),
    ("CC(C)(C)OC(=O)OC(=O)OC(C)(C)C", "di-tert-butyl dicarbonate", 0.9),
    ("O=C(O)c1ccccc1", "benzoic acid", 0.05),
    ("OCc1ccccc1", "benzyl alcohol", 0.05),
    ("Oc1ccccc1", "phenol", 0.05),
    ("BrCc1ccccc1", "benzyl bromide", 0.3),
    ("C=CC(=O)OC", "methyl acrylate", 0.1),
    ("C#Cc1ccccc1", "phenylacetylene", 0.8),
    ("c1ccc(N2CCNCC2)cc1", "1-phenylpiperazine", 0.7),
    ("CC(C)(C)OC(=O)N1CCC(N)CC1", "4-amino-1-Boc-piperidine", 2.5),
    ("CC(C)(C)OC(=O)N1CCNCC1", "N-Boc-piperazine", 1.2),
    ("CCO", "ethanol", 0.01),
    ("CC(=O)O", "acetic acid", 0.05),
    ("Clc1ccncc1", "4-chloropyridine", 1.1),
)


def benchmark_stock() -> Stock:
    """The stock of the benchmark: every expected building block and a few distractors."""
    lines = ["smiles,name,price,location"] + [f"{s},{n},{p},bench" for s, n, p in _STOCK_ROWS]
    return Stock.parse("\n".join(lines), origin="benchmark stock")

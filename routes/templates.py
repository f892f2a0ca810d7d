"""The built-in template library: curated retrosynthetic templates in RDKit reaction SMARTS.

Each :class:`Template` is written retrosynthetically, ``product>>reactants``
with atom maps on the atoms that survive the reaction, and belongs to a
:class:`ReactionClass` that carries the step's usual reagents and the
condition space the planner may explore. Reading a template forwards
(``reactants>>product``) checks a proposed step: the reactants must give back
the product. The classes (twelve, as a medicinal-chemistry toolbox):

===================  ===========================================  ===========================
class                disconnection (product ⇐ reactants)          usual conditions
===================  ===========================================  ===========================
amide_coupling       R-C(=O)-NR'2 ⇐ acid + amine; acyl chloride   HATU/DIPEA, DMF, 0-60 °C
ester_formation      R-C(=O)-OR' ⇐ acid + alcohol                 EDC/DMAP (Steglich), DCM
suzuki               Ar-Ar' ⇐ ArBr/ArI + Ar'B(OH)2                Pd(PPh3)4, K2CO3, 60-110 °C
buchwald_hartwig     Ar-NR2 ⇐ ArBr + HNR2 (not amides)            Pd2dba3/XPhos, NaOtBu, 80-120 °C
snar                 Ar(EWG)-NR2 ⇐ Ar(EWG)-F + HNR2               DIPEA, DMSO, 25-140 °C
reductive_amination  R-CH2-NR2 ⇐ R-CHO + HNR2                     NaBH(OAc)3, DCE, 0-40 °C
n_alkylation         R-CH2-NR2 ⇐ R-CH2-Br + HNR2                  K2CO3, MeCN, 20-90 °C
boc_protection       R2N-Boc ⇐ R2NH + Boc2O                       Et3N, DCM, 0-40 °C
boc_deprotection     R2NH ⇐ R2N-Boc                               TFA, DCM, 0-40 °C
nitro_reduction      Ar-NH2 ⇐ Ar-NO2                              Fe/NH4Cl or H2 Pd/C, 20-80 °C
sonogashira          Ar-C≡C-R ⇐ ArI + H-C≡C-R                     Pd/CuI, Et3N, 20-80 °C
heck                 Ar-CH=CH-R ⇐ ArBr + CH2=CH-R                 Pd(OAc)2, Et3N, 80-130 °C
williamson_ether     R-O-CH2-R' ⇐ R-OH + Br-CH2-R'                K2CO3 or NaH, DMF, 20-100 °C
===================  ===========================================  ===========================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from rdkit.Chem import rdChemReactions
from rdkit.Chem.rdChemReactions import ChemicalReaction

from routes.model import Reagent, StepConditionSpace

_POLAR = ("polar_aprotic", "ether", "chlorinated", "protic", "aromatic")


@dataclass(frozen=True)
class ReactionClass:
    """A reaction class: its name, the reagents it usually needs and its condition space."""

    name: str
    title: str
    reagents: tuple[Reagent, ...]
    conditions: StepConditionSpace


@dataclass(frozen=True)
class Template:
    """One retrosynthetic template of a class.

    Attributes:
        retro_smarts: ``product>>reactants`` in RDKit reaction SMARTS.
        limiting_index: Which reactant of the retro output is the limiting one
            (the one the equivalents of the others are counted against).
    """

    id: str
    reaction_class: str
    retro_smarts: str
    description: str
    limiting_index: int = 0
    reagents: tuple[Reagent, ...] | None = None
    """The template's own reagents; ``None`` takes its class's."""

    @property
    def forward_smarts(self) -> str:
        """``reactants>>product``: the template read forwards."""
        product, reactants = self.retro_smarts.split(">>")
        return f"{reactants}>>{product}"

    @cached_property
    def retro(self) -> ChemicalReaction:
        """The compiled retro reaction."""
        return _compile(self.retro_smarts)

    @cached_property
    def forward(self) -> ChemicalReaction:
        """The compiled forward reaction."""
        return _compile(self.forward_smarts)


def _compile(smarts: str) -> ChemicalReaction:
    reaction = rdChemReactions.ReactionFromSmarts(smarts)
    reaction.Initialize()
    return reaction


def _r(name: str, role: str, smiles: str | None = None, equivalents: float = 1.0) -> Reagent:
    return Reagent.model_validate(
        {"name": name, "role": role, "smiles": smiles, "equivalents": equivalents}
    )


def _space(
    t: tuple[float, float], eq: tuple[float, float], time: tuple[float, float], solvents: str
) -> StepConditionSpace:
    return StepConditionSpace(
        temperature_c=t, equivalents=eq, time_min=time, solvents=tuple(solvents.split())
    )


CLASSES: dict[str, ReactionClass] = {
    c.name: c
    for c in (
        ReactionClass(
            "amide_coupling",
            "Amide coupling",
            (_r("HATU", "activator", None, 1.1), _r("DIPEA", "base", "CCN(C(C)C)C(C)C", 2.0)),
            _space((0, 60), (1.0, 2.5), (10, 240), "polar_aprotic chlorinated ether"),
        ),
        ReactionClass(
            "ester_formation",
            "Ester formation (Steglich)",
            (
                _r("EDC", "activator", "CCN=C=NCCCN(C)C", 1.2),
                _r("DMAP", "base", "CN(C)c1ccncc1", 0.1),
            ),
            _space((0, 50), (1.0, 3.0), (30, 480), "chlorinated polar_aprotic ether"),
        ),
        ReactionClass(
            "suzuki",
            "Suzuki–Miyaura coupling",
            (
                _r("Pd(PPh3)4", "catalyst", None, 0.05),
                _r("K2CO3", "base", "O=C([O-])[O-].[K+].[K+]", 2.0),
            ),
            _space((40, 120), (1.0, 2.0), (10, 240), "ether aromatic protic polar_aprotic"),
        ),
        ReactionClass(
            "buchwald_hartwig",
            "Buchwald–Hartwig amination",
            (
                _r("XPhos Pd G3", "catalyst", None, 0.02),
                _r("NaOtBu", "base", "CC(C)(C)[O-].[Na+]", 1.5),
            ),
            _space((60, 130), (1.0, 2.0), (30, 480), "aromatic ether polar_aprotic"),
        ),
        ReactionClass(
            "snar",
            "Nucleophilic aromatic substitution",
            (_r("DIPEA", "base", "CCN(C(C)C)C(C)C", 2.0),),
            _space((25, 150), (1.0, 4.0), (5, 240), "polar_aprotic protic ether"),
        ),
        ReactionClass(
            "reductive_amination",
            "Reductive amination",
            (_r("NaBH(OAc)3", "reductant", None, 1.5),),
            _space((0, 50), (1.0, 2.5), (30, 720), "chlorinated protic ether"),
        ),
        ReactionClass(
            "n_alkylation",
            "N-alkylation",
            (_r("K2CO3", "base", "O=C([O-])[O-].[K+].[K+]", 2.0),),
            _space((20, 100), (1.0, 3.0), (30, 720), "polar_aprotic ether protic"),
        ),
        ReactionClass(
            "boc_protection",
            "Boc protection",
            (_r("Et3N", "base", "CCN(CC)CC", 1.5),),
            _space((0, 50), (1.0, 2.0), (30, 480), "chlorinated ether protic"),
        ),
        ReactionClass(
            "boc_deprotection",
            "Boc deprotection",
            (_r("TFA", "acid", "O=C(O)C(F)(F)F", 10.0),),
            _space((0, 50), (5.0, 20.0), (15, 240), "chlorinated protic"),
        ),
        ReactionClass(
            "nitro_reduction",
            "Nitro reduction",
            (_r("Fe", "reductant", "[Fe]", 5.0), _r("NH4Cl", "acid", "[NH4+].[Cl-]", 5.0)),
            _space((20, 90), (3.0, 8.0), (30, 480), "protic ether"),
        ),
        ReactionClass(
            "sonogashira",
            "Sonogashira coupling",
            (
                _r("PdCl2(PPh3)2", "catalyst", None, 0.03),
                _r("CuI", "catalyst", "[Cu]I", 0.05),
                _r("Et3N", "base", "CCN(CC)CC", 3.0),
            ),
            _space((20, 90), (1.0, 2.0), (30, 480), "ether polar_aprotic aromatic"),
        ),
        ReactionClass(
            "heck",
            "Heck reaction",
            (_r("Pd(OAc)2", "catalyst", None, 0.05), _r("Et3N", "base", "CCN(CC)CC", 2.0)),
            _space((70, 140), (1.0, 3.0), (60, 720), "polar_aprotic aromatic"),
        ),
        ReactionClass(
            "williamson_ether",
            "Williamson ether synthesis",
            (_r("K2CO3", "base", "O=C([O-])[O-].[K+].[K+]", 2.0),),
            _space((20, 110), (1.0, 3.0), (30, 720), "polar_aprotic ether"),
        ),
    )
}
"""The reaction classes, by name."""

_AMINE = "[NX3;!a;!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[N,O])"
_ACTIVATORS = (
    "$(c1ccc(cc1)[N+](=O)[O-])",
    "$(c1ccccc1[N+](=O)[O-])",
    "$(c1ccc(cc1)C#N)",
    "$(c1ncccc1)",
    "$(c1ccncc1)",
)
"""Aryl carbons activated for SNAr: nitro or cyano para/ortho, or a ring nitrogen ortho/para."""
_ACTIVATED_ARYL = "c;" + ",".join(_ACTIVATORS)
_PLAIN_ARYL = "c" + "".join(f";!{a}" for a in _ACTIVATORS)
_ACYL = "C;$(C-[#6]);!$(C(=O)(N)O);!$(C(=O)(N)N)"

TEMPLATES: tuple[Template, ...] = (
    Template(
        "amide_from_acid",
        "amide_coupling",
        f"[{_ACYL}:1](=[O:2])-!@[NX3;!$(N-S):3]>>[C:1](=[O:2])O.[N:3]",
        "amide from a carboxylic acid and an amine (HATU)",
        limiting_index=0,
    ),
    Template(
        "amide_from_acyl_chloride",
        "amide_coupling",
        f"[{_ACYL}:1](=[O:2])-!@[NX3;!$(N-S):3]>>[C:1](=[O:2])Cl.[N:3]",
        "amide from an acyl chloride and an amine (Schotten–Baumann acylation)",
        limiting_index=1,
        reagents=(_r("Et3N", "base", "CCN(CC)CC", 1.5),),
    ),
    Template(
        "steglich_ester",
        "ester_formation",
        "[C;$(C-[#6]):1](=[O:2])-!@[OX2:3]-[#6;!$(C=O):4]>>[C:1](=[O:2])O.[O:3]-[#6:4]",
        "ester from a carboxylic acid and an alcohol or phenol",
    ),
    Template(
        "suzuki_bromide",
        "suzuki",
        "[c:1]-!@[c:2]>>[c:1]Br.[c:2]B(O)O",
        "biaryl from an aryl bromide and an arylboronic acid",
    ),
    Template(
        "suzuki_iodide",
        "suzuki",
        "[c:1]-!@[c:2]>>[c:1]I.[c:2]B(O)O",
        "biaryl from an aryl iodide and an arylboronic acid",
    ),
    Template(
        "buchwald_amination",
        "buchwald_hartwig",
        f"[{_PLAIN_ARYL}:1]-!@{_AMINE};H0,H1:2]>>[c:1]Br.[N:2]",
        "aryl amine from an aryl bromide and a primary or secondary amine",
    ),
    Template(
        "snar_fluoride",
        "snar",
        f"[{_ACTIVATED_ARYL}:1]-!@{_AMINE}:2]>>[c:1]F.[N:2]",
        "aryl amine from an activated aryl fluoride (nitro, cyano or aza ortho/para) and an amine",
    ),
    Template(
        "reductive_amination",
        "reductive_amination",
        f"{_AMINE}:1]-!@[CH2:2]-[#6:3]>>[N:1].O=[C:2]-[#6:3]",
        "amine from an aldehyde and an amine (borohydride)",
        limiting_index=1,
    ),
    Template(
        "n_alkylation_bromide",
        "n_alkylation",
        f"{_AMINE}:1]-!@[CH2:2]-[#6:3]>>[N:1].Br[C:2]-[#6:3]",
        "amine from an alkyl bromide and an amine",
        limiting_index=1,
    ),
    Template(
        "boc_protection",
        "boc_protection",
        "[NX3:1]-C(=O)OC(C)(C)C>>[N:1].CC(C)(C)OC(=O)OC(=O)OC(C)(C)C",
        "Boc carbamate from an amine and di-tert-butyl dicarbonate",
    ),
    Template(
        "boc_deprotection",
        "boc_deprotection",
        f"{_AMINE};H1,H2:1]>>[N:1]C(=O)OC(C)(C)C",
        "free amine from its Boc carbamate (TFA)",
    ),
    Template(
        "nitro_reduction",
        "nitro_reduction",
        "[NX3;H2]-[c:1]>>O=[N+]([O-])-[c:1]",
        "aniline from a nitroarene",
    ),
    Template(
        "sonogashira_iodide",
        "sonogashira",
        "[c:1]-!@[C:2]#[C:3]>>[c:1]I.[C:2]#[C:3]",
        "aryl alkyne from an aryl iodide and a terminal alkyne",
    ),
    Template(
        "heck_bromide",
        "heck",
        "[c:1]-!@[CH1:2]=[CH1:3]-[C,c:4]>>[c:1]Br.[C:2]=[C:3]-[*:4]",
        "aryl alkene from an aryl bromide and a terminal alkene (E)",
    ),
    Template(
        "williamson_ether",
        "williamson_ether",
        "[#6;!$(C=O):1]-!@[OX2:2]-!@[CH2:3]-[#6:4]>>[#6:1]-[O:2].Br[C:3]-[#6:4]",
        "ether from an alcohol or phenol and an alkyl bromide",
        limiting_index=0,
    ),
)
"""Every built-in template."""


def template(template_id: str) -> Template:
    """Return the template called ``template_id``.

    Raises:
        KeyError: Listing the known templates.
    """
    for t in TEMPLATES:
        if t.id == template_id:
            return t
    raise KeyError(
        f"no template {template_id!r}; known templates: {', '.join(t.id for t in TEMPLATES)}"
    )


def reaction_class(name: str) -> ReactionClass:
    """Return the reaction class ``name``.

    Raises:
        KeyError: Listing the known classes.
    """
    if name not in CLASSES:
        raise KeyError(f"no reaction class {name!r}; known: {', '.join(CLASSES)}")
    return CLASSES[name]


GENERIC_CLASS = ReactionClass(
    "unclassified",
    "Reaction of no built-in class",
    (),
    _space((0, 120), (1.0, 3.0), (10, 480), "polar_aprotic ether chlorinated protic aromatic"),
)
"""What an imported step that matches no built-in template gets: a wide condition space."""

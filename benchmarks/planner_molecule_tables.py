"""A seeded synthetic table whose molecules are real, for the defaults protocol.

The published development tables with SMILES (the two Suzuki screens) share
one chemistry, so the protocol had one kind of evidence on molecule
encodings. :func:`molecule_descriptors` adds a second: 20 amines × 10
solvents × 4 temperatures (800 rows), whose yield is a smooth function of
RDKit descriptors of the amine and the solvent (their logP, polar surface
area and size) *plus* a seeded effect of each molecule that no descriptor
explains, with a quarter of the rows at zero. Neither one-hot alone nor
descriptors alone is the right model, so the table favours no encoding by
construction; which one wins is for the protocol to measure.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from benchmarks.synthetic_tables import OBJECTIVE

AMINES = {
    "methylamine": "CN",
    "ethylamine": "CCN",
    "propylamine": "CCCN",
    "butylamine": "CCCCN",
    "pentylamine": "CCCCCN",
    "hexylamine": "CCCCCCN",
    "isopropylamine": "CC(C)N",
    "tert-butylamine": "CC(C)(C)N",
    "cyclohexylamine": "NC1CCCCC1",
    "benzylamine": "NCc1ccccc1",
    "aniline": "Nc1ccccc1",
    "p-toluidine": "Cc1ccc(N)cc1",
    "p-anisidine": "COc1ccc(N)cc1",
    "4-chloroaniline": "Nc1ccc(Cl)cc1",
    "4-fluoroaniline": "Nc1ccc(F)cc1",
    "morpholine": "C1COCCN1",
    "piperidine": "C1CCNCC1",
    "pyrrolidine": "C1CCNC1",
    "diethylamine": "CCNCC",
    "dibutylamine": "CCCCNCCCC",
}
SOLVENTS = {
    "water": "O",
    "methanol": "CO",
    "ethanol": "CCO",
    "isopropanol": "CC(C)O",
    "acetonitrile": "CC#N",
    "THF": "C1CCOC1",
    "dioxane": "C1COCCO1",
    "toluene": "Cc1ccccc1",
    "DMF": "CN(C)C=O",
    "DMSO": "CS(C)=O",
}
TEMPERATURES_C = (25.0, 50.0, 75.0, 100.0)
PARAMETERS = ("amine", "solvent", "temperature_c")


def molecule_descriptors(seed: int = 303) -> pd.DataFrame:
    """800 rows: amine, solvent (each with a ``_smiles`` column), temperature, ``yield_pct``."""
    rng = np.random.default_rng(seed)
    amine, solvent = _properties(AMINES), _properties(SOLVENTS)
    rows = list(product(range(len(AMINES)), range(len(SOLVENTS)), TEMPERATURES_C))
    a = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows])
    t = np.array([r[2] for r in rows]) / 100.0
    smooth = (
        0.8 * amine[a, 0]
        - 0.6 * (solvent[s, 1] - 0.3) ** 2
        + 0.5 * amine[a, 2] * solvent[s, 0]
        - 0.4 * (t - 0.4 - 0.3 * amine[a, 1]) ** 2
    )
    own = rng.normal(0.0, 0.35, len(AMINES))[a] + rng.normal(0.0, 0.35, len(SOLVENTS))[s]
    latent = smooth + own
    positive = np.clip(latent - np.quantile(latent, 0.25), 0.0, None)
    table = pd.DataFrame(
        {
            "amine": [list(AMINES)[i] for i in a],
            "amine_smiles": [list(AMINES.values())[i] for i in a],
            "solvent": [list(SOLVENTS)[i] for i in s],
            "solvent_smiles": [list(SOLVENTS.values())[i] for i in s],
            "temperature_c": t * 100.0,
        }
    )
    table[OBJECTIVE] = np.round(100.0 * positive / positive.max(), 2)
    return table


def _properties(molecules: dict[str, str]) -> np.ndarray:
    """Per molecule: Crippen logP, polar surface area and heavy atoms, each standardized."""
    from rdkit import Chem
    from rdkit.Chem import Crippen, rdMolDescriptors

    values = []
    for smiles in molecules.values():
        molecule = Chem.MolFromSmiles(smiles)
        values.append(
            (
                Crippen.MolLogP(molecule),  # type: ignore[attr-defined]
                rdMolDescriptors.CalcTPSA(molecule),
                float(molecule.GetNumHeavyAtoms()),
            )
        )
    matrix = np.array(values)
    return (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)

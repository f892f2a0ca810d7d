import pytest

from routes.retro import classify, disconnect, forward_gives, step_problems
from routes.templates import CLASSES, TEMPLATES, template

CASES = {
    "amide_from_acid": ("O=C(Nc1ccccc1)c1ccccc1", {"O=C(O)c1ccccc1", "Nc1ccccc1"}),
    "amide_from_acyl_chloride": ("CC(=O)NCc1ccccc1", {"CC(=O)Cl", "NCc1ccccc1"}),
    "steglich_ester": ("CCOC(=O)c1ccccc1", {"O=C(O)c1ccccc1", "CCO"}),
    "suzuki_bromide": ("Cc1ccc(-c2ccccc2)cc1", {"Cc1ccc(Br)cc1", "OB(O)c1ccccc1"}),
    "suzuki_iodide": ("Cc1ccc(-c2ccccc2)cc1", {"Cc1ccc(I)cc1", "OB(O)c1ccccc1"}),
    "buchwald_amination": ("c1ccc(N2CCOCC2)cc1", {"Brc1ccccc1", "C1COCCN1"}),
    "snar_fluoride": ("O=[N+]([O-])c1ccc(N2CCCC2)cc1", {"O=[N+]([O-])c1ccc(F)cc1", "C1CCNC1"}),
    "reductive_amination": ("c1ccc(CN2CCOCC2)cc1", {"O=Cc1ccccc1", "C1COCCN1"}),
    "n_alkylation_bromide": ("c1ccc(CN2CCOCC2)cc1", {"BrCc1ccccc1", "C1COCCN1"}),
    "boc_protection": (
        "CC(C)(C)OC(=O)N1CCOCC1",
        {"C1COCCN1", "CC(C)(C)OC(=O)OC(=O)OC(C)(C)C"},
    ),
    "boc_deprotection": ("C1COCCN1", {"CC(C)(C)OC(=O)N1CCOCC1"}),
    "nitro_reduction": ("Nc1ccc(C)cc1", {"Cc1ccc([N+](=O)[O-])cc1"}),
    "sonogashira_iodide": ("CC#Cc1ccccc1", {"Ic1ccccc1", "C#CC"}),
    "heck_bromide": ("COC(=O)/C=C/c1ccccc1", {"Brc1ccccc1", "C=CC(=O)OC"}),
    "williamson_ether": ("c1ccc(OCc2ccccc2)cc1", {"Oc1ccccc1", "BrCc1ccccc1"}),
}


def test_every_class_has_a_template_and_every_template_a_case() -> None:
    assert {t.reaction_class for t in TEMPLATES} == set(CLASSES)
    assert {t.id for t in TEMPLATES} == set(CASES)
    assert len(CLASSES) >= 12


@pytest.mark.parametrize("template_id", sorted(CASES))
def test_template_disconnects_its_product_and_reads_back_forwards(template_id: str) -> None:
    product, reactants = CASES[template_id]
    t = template(template_id)
    outcomes = [set(r) for r in disconnect(t, product)]
    assert reactants in outcomes
    assert forward_gives(t, tuple(sorted(reactants)), product)


def test_templates_do_not_apply_where_they_should_not() -> None:
    assert disconnect(template("suzuki_bromide"), "CCCCO") == []
    # a plain aryl amine is not SNAr-activated, an activated one is not Buchwald's
    assert disconnect(template("snar_fluoride"), "c1ccc(N2CCOCC2)cc1") == []
    assert disconnect(template("buchwald_amination"), "O=[N+]([O-])c1ccc(N2CCCC2)cc1") == []
    # an amide is not an amine to deprotect or alkylate
    assert disconnect(template("boc_deprotection"), "CC(=O)NC") == []


def test_stereocentres_are_kept_through_the_disconnection() -> None:
    outcomes = disconnect(template("amide_from_acid"), "O=C(N[C@@H](C)c1ccccc1)c1ccccc1")
    assert ("C[C@H](N)c1ccccc1", "O=C(O)c1ccccc1") in [tuple(sorted(o)) for o in outcomes]


def test_classify_recognizes_a_step_and_flags_an_unknown_one() -> None:
    cls, t = classify(("Nc1ccc(Br)cc1", "OB(O)c1ccccc1"), "Nc1ccc(-c2ccccc2)cc1")
    assert cls.name == "suzuki" and t is not None and t.id == "suzuki_bromide"
    cls, t = classify(("CCO",), "CC=O")
    assert cls.name == "unclassified" and t is None


def test_step_problems_catch_a_product_the_template_does_not_make() -> None:
    from routes.retro import make_step

    t = template("suzuki_bromide")
    good = make_step(t, ("Cc1ccc(Br)cc1", "OB(O)c1ccccc1"), "Cc1ccc(-c2ccccc2)cc1")
    assert step_problems(good) == []
    bad = good.model_copy(update={"product": "Cc1ccc(-c2ccccn2)cc1"})
    assert "does not turn" in step_problems(bad)[0]

import numpy as np
import pytest

from planner.errors import InfeasibleSpaceError
from planner.pathway.design import NO_PROMOTER, PathwaySpace
from planner.pathway.doe import is_orthogonal, orthogonal_array, rao_hamming, reduced_library
from planner.pathway.parts import PartsFileError, parse_parts_csv
from tests.pathway_fixtures import GENES, small_library, small_space

HEADER = "id,type,strength,sequence,overhang_5,overhang_3,concentration_ng_ul\n"


def test_parts_file_parses_types_strengths_and_inline_fasta() -> None:
    library = parse_parts_csv(
        HEADER + "p1,promoter,0.5,,GGAG,TACT,\ng1,CDS,,>g1 some gene\\nacgtacgt,,,30\n"
    )
    assert library.get("p1", "promoter").strength == 0.5
    assert library.get("g1").sequence == "ACGTACGT"
    assert library.get("g1").type == "cds"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("p1,promotor,0.5,,,,\n", "row 1 (p1): type 'promotor' is not one of"),
        ("p1,promoter,,,,,\n", "row 1 (p1): a promoter needs a strength"),
        ("p1,promoter,-2,,,,\n", "strength must be a positive number"),
        ("p1,promoter,1,ACGU,,,\n", "non-DNA character(s) U"),
        ("p1,promoter,1,,GGA,,\n", "overhang_5 'GGA' must be four bases"),
        ("p1,promoter,1,,,,\np1,rbs,1,,,,\n", "repeats id(s) p1"),
        ("", "no parts"),
    ],
)
def test_bad_parts_files_give_one_clear_error(body: str, message: str) -> None:
    with pytest.raises(PartsFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_parts_csv(HEADER + body, "parts.csv")


def test_unknown_column_and_unknown_part_are_named() -> None:
    with pytest.raises(PartsFileError, match=r"unknown column.*colour"):
        parse_parts_csv("id,type,colour\np1,promoter,red\n")
    with pytest.raises(PartsFileError, match="unknown part 'crtX'"):
        PathwaySpace(small_library(), ("crtE", "crtX"))


def test_space_levels_fit_each_gene_and_constructs_chain_in_order() -> None:
    space = small_space()
    assert [p.id for p in space.promoter_parts("crtB")] == ["P2_weak", "P2_strong"]
    assert space.search_space().names[-1] == "backbone"
    assert len(space.candidates()) == 2**8 * 2
    design = {
        f"{g}_{k}": f"{'P' if k == 'promoter' else 'R'}{i + 1}_strong"
        for i, g in enumerate(GENES)
        for k in ("promoter", "rbs")
    }
    design["backbone"] = "p15A"
    construct = space.construct(design, "c1")
    assert construct.part_ids[:5] == ("p15A", "P1_strong", "R1_strong", "crtE", "T1")
    assert len(construct.part_ids) == 17
    assert space.copy_number(design) == 15.0


def test_operon_and_parts_cap_filter_the_candidates() -> None:
    space = small_space(allow_operon=True, max_parts=15)
    rows = space.candidates().rows()
    assert all(space.parts_count(r) <= 15 for r in rows)
    assert all(r["crtE_promoter"] != NO_PROMOTER for r in rows)
    # at most 15 parts: a gene in an operon saves its promoter and the upstream terminator
    assert all(sum(r[f"{g}_promoter"] == NO_PROMOTER for g in GENES) >= 1 for r in rows)
    with pytest.raises(InfeasibleSpaceError, match="raise max_parts"):
        small_space(max_parts=5).candidates()


def test_exclusions_and_order_are_part_of_the_space() -> None:
    space = small_space(exclusions=({"crtE_promoter": ["P1_strong"], "crtB_rbs": ["R2_strong"]},))
    rows = space.candidates().rows()
    assert not any(r["crtE_promoter"] == "P1_strong" and r["crtB_rbs"] == "R2_strong" for r in rows)
    ordered = PathwaySpace(small_library(), ("crtE", "crtB"), vary_order=True, backbones=("p15A",))
    assert ordered.search_space().parameter("gene_order").choices == ("crtE-crtB", "crtB-crtE")  # type: ignore[union-attr]


@pytest.mark.parametrize(("p", "k"), [(2, 3), (3, 2), (3, 3), (5, 2)])
def test_rao_hamming_arrays_are_orthogonal(p: int, k: int) -> None:
    array = rao_hamming(p, k)
    assert array.shape == (p**k, (p**k - 1) // (p - 1))
    assert is_orthogonal(array)


def test_mixed_levels_collapse_and_stay_balanced_and_seeded() -> None:
    array = orthogonal_array([3, 3, 2, 3, 2], seed=4)
    assert array.shape[0] == 27 and is_orthogonal(array)  # 5 factors need k = 3
    assert set(array[:, 2]) == {0, 1}
    assert np.array_equal(array, orthogonal_array([3, 3, 2, 3, 2], seed=4))
    assert not np.array_equal(array, orthogonal_array([3, 3, 2, 3, 2], seed=5))
    assert orthogonal_array([2] * 9, max_runs=96).shape[0] == 64


def test_reduced_library_is_an_orthogonal_first_cycle_topped_up_at_random() -> None:
    space = small_space()
    candidates = space.candidates()
    designs = reduced_library(space.search_space(), candidates, 48, seed=1)
    assert len(designs) == 48
    assert len({tuple(sorted(d.items())) for d in designs}) == 48
    assert all(candidates.position(d) is not None for d in designs)
    few = reduced_library(space.search_space(), candidates, 16, seed=1)
    levels = [sum(d["crtE_promoter"] == "P1_strong" for d in few)]
    assert levels == [8]  # balanced: each level in half the runs

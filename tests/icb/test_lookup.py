"""The ICB lookup (simcare/data/national/icb_trusts.csv) checked against the national tables,
and finding an ICB from what a planner types."""

from __future__ import annotations

import pytest

from simcare.icb.lookup import IcbError, find_icb, icbs
from simcare.icb.national import WINDOW, tables


def _attendances_2024(df, org: str):
    rows = df[(df["month"] >= "2024-01-01") & (df["month"] <= WINDOW[1])]
    return rows.groupby(org)["attendances"].sum()


def test_every_icb_of_the_national_table_is_in_the_lookup() -> None:
    published = set(tables().icb_ae["icb"])
    assert {i.code for i in icbs()} == published and len(published) == 42
    assert all(i.acute for i in icbs())


def test_each_trust_with_attendances_is_in_exactly_one_icb() -> None:
    trust = _attendances_2024(tables().trust_ae, "trust")
    placed = [t.code for i in icbs() for t in i.trusts]
    assert len(placed) == len(set(placed)), "a trust is in two ICBs"
    missing = sorted(set(trust[trust > 0].index) - set(placed))
    assert not missing, missing


def test_an_icb_total_holds_its_trusts_and_not_much_more() -> None:
    """The ICB figure counts its trusts' departments plus non-trust providers (GP-led UTCs):
    so its trusts sum to at most the ICB total (0.1 % for rounding) and at least 60 % of it.
    A trust put in the wrong ICB breaks one of the two bounds for one of the ICBs."""
    icb = _attendances_2024(tables().icb_ae, "icb")
    trust = _attendances_2024(tables().trust_ae, "trust")
    shares = {i.code: sum(trust.get(t.code, 0.0) for t in i.trusts) / icb[i.code] for i in icbs()}
    assert all(0.6 <= s <= 1.001 for s in shares.values()), {k: round(v, 3) for k, v in shares.items()}
    assert sum(abs(s - 1) < 1e-9 for s in shares.values()) >= 15  # many match to the attendance


def test_every_acute_trust_has_beds_and_ae_rows_in_the_window() -> None:
    beds = tables().beds
    beds = beds[(beds["month"] >= WINDOW[0]) & (beds["month"] <= WINDOW[1])]
    have = set(beds.dropna(subset=["beds_available"])["trust"])
    missing = [t.code for i in icbs() for t in i.acute if t.code not in have]
    assert not missing


@pytest.mark.parametrize(
    "query",
    [
        "E54000025",
        "e54000025",
        "Hertfordshire and West Essex",
        "HERTFORDSHIRE AND WEST ESSEX",
        "hertfordshire_and_west_essex",
        "hertfordshire",
        "  West Essex ",
    ],
)
def test_an_icb_is_found_by_code_name_key_or_a_unique_part(query: str) -> None:
    assert find_icb(query).code == "E54000025"


def test_an_ambiguous_part_names_the_candidates() -> None:
    with pytest.raises(IcbError, match=r"'london' matches 5 ICBs: North West London \(E54000027\)"):
        find_icb("london")


def test_a_typo_suggests_the_close_names() -> None:
    with pytest.raises(IcbError, match="did you mean.*'hertfordshire and west essex'"):
        find_icb("Hartfordshire and West Esex")


@pytest.mark.parametrize("query", ["", "   ", "x" * 101])
def test_an_empty_or_overlong_name_is_refused(query: str) -> None:
    with pytest.raises(IcbError, match="name an ICB"):
        find_icb(query)

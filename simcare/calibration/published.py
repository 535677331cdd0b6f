"""Readers of the published BNSSG activity data in ``calibration/data/``.

Every reader takes an optional ``data_dir`` (default: the shipped copy, :mod:`simcare.shipped`:
``calibration/data`` of this repository in a checkout, its packaged copy in an installed wheel;
never the working directory) and returns a tidy
:class:`pandas.DataFrame`: one row per observation, one column per variable, with these
conventions:

* ``month`` is the first day of the calendar month (``datetime64``); ``date`` is a day.
* ``trust`` is an NHS trust code (``RVJ`` North Bristol, ``RA7`` University Hospitals Bristol and
  Weston, ``RA3`` Weston Area Health to March 2020, ``NLX*`` Sirona care & health, ``RYF`` South
  Western Ambulance Service); ``icb`` is the ICB code (``E54000039`` BNSSG).
* counts are floats (patients, attendances, beds); rates and shares are fractions in [0, 1],
  never percentages.

A folder holding the national files (same columns, names without the ``_bnssg`` suffix) can
be read too: filter the rows by org code. Each file is checked when read: it has rows (an empty
or header-only file is an error), required columns present, dates parseable as ``YYYY-MM-DD``,
counts and rates finite numbers (``inf`` is refused), counts not negative and no larger than the
file's plausibility bound (:data:`PLAUSIBLE_MAX`, one table per file kind; a count column it
does not name is bounded by :data:`COUNT_MAX`), rates within [0, 2], and for the bed file
occupied beds no more than beds available. A failure raises :class:`DataError` naming the file,
the column and the problem (with the line number of the first bad value).

:func:`targets_apr_nov_2024` gathers the published monthly figures, April to November 2024, that
the regression test of the baseline BNSSG winter scenario compares with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simcare.errors import DataError
from simcare.shipped import calibration_folder

#: Default location of the copied data files (``calibration/data``, shipped with the package).
DATA_DIR: Path = (calibration_folder() / "data").resolve()

#: BNSSG ICB code.
ICB: str = "E54000039"
#: BNSSG acute trusts with type-1 EDs (2020 onwards).
TRUSTS: tuple[str, ...] = ("RVJ", "RA7")
#: IPACS local-authority codes and names.
LOCALITIES: Mapping[str, str] = {
    "B": "Bristol",
    "NS": "North Somerset",
    "SG": "South Gloucestershire",
}

TARGET_MONTHS: tuple[str, str] = ("2024-04-01", "2024-11-01")

#: a count larger than this in any file is not a real figure of one organisation (1e300, typos)
COUNT_MAX: float = 1e7

#: Plausibility bounds per data file kind: the largest value a column may hold, for one
#: organisation and one period of that file (monthly for A&E and beds, daily for criteria to
#: reside and discharges), a few times the largest English trust or ICB, so that a national
#: download filtered by org code passes. ``docs/calibration.md`` ("Data") repeats this table.
PLAUSIBLE_MAX: Mapping[str, Mapping[str, float]] = {
    "ae_attendances_2016_2019_bnssg.csv": {
        "attendances": 500_000,
        "breaches": 500_000,
        "admissions": 500_000,
    },
    "ae_provider_may2022_bnssg.csv": {"*": 500_000},
    "england_trust_accidents_emergency_bnssg.csv": {"*": 500_000},
    "england_icb_accidents_emergency_bnssg.csv": {"*": 1_000_000},
    "england_critical_general_acute_beds_bnssg.csv": {
        "general_acute_beds_available": 10_000,
        "general_acute_beds_occupied": 10_000,
        "adult_general_acute_beds_available": 10_000,
        "adult_general_acute_beds_occupied": 10_000,
        "paediatric_general_acute_beds_available": 2_000,
        "paediatric_general_acute_beds_occupied": 2_000,
        "adult_critical_care_beds_available": 1_000,
        "adult_critical_care_beds_occupied": 1_000,
    },
    "kh03_beds_q4_2021_22_bnssg.csv": {"*": 10_000},
    "england_trust_criteria_to_reside_bnssg.csv": {"*": 5_000},
    "england_icb_criteria_to_reside_bnssg.csv": {"*": 10_000},
    "england_trust_discharged_patients_bnssg.csv": {"*": 5_000},
    "england_icb_discharged_patients_bnssg.csv": {"*": 10_000},
    "england_delayed_discharge_reasons_bnssg.csv": {"*": 5_000},
    "ambsys_june2022_bnssg.csv": {"Incident Count": 1_000_000, "Total Response Time (h)": 10_000_000},
    "ipacs/IPACS_params_arrivals.csv": {"arrivals": 1_000},
    "ipacs/IPACS_params_capacity.csv": {"capacity": 100_000},
    "ipacs/IPACS_params_initial_conditions.csv": {"value": 100_000},
    "ipacs/IPACS_params_los.csv": {"median": 3_650, "mean_los": 3_650, "IVR": 24, "FVR": 24, "sigma": 10},
    "ipacs/IPACS_params_costs.csv": {"community_cost": 100_000, "acute_dtoc": 100_000},
}

#: (occupied, available, tolerance) column triples per file kind: occupied may not exceed available
#: by more than ``tolerance`` (a fraction of available). The all-G&A pair is strict (the model's
#: beds come from it); the adult, paediatric and critical-care splits may be 5 % over because the
#: national sitrep publishes such months (RN3's adult G&A in June, September and October 2022:
#: 506 of 495, 513 of 501, 512 of 502, monthly means of the daily return) and they are real rows.
OCCUPIED_WITHIN: Mapping[str, Sequence[tuple[str, str, float]]] = {
    "england_critical_general_acute_beds_bnssg.csv": [
        ("general_acute_beds_occupied", "general_acute_beds_available", 0.0),
        ("adult_general_acute_beds_occupied", "adult_general_acute_beds_available", 0.05),
        ("paediatric_general_acute_beds_occupied", "paediatric_general_acute_beds_available", 0.05),
        ("adult_critical_care_beds_occupied", "adult_critical_care_beds_available", 0.05),
    ],
}


def plausible_max(name: str, column: str) -> float:
    """The largest plausible value of count ``column`` of data file ``name`` (PLAUSIBLE_MAX)."""
    table = PLAUSIBLE_MAX.get(name, {})
    return float(table.get(column, table.get("*", COUNT_MAX)))


# --- generic checked loading ---------------------------------------------------------------------


def _data_dir(data_dir: str | Path | None) -> Path:
    return DATA_DIR if data_dir is None else Path(data_dir)


def _file(name: str, data_dir: str | Path | None) -> Path:
    """The path of data file ``name``: the BNSSG extract, or else a national download, which has
    the same columns under the name without the ``_bnssg`` suffix (the BNSSG path if neither)."""
    path = _data_dir(data_dir) / name
    if not path.is_file() and name.endswith("_bnssg.csv"):
        national = path.with_name(name.removesuffix("_bnssg.csv") + ".csv")
        return national if national.is_file() else path
    return path


def _line(df: pd.DataFrame, mask: pd.Series, column: str) -> tuple[int, object]:
    """File line number (header = line 1) and raw ``column`` value of the first row where ``mask``."""
    pos = int(np.flatnonzero(mask.to_numpy(dtype=bool))[0])
    return pos + 2, df[column].iloc[pos]


def _load(
    name: str,
    data_dir: str | Path | None,
    *,
    required: Sequence[str],
    dates: Sequence[str] = (),
    counts: Sequence[str] = (),
    rates: Sequence[str] = (),
    text: Sequence[str] = (),
) -> tuple[pd.DataFrame, Path]:
    """Read ``name`` and check it: rows, columns, ``YYYY-MM-DD`` dates, counts, rates.

    Counts and rates may be empty (NaN) where the publication has no value; present values must
    be finite numbers, counts within [0, :func:`plausible_max`] and rates within [0, 2] (bed
    occupancy can exceed 1 briefly); the pairs of :data:`OCCUPIED_WITHIN` are checked too.
    """
    path = _file(name, data_dir)
    if not path.is_file():
        raise DataError(path, None, "file not found (see calibration/data/SOURCES.md for its source)")
    try:
        df = pd.read_csv(path, dtype={c: str for c in (*text, *dates)})
    except pd.errors.EmptyDataError:
        raise DataError(path, None, "cannot be read as CSV: the file is empty (no header, no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(path, None, f"cannot be read as CSV ({exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(path, missing[0], f"missing column(s) {missing}; the file has {list(df.columns)}")
    if df.empty:
        raise DataError(path, None, "no rows: the file has a header and nothing else")
    for col in dates:
        parsed = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna()
        if bad.any():
            line, raw = _line(df, bad, col)
            raise DataError(path, col, f"unparseable date {raw!r} on line {line} (expected YYYY-MM-DD)")
        df[col] = parsed
    for col in (*counts, *rates):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            line, raw = _line(df, bad, col)
            raise DataError(path, col, f"non-numeric value {raw!r} on line {line}")
        bad = values.isin([np.inf, -np.inf])
        if bad.any():
            line, raw = _line(df, bad, col)
            raise DataError(path, col, f"value {raw!r} on line {line} is not a finite number")
        if col in counts:
            bad = values < 0
            if bad.any():
                line, raw = _line(df, bad, col)
                raise DataError(path, col, f"negative count {raw!r} on line {line}")
            top = plausible_max(name, col)
            bad = values > top
            if bad.any():
                line, raw = _line(df, bad, col)
                raise DataError(
                    path,
                    col,
                    f"{raw!r} on line {line} is more than {top:,.0f}, the most one organisation "
                    "can have in this file (PLAUSIBLE_MAX, docs/calibration.md)",
                )
        else:
            bad = (values < 0) | (values > 2)
            if bad.any():
                line, raw = _line(df, bad, col)
                raise DataError(path, col, f"rate {raw!r} on line {line} is outside [0, 2]")
        df[col] = values.astype(float)
    for col in text:
        bad = df[col].isna()
        if bad.any():
            raise DataError(path, col, f"empty value on line {_line(df, bad, col)[0]}")
        df[col] = df[col].astype(str).str.strip()
    for occupied, available, tolerance in OCCUPIED_WITHIN.get(name, ()):
        if occupied in df.columns and available in df.columns:
            bad = df[occupied] > df[available] * (1.0 + tolerance)
            if bad.any():
                line, raw = _line(df, bad, occupied)
                over = f" by more than {tolerance:.0%}" if tolerance else ""
                raise DataError(
                    path, occupied, f"{raw!r} on line {line} is more than {available}{over} on that line"
                )
    return df, path


def _check_unique(df: pd.DataFrame, keys: Sequence[str], path: Path) -> None:
    dup = df.duplicated(list(keys))
    if dup.any():
        line, _ = _line(df, dup, keys[0])
        raise DataError(path, keys[0], f"duplicate row for {list(keys)} on line {line}")


def _split_node(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """IPACS ``node`` such as ``P2_NS`` -> ``pathway`` ``P2``, ``locality`` ``NS``, ``local_authority``."""
    parts = df["node"].str.extract(r"^(P[0-3])_([A-Z]+)$")
    bad = parts[0].isna() | ~parts[1].isin(list(LOCALITIES))
    if bad.any():
        line, raw = _line(df, bad, "node")
        raise DataError(path, "node", f"node {raw!r} on line {line} is not P<n>_<B|NS|SG>")
    out = df.copy()
    out.insert(1, "pathway", parts[0])
    out.insert(2, "locality", parts[1])
    out.insert(3, "local_authority", parts[1].map(LOCALITIES))
    return out


# --- A&E ----------------------------------------------------------------------------------------


def ae_attendances_2016_2019(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Monthly A&E activity by provider and A&E type, April 2016 - March 2019.

    Columns: ``month``, ``trust`` (provider: RVJ, RA7, RA3, NLX02, NLX24), ``type`` (``"1"``
    major ED, ``"2"`` single-specialty, ``"other"`` UTC/MIU/WiC), ``attendances``, ``breaches``
    (over 4 h arrival to departure) and ``admissions`` (emergency admissions via that A&E), all
    per month.
    """
    df, path = _load(
        "ae_attendances_2016_2019_bnssg.csv",
        data_dir,
        required=["period", "org_code", "type", "attendances", "breaches", "admissions"],
        dates=["period"],
        counts=["attendances", "breaches", "admissions"],
        text=["org_code", "type"],
    )
    df = df.rename(columns={"period": "month", "org_code": "trust"})
    _check_unique(df, ["month", "trust", "type"], path)
    return df[["month", "trust", "type", "attendances", "breaches", "admissions"]]


_AE_COLUMNS = {
    "total_attendances": "attendances",
    "attendances_over_4hours": "attendances_over_4h",
    "total_emergency_admissions": "emergency_admissions",
    "emergency_admissions_over_4hours": "emergency_admissions_over_4h",
}


def _ae_monthly(name: str, org_col: str, org_name: str, data_dir: str | Path | None) -> pd.DataFrame:
    df, path = _load(
        name,
        data_dir,
        required=[org_col, "date", *_AE_COLUMNS],
        dates=["date"],
        counts=list(_AE_COLUMNS),
        text=[org_col],
    )
    df = df.rename(columns={org_col: org_name, "date": "month", **_AE_COLUMNS})
    _check_unique(df, ["month", org_name], path)
    for over, total in (
        ("attendances_over_4h", "attendances"),
        ("emergency_admissions_over_4h", "emergency_admissions"),
    ):
        bad = df[over] > df[total]
        if bad.any():
            line, raw = _line(df, bad, over)
            raise DataError(path, over, f"{raw!r} on line {line} exceeds {total}")
    df["within_4h"] = 1.0 - df["attendances_over_4h"] / df["attendances"]
    df["dta_over_4h"] = df["emergency_admissions_over_4h"] / df["emergency_admissions"]
    cols = ["month", org_name, *_AE_COLUMNS.values(), "within_4h", "dta_over_4h"]
    return df[cols].sort_values(["month", org_name], ignore_index=True)


def trust_ae_monthly(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Monthly A&E by acute trust, April 2021 - November 2024 (RA7 from September 2021).

    Columns: ``month``, ``trust``, ``attendances`` (all A&E types), ``attendances_over_4h``
    (arrival to departure), ``emergency_admissions`` (all emergency admissions, not only via
    A&E), ``emergency_admissions_over_4h`` (over 4 h from decision to admit to admission),
    ``within_4h`` (fraction of attendances within 4 h) and ``dta_over_4h`` (fraction of emergency
    admissions waiting over 4 h from decision to admit), both computed from the counts.
    """
    return _ae_monthly("england_trust_accidents_emergency_bnssg.csv", "nhs_trust22_code", "trust", data_dir)


def icb_ae_monthly(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Monthly A&E for the BNSSG ICB (all providers, including UTCs), April 2022 - November 2024.

    Same columns as :func:`trust_ae_monthly` with ``icb`` in place of ``trust``.
    """
    return _ae_monthly("england_icb_accidents_emergency_bnssg.csv", "icb22_code", "icb", data_dir)


def ae_attribution(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Share of each provider's A&E attendances attributed to an acute trust (2022-23).

    Columns: ``provider`` (e.g. ``NLX`` Sirona), ``trust`` (acute trust), ``share`` (fraction).
    """
    df, path = _load(
        "england_ae_acute_trust_attribution_bnssg.csv",
        data_dir,
        required=[
            "nhs_trust22_code_all",
            "nhs_trust22_code_acute",
            "proportion_attendances_attributed_to_acute_trust",
        ],
        rates=["proportion_attendances_attributed_to_acute_trust"],
        text=["nhs_trust22_code_all", "nhs_trust22_code_acute"],
    )
    df = df.rename(
        columns={
            "nhs_trust22_code_all": "provider",
            "nhs_trust22_code_acute": "trust",
            "proportion_attendances_attributed_to_acute_trust": "share",
        }
    )
    total = df.groupby("provider")["share"].sum()
    off = total[(total - 1.0).abs() > 1e-6]
    if len(off):
        raise DataError(
            path,
            "proportion_attendances_attributed_to_acute_trust",
            f"shares of provider {off.index[0]!r} sum to {off.iloc[0]:g}, not 1",
        )
    return df[["provider", "trust", "share"]]


def ae_provider_may2022(data_dir: str | Path | None = None) -> pd.DataFrame:
    """A&E by trust and type for May 2022 (one month), with waits from decision to admit.

    Columns: ``trust``, ``trust_name``, ``type1_attendances``, ``type2_attendances``,
    ``type3_attendances``, ``attendances`` (all types), ``type1_within_4h``,
    ``type2_within_4h``, ``type3_within_4h``, ``within_4h`` (fractions; NaN where no
    attendances of that type), ``dta_over_4h`` and ``dta_over_12h`` (patients waiting 4 h or more
    / 12 h or more from decision to admit to admission, counts for the month).
    """
    cols = {
        "Trust Code": "trust",
        "Trust Name": "trust_name",
        "No. Type 1 Attendance": "type1_attendances",
        "No. Type 2 Attendance": "type2_attendances",
        "No. Type 3 Attendance": "type3_attendances",
        "No. Attendance Total": "attendances",
        "% Type 1 <= 4 hours": "type1_within_4h",
        "% Type 2 <= 4 hours": "type2_within_4h",
        "% Type 3 <= 4 hours": "type3_within_4h",
        "% Total <= 4 hours": "within_4h",
        "No. patients >= 4h from decisiion to admit to admission": "dta_over_4h",
        "No. patients >= 12h from decisiion to admit to admission": "dta_over_12h",
    }
    counts = [c for c in cols if c.startswith("No.")]
    rates = [c for c in cols if c.startswith("%")]
    df, _ = _load(
        "ae_provider_may2022_bnssg.csv",
        data_dir,
        required=list(cols),
        counts=counts,
        rates=rates,
        text=["Trust Code", "Trust Name"],
    )
    return df.rename(columns=cols)[list(cols.values())]


# --- beds ---------------------------------------------------------------------------------------

_BED_COLUMNS = {
    "general_acute_beds_available": "beds_available",
    "general_acute_beds_occupied": "beds_occupied",
    "general_acute_beds_occupancy_rate": "occupancy",
    "adult_general_acute_beds_available": "adult_beds_available",
    "adult_general_acute_beds_occupied": "adult_beds_occupied",
    "paediatric_general_acute_beds_available": "paediatric_beds_available",
    "paediatric_general_acute_beds_occupied": "paediatric_beds_occupied",
    "adult_critical_care_beds_available": "adult_critical_care_available",
    "adult_critical_care_beds_occupied": "adult_critical_care_occupied",
}


def ga_beds_monthly(data_dir: str | Path | None = None) -> pd.DataFrame:
    """General & acute (G&A) and adult critical-care beds by trust, April 2022 - November 2024.

    Monthly means of the daily sitrep. Columns: ``month``, ``trust``, ``beds_available``,
    ``beds_occupied`` (all G&A), ``occupancy`` (fraction, as published), then the adult and
    paediatric G&A split and adult critical care (``*_available``, ``*_occupied``; NaN where a
    trust has none: RVJ has no paediatric G&A beds, the children's hospital is RA7's).
    """
    counts = [c for c in _BED_COLUMNS if not c.endswith("rate")]
    df, path = _load(
        "england_critical_general_acute_beds_bnssg.csv",
        data_dir,
        required=["nhs_trust22_code", "date", *_BED_COLUMNS],
        dates=["date"],
        counts=counts,
        rates=["general_acute_beds_occupancy_rate"],
        text=["nhs_trust22_code"],
    )
    df = df.rename(columns={"nhs_trust22_code": "trust", "date": "month", **_BED_COLUMNS})
    _check_unique(df, ["month", "trust"], path)
    return df[["month", "trust", *_BED_COLUMNS.values()]].sort_values(["month", "trust"], ignore_index=True)


def kh03_beds_q4_2021_22(data_dir: str | Path | None = None) -> pd.DataFrame:
    """KH03 beds by trust, sector and day/night, January - March 2022 (quarterly means).

    Columns: ``trust``, ``sector`` (``total``, ``general_acute``, ``learning_disabilities``,
    ``maternity``, ``mental_illness``), ``period`` (``day`` or ``night``), ``occupied``,
    ``occupancy`` (fraction) and ``available`` (= occupied / occupancy; NaN where occupancy is
    not published). Rows with nothing published (e.g. the ambulance trust) are dropped.
    """
    sectors = {
        "Total": "total",
        "General Acute": "general_acute",
        "Learning Disabilities": "learning_disabilities",
        "Maternity": "maternity",
        "Mental Illness": "mental_illness",
    }
    occ_cols = [f"{s} {p} Beds Occupied" for p in ("Day", "Night") for s in sectors]
    pct_cols = [f"% {s} {p} Beds Occupied" for p in ("Day", "Night") for s in sectors]
    df, _ = _load(
        "kh03_beds_q4_2021_22_bnssg.csv",
        data_dir,
        required=["Trust Code", *occ_cols, *pct_cols],
        counts=occ_cols,
        rates=pct_cols,
        text=["Trust Code"],
    )
    rows = []
    for _, r in df.iterrows():
        for label, sector in sectors.items():
            for period in ("Day", "Night"):
                occupied = r[f"{label} {period} Beds Occupied"]
                rate = r[f"% {label} {period} Beds Occupied"]
                if pd.isna(occupied):
                    continue
                available = occupied / rate if rate and not pd.isna(rate) else np.nan
                rows.append((r["Trust Code"], sector, period.lower(), occupied, rate, available))
    return pd.DataFrame(rows, columns=["trust", "sector", "period", "occupied", "occupancy", "available"])


# --- criteria to reside and discharges (daily) --------------------------------------------------


def _zero_gaps(df: pd.DataFrame, value: str) -> pd.Series:
    """Days (``date``) on which any trust reported 0: reporting gaps, not real zeros."""
    return df.loc[df[value] == 0, "date"].drop_duplicates()


def has_file(name: str, data_dir: str | Path | None) -> bool:
    """Whether the data folder holds file ``name`` (or its national name without ``_bnssg``)."""
    return _file(name, data_dir).is_file()


def _trust_zero_gaps(
    reader: Callable[..., pd.DataFrame], name: str, data_dir: str | Path | None, value: str
) -> pd.Series:
    """The trust-reported zero days, if the folder has the trust file: a national folder (the
    package's ``simcare/data/national``) has ICB files only, and then only the ICB's own zeros
    are gaps."""
    if not has_file(name, data_dir):
        return pd.Series([], dtype="datetime64[ns]")
    return _zero_gaps(reader(data_dir, zero_as_missing=False), value)


def trust_nctr_daily(data_dir: str | Path | None = None, *, zero_as_missing: bool = True) -> pd.DataFrame:
    """Patients in acute beds who no longer meet the criteria to reside (NCTR), by trust and day.

    April 2022 - November 2024. Columns: ``date``, ``trust``, ``nctr`` (patients, snapshot).
    About ten trust-days in 2022-06 ... 2023-03 report 0: reporting gaps, set to NaN unless
    ``zero_as_missing`` is false.
    """
    df, path = _load(
        "england_trust_criteria_to_reside_bnssg.csv",
        data_dir,
        required=["nhs_trust22_code", "date", "do_not_meet_criteria_to_reside"],
        dates=["date"],
        counts=["do_not_meet_criteria_to_reside"],
        text=["nhs_trust22_code"],
    )
    df = df.rename(columns={"nhs_trust22_code": "trust", "do_not_meet_criteria_to_reside": "nctr"})
    _check_unique(df, ["date", "trust"], path)
    if zero_as_missing:
        df["nctr"] = df["nctr"].mask(df["nctr"] == 0)
    return df[["date", "trust", "nctr"]].sort_values(["date", "trust"], ignore_index=True)


def icb_nctr_daily(data_dir: str | Path | None = None, *, zero_as_missing: bool = True) -> pd.DataFrame:
    """NCTR patients in BNSSG acute beds by day (the sum of RVJ and RA7).

    Columns: ``date``, ``icb``, ``nctr``. With ``zero_as_missing`` (default) a day is NaN when
    the ICB figure is 0 or when either trust reported 0 that day (the ICB figure then counts one
    trust only: 27 June - 3 July 2022 it is RVJ's alone); the trust file is read for that.
    """
    df, path = _load(
        "england_icb_criteria_to_reside_bnssg.csv",
        data_dir,
        required=["icb22_code", "date", "do_not_meet_criteria_to_reside"],
        dates=["date"],
        counts=["do_not_meet_criteria_to_reside"],
        text=["icb22_code"],
    )
    df = df.rename(columns={"icb22_code": "icb", "do_not_meet_criteria_to_reside": "nctr"})
    _check_unique(df, ["date", "icb"], path)
    if zero_as_missing:
        gaps = _trust_zero_gaps(
            trust_nctr_daily, "england_trust_criteria_to_reside_bnssg.csv", data_dir, "nctr"
        )
        df["nctr"] = df["nctr"].mask((df["nctr"] == 0) | df["date"].isin(gaps))
    return df[["date", "icb", "nctr"]].sort_values("date", ignore_index=True)


_DISCHARGE_COLUMNS = {
    "discharged_total": "discharges",
    "discharged_by_1700": "discharges_by_1700",
    "discharged_between_1701_2359": "discharges_after_1700",
}


def trust_discharges_daily(
    data_dir: str | Path | None = None, *, zero_as_missing: bool = True
) -> pd.DataFrame:
    """Discharges from acute beds by trust and day, April 2022 - November 2024.

    Columns: ``date``, ``trust``, ``discharges`` (patients discharged that day),
    ``discharges_by_1700`` and ``discharges_after_1700`` (published only to May 2023, else NaN).
    Reported zeros (the same trust-days as the NCTR gaps) are NaN unless ``zero_as_missing`` is
    false.
    """
    df, path = _load(
        "england_trust_discharged_patients_bnssg.csv",
        data_dir,
        required=["nhs_trust22_code", "date", *_DISCHARGE_COLUMNS],
        dates=["date"],
        counts=list(_DISCHARGE_COLUMNS),
        text=["nhs_trust22_code"],
    )
    df = df.rename(columns={"nhs_trust22_code": "trust", **_DISCHARGE_COLUMNS})
    _check_unique(df, ["date", "trust"], path)
    if zero_as_missing:
        df["discharges"] = df["discharges"].mask(df["discharges"] == 0)
    cols = ["date", "trust", *_DISCHARGE_COLUMNS.values()]
    return df[cols].sort_values(["date", "trust"], ignore_index=True)


def icb_discharges_daily(data_dir: str | Path | None = None, *, zero_as_missing: bool = True) -> pd.DataFrame:
    """Discharges from BNSSG acute beds by day (sum of the trusts); columns as the trust reader.

    With ``zero_as_missing`` a day is NaN when the ICB total is 0 or either trust reported 0 (read
    from the trust file).
    """
    df, path = _load(
        "england_icb_discharged_patients_bnssg.csv",
        data_dir,
        required=["icb22_code", "date", *_DISCHARGE_COLUMNS],
        dates=["date"],
        counts=list(_DISCHARGE_COLUMNS),
        text=["icb22_code"],
    )
    df = df.rename(columns={"icb22_code": "icb", **_DISCHARGE_COLUMNS})
    _check_unique(df, ["date", "icb"], path)
    if zero_as_missing:
        gaps = _trust_zero_gaps(
            trust_discharges_daily, "england_trust_discharged_patients_bnssg.csv", data_dir, "discharges"
        )
        df["discharges"] = df["discharges"].mask((df["discharges"] == 0) | df["date"].isin(gaps))
    return df[["date", "icb", *_DISCHARGE_COLUMNS.values()]].sort_values("date", ignore_index=True)


# --- delay reasons ------------------------------------------------------------------------------

_PATHWAY_RE = re.compile(r"\(Pathway ([0-3])(?:\s*(or|-)\s*([0-3]))?\)")
_CATEGORY_RE = re.compile(r"^(.*?)\s*[–-]")  # text before the first dash (en dash or hyphen)


def classify_delay_reason(reason: str) -> tuple[str, str]:
    """``(category, pathway)`` of an acute discharge sitrep delay reason.

    ``category`` is the text before the first dash, lower case (``capacity``, ``hospital
    process``, ``care transfer hub process``, ``interface process``, ``wellbeing concerns``).
    ``pathway`` is ``P0`` ... ``P3`` when the reason names one pathway, ``P1|P3`` for "Pathway 1
    or 3", ``P1-P3`` for "Pathway 1-3", and ``""`` when it names none.
    """
    reason = " ".join(reason.split())
    m = _CATEGORY_RE.match(reason)
    category = (m.group(1) if m else reason).strip().lower()
    p = _PATHWAY_RE.search(reason)
    if p is None:
        pathway = ""
    elif p.group(2) is None:
        pathway = f"P{p.group(1)}"
    elif p.group(2) == "or":
        pathway = f"P{p.group(1)}|P{p.group(3)}"
    else:
        pathway = f"P{p.group(1)}-P{p.group(3)}"
    return category, pathway


def delay_reasons_monthly(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Delayed-discharge patients by trust, month and reason, June - November 2024.

    Columns: ``month``, ``trust``, ``reason`` (the sitrep's text, runs of white space including
    no-break spaces collapsed to one space), ``category`` and ``pathway``
    (from :func:`classify_delay_reason`) and ``patients`` (as published: a monthly figure per
    reason, read as the average number of delayed patients per day; the totals are about 40 % of
    the NCTR stock, so the file covers a subset of NCTR patients: use shares, not levels).
    """
    df, path = _load(
        "england_delayed_discharge_reasons_bnssg.csv",
        data_dir,
        required=["nhs_trust22_code", "date", "delay_reason", "delay_count"],
        dates=["date"],
        counts=["delay_count"],
        text=["nhs_trust22_code", "delay_reason"],
    )
    df = df.rename(
        columns={
            "nhs_trust22_code": "trust",
            "date": "month",
            "delay_reason": "reason",
            "delay_count": "patients",
        }
    )
    df["reason"] = df["reason"].map(lambda r: " ".join(str(r).split()))  # no-break spaces -> spaces
    _check_unique(df, ["month", "trust", "reason"], path)
    classes = df["reason"].map(classify_delay_reason)
    df["category"] = [c for c, _ in classes]
    df["pathway"] = [p for _, p in classes]
    return df[["month", "trust", "reason", "category", "pathway", "patients"]]


# --- ambulance ----------------------------------------------------------------------------------


def ambsys_june2022(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Ambulance incidents and response times by category, June 2022 (SWASFT, ``RYF``).

    Columns: ``trust``, ``category`` (``cat1``, ``cat1t`` (category 1 conveyed), ``cat2``,
    ``cat3``, ``cat4``), ``incidents`` (per month), ``response_hours`` (total), ``mean_response_min``
    (total hours x 60 / incidents; the published ``min:sec`` text drops whole hours and is not
    used) and ``p90_response_text`` (as published: minutes:seconds with any whole hours dropped,
    so unreliable above 60 minutes).
    """
    df, _ = _load(
        "ambsys_june2022_bnssg.csv",
        data_dir,
        required=[
            "Trust Code",
            "Category",
            "Incident Count",
            "Total Response Time (h)",
            "90th Centile Response Time (min:sec)",
        ],
        counts=["Incident Count", "Total Response Time (h)"],
        text=["Trust Code", "Category"],
    )
    out = pd.DataFrame(
        {
            "trust": df["Trust Code"],
            "category": df["Category"],
            "incidents": df["Incident Count"],
            "response_hours": df["Total Response Time (h)"],
            "mean_response_min": df["Total Response Time (h)"] * 60.0 / df["Incident Count"],
            "p90_response_text": df["90th Centile Response Time (min:sec)"].astype(str),
        }
    )
    return out


# --- IPACS discharge-to-assess inputs -----------------------------------------------------------


def ipacs_arrivals(data_dir: str | Path | None = None, *, scenario: str | None = "BArr") -> pd.DataFrame:
    """Daily arrivals to discharge-to-assess pathways by local authority, January - June 2023.

    Columns: ``date``, ``node`` (e.g. ``P1_B``), ``pathway`` (P1 home with support, P2
    rehabilitation bed, P3 care-home bed), ``locality`` (B, NS, SG), ``local_authority``,
    ``scenario`` (``BArr`` base, ``S1Arr`` alternative) and ``arrivals`` (expected patients per
    day, a Poisson mean). ``scenario=None`` returns every scenario.
    """
    df, path = _load(
        "ipacs/IPACS_params_arrivals.csv",
        data_dir,
        required=["node", "arrivals", "scenario", "date"],
        dates=["date"],
        counts=["arrivals"],
        text=["node", "scenario"],
    )
    df = _split_node(df, path)
    _check_unique(df, ["date", "node", "scenario"], path)
    if scenario is not None:
        if scenario not in set(df["scenario"]):
            raise DataError(path, "scenario", f"no rows for scenario {scenario!r}")
        df = df[df["scenario"] == scenario]
    return df[["date", "node", "pathway", "locality", "local_authority", "scenario", "arrivals"]].reset_index(
        drop=True
    )


def ipacs_los(data_dir: str | Path | None = None, *, scenario: str | None = "Blos") -> pd.DataFrame:
    """Lognormal length of stay in discharge-to-assess services, in days.

    Columns: ``node``, ``pathway``, ``locality``, ``local_authority``, ``scenario`` (``Blos``
    base, ``S1los``, ``S2los``), ``median_days``, ``mean_days``, ``mu`` and ``sigma`` (of the
    log, days; IPACS sets mu = ln(median), sigma = sqrt(2 (ln(mean) - mu))), ``sd_days`` (the
    distribution's standard deviation) and, for P1 (home visits), ``initial_visits_per_day`` and
    ``final_visits_per_day``.
    """
    df, path = _load(
        "ipacs/IPACS_params_los.csv",
        data_dir,
        required=["node", "median", "IVR", "FVR", "scenario", "mean_los", "los_dist", "mu", "sigma"],
        counts=["median", "IVR", "FVR", "mean_los", "sigma"],
        text=["node", "scenario", "los_dist"],
    )
    bad = df["los_dist"] != "lnorm"
    if bad.any():
        line, raw = _line(df, bad, "los_dist")
        raise DataError(path, "los_dist", f"distribution {raw!r} on line {line} is not 'lnorm'")
    mu = pd.to_numeric(df["mu"], errors="coerce")
    if mu.isna().any():
        line, raw = _line(df, mu.isna(), "mu")
        raise DataError(path, "mu", f"non-numeric value {raw!r} on line {line}")
    bad = ~mu.between(-10.0, 10.0)  # log of days: e^10 days is 60 years
    if bad.any():
        line, raw = _line(df, bad, "mu")
        raise DataError(path, "mu", f"{raw!r} on line {line} is outside [-10, 10] (log of days)")
    df["mu"] = mu
    df = _split_node(df, path)
    if scenario is not None:
        df = df[df["scenario"] == scenario]
    df = df.rename(
        columns={
            "median": "median_days",
            "mean_los": "mean_days",
            "IVR": "initial_visits_per_day",
            "FVR": "final_visits_per_day",
        }
    )
    df["sd_days"] = df["mean_days"] * np.sqrt(np.expm1(df["sigma"] ** 2))
    cols = [
        "node",
        "pathway",
        "locality",
        "local_authority",
        "scenario",
        "median_days",
        "mean_days",
        "mu",
        "sigma",
        "sd_days",
        "initial_visits_per_day",
        "final_visits_per_day",
    ]
    return df[cols].reset_index(drop=True)


def ipacs_capacity(data_dir: str | Path | None = None, *, scenario: str | None = "BCap") -> pd.DataFrame:
    """Discharge-to-assess capacity by pathway and local authority.

    Columns: ``node``, ``pathway``, ``locality``, ``local_authority``, ``scenario`` (``BCap``
    base; ``S1Cap`` is 2000, i.e. unconstrained) and ``capacity``: beds for P2 and P3; for P1 the
    number of patients served at the mean visit rate (IPACS's daily visit slots are capacity x
    the mean of the initial and final visit rates).
    """
    df, path = _load(
        "ipacs/IPACS_params_capacity.csv",
        data_dir,
        required=["node", "scenario", "capacity"],
        counts=["capacity"],
        text=["node", "scenario"],
    )
    df = _split_node(df, path)
    if scenario is not None:
        df = df[df["scenario"] == scenario]
    cols = ["node", "pathway", "locality", "local_authority", "scenario", "capacity"]
    return df[cols].reset_index(drop=True)


def ipacs_initial_conditions(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Discharge-to-assess state on 1 January 2023 by pathway and local authority.

    Columns: ``node``, ``pathway``, ``locality``, ``local_authority``, ``in_service`` (patients
    in the service, IPACS ``occ``) and ``waiting`` (patients in acute beds waiting for it, IPACS
    ``dtoc``).
    """
    df, path = _load(
        "ipacs/IPACS_params_initial_conditions.csv",
        data_dir,
        required=["node", "measure", "value"],
        counts=["value"],
        text=["node", "measure"],
    )
    bad = ~df["measure"].isin(["occ", "dtoc"])
    if bad.any():
        line, raw = _line(df, bad, "measure")
        raise DataError(path, "measure", f"unknown measure {raw!r} on line {line} (expected occ or dtoc)")
    _check_unique(df, ["node", "measure"], path)
    wide = df.pivot(index="node", columns="measure", values="value").reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={"occ": "in_service", "dtoc": "waiting"})
    wide = _split_node(wide, path)
    return wide[["node", "pathway", "locality", "local_authority", "in_service", "waiting"]]


def ipacs_costs(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Daily costs (GBP per patient-day) used by IPACS.

    Columns: ``node``, ``pathway``, ``locality``, ``local_authority``, ``community_cost`` (per
    day in the D2A service) and ``acute_delay_cost`` (per day waiting in an acute bed).
    """
    df, path = _load(
        "ipacs/IPACS_params_costs.csv",
        data_dir,
        required=["node", "community_cost", "acute_dtoc"],
        counts=["community_cost", "acute_dtoc"],
        text=["node"],
    )
    df = _split_node(df.rename(columns={"acute_dtoc": "acute_delay_cost"}), path)
    return df[["node", "pathway", "locality", "local_authority", "community_cost", "acute_delay_cost"]]


# --- calibration targets ------------------------------------------------------------------------


def _in_window(months: pd.Series, window: tuple[str, str]) -> pd.Series:
    return (months >= pd.Timestamp(window[0])) & (months <= pd.Timestamp(window[1]))


def long_rows(
    df: pd.DataFrame, org_col: str, measures: Iterable[tuple[str, str, str]], source: str
) -> list[pd.DataFrame]:
    """One long frame (month, org, measure, value, unit, source) per (column, measure, unit)."""
    out = []
    for column, measure, unit in measures:
        out.append(
            pd.DataFrame(
                {
                    "month": df["month"].to_numpy(),
                    "org": df[org_col].to_numpy(),
                    "measure": measure,
                    "value": df[column].to_numpy(dtype=float),
                    "unit": unit,
                    "source": source,
                }
            )
        )
    return out


def monthly_daily_mean(daily: pd.DataFrame, org_col: str, value: str) -> pd.DataFrame:
    """Mean over each calendar month of a daily series (NaN days skipped) and days counted."""
    d = daily.assign(month=daily["date"].dt.to_period("M").dt.to_timestamp())
    g = d.groupby(["month", org_col])[value]
    return (
        g.mean()
        .rename(value)
        .reset_index()
        .merge(g.count().rename("days").reset_index(), on=["month", org_col])
    )


def targets_apr_nov_2024(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Published BNSSG monthly figures for April - November 2024, the baseline's targets.

    A long table with columns ``month`` (first of the month), ``org`` (``E54000039`` for the ICB,
    ``RVJ`` or ``RA7``), ``measure``, ``value``, ``unit`` and ``source`` (file). Measures:

    ==========================  =========  =================================================
    measure                     orgs       unit / meaning
    ==========================  =========  =================================================
    ``ae_attendances``          ICB, RVJ,  attendances per month, all A&E types (the ICB
                                RA7        includes UTC/MIU providers, the trusts do not)
    ``ae_within_4h``            ICB, RVJ,  fraction of attendances within 4 h of arrival
                                RA7
    ``emergency_admissions``    ICB, RVJ,  emergency admissions per month (all routes)
                                RA7
    ``dta_over_4h``             ICB, RVJ,  fraction of emergency admissions waiting over 4 h
                                RA7        from decision to admit to admission
    ``ga_beds_available``       RVJ, RA7   G&A beds available (monthly mean of daily counts)
    ``ga_beds_occupied``        RVJ, RA7   G&A beds occupied (monthly mean)
    ``ga_occupancy``            RVJ, RA7   G&A occupancy, fraction (as published)
    ``nctr``                    ICB, RVJ,  patients not meeting the criteria to reside: mean
                                RA7        of the daily counts over the month, 0-reporting
                                           gaps treated as missing
    ``discharges_per_day``      ICB, RVJ,  acute discharges per day, monthly mean of daily
                                RA7        counts (0-reporting gaps missing)
    ==========================  =========  =================================================
    """
    window = TARGET_MONTHS
    parts: list[pd.DataFrame] = []

    ae_measures = [
        ("attendances", "ae_attendances", "attendances per month"),
        ("within_4h", "ae_within_4h", "fraction of attendances"),
        ("emergency_admissions", "emergency_admissions", "admissions per month"),
        ("dta_over_4h", "dta_over_4h", "fraction of emergency admissions"),
    ]
    icb = icb_ae_monthly(data_dir)
    parts += long_rows(
        icb[_in_window(icb["month"], window)], "icb", ae_measures, "england_icb_accidents_emergency_bnssg.csv"
    )
    trust = trust_ae_monthly(data_dir)
    trust = trust[_in_window(trust["month"], window) & trust["trust"].isin(TRUSTS)]
    parts += long_rows(trust, "trust", ae_measures, "england_trust_accidents_emergency_bnssg.csv")

    beds = ga_beds_monthly(data_dir)
    beds = beds[_in_window(beds["month"], window) & beds["trust"].isin(TRUSTS)]
    parts += long_rows(
        beds,
        "trust",
        [
            ("beds_available", "ga_beds_available", "beds (monthly mean)"),
            ("beds_occupied", "ga_beds_occupied", "beds (monthly mean)"),
            ("occupancy", "ga_occupancy", "fraction of G&A beds"),
        ],
        "england_critical_general_acute_beds_bnssg.csv",
    )

    for reader_icb, reader_trust, value, measure, unit, files in (
        (
            icb_nctr_daily,
            trust_nctr_daily,
            "nctr",
            "nctr",
            "patients (daily mean over month)",
            ("england_icb_criteria_to_reside_bnssg.csv", "england_trust_criteria_to_reside_bnssg.csv"),
        ),
        (
            icb_discharges_daily,
            trust_discharges_daily,
            "discharges",
            "discharges_per_day",
            "discharges per day (monthly mean)",
            ("england_icb_discharged_patients_bnssg.csv", "england_trust_discharged_patients_bnssg.csv"),
        ),
    ):
        for reader, org_col, file in ((reader_icb, "icb", files[0]), (reader_trust, "trust", files[1])):
            daily = reader(data_dir)
            monthly = monthly_daily_mean(daily, org_col, value)
            monthly = monthly[_in_window(monthly["month"], window)]
            parts += long_rows(monthly, org_col, [(value, measure, unit)], file)

    out = pd.concat(parts, ignore_index=True)
    expected = pd.date_range(window[0], window[1], freq="MS")
    for key, g in out.groupby(["org", "measure"]):
        org, measure = str(key[0]), str(key[1])
        missing = expected.difference(pd.DatetimeIndex(g["month"]))
        if len(missing) or g["value"].isna().any():
            raise DataError(
                _data_dir(data_dir) / str(g["source"].iloc[0]),
                measure,
                f"no value for {org} in {', '.join(m.strftime('%Y-%m') for m in missing) or 'some month'}",
            )
    return out.sort_values(["measure", "org", "month"], ignore_index=True)

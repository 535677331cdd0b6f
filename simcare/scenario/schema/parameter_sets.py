"""``parameter_sets``: a sample of plausible parameter sets, as dimensionless multipliers."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from simcare.scenario.schema.base import Loc, Multiplier, Name, Spec, problem_error


class SetParameterSpec(Spec):
    """One column of ``parameter_sets.sets``: what its multiplier scales."""

    name: Name = Field(description="parameter name (as in the calibration specification)")
    paths: list[Name] = Field(
        min_length=1,
        description="dotted paths into the merged scenario "
        "document, '*' matching every key, e.g. "
        "ed.*.acuity.*.treatment_time.mean",
    )


class ParameterSetsSpec(Spec):
    """``parameter_sets``: a sample of plausible parameter sets, as multipliers (dimensionless)
    of the values the document holds; a run that draws uses set ``r mod n`` in replication r."""

    draw: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="true: every run draws one set per replication (default false: "
        "only runs that ask, e.g. --parameter-sets)",
    )
    parameters: list[SetParameterSpec] = Field(
        min_length=1, description="what each column of sets multiplies, in column order"
    )
    sets: list[list[Multiplier]] = Field(
        min_length=1,
        description="one row per set, one multiplier per parameter (above 0, at most 1000); "
        "the first set is usually all ones (the document itself)",
    )

    @model_validator(mode="after")
    def _rows(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for i, p in enumerate(self.parameters):
            if p.name in seen:
                problems.append((("parameters", i, "name"), f"'{p.name}' is used twice"))
            seen.add(p.name)
        n = len(self.parameters)
        for i, row in enumerate(self.sets):
            if len(row) != n:
                problems.append(
                    (
                        ("sets", i),
                        f"has {len(row)} multiplier{'s' * (len(row) != 1)}, "
                        f"needs one per parameter ({n}: "
                        f"{', '.join(p.name for p in self.parameters)})",
                    )
                )
        if problems:
            raise problem_error("ParameterSetsSpec", problems)
        return self

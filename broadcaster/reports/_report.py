"""What a period's report is made of: the content kinds it counts and the types of its figures.

Below everything that computes or lays out a report: ``_figures`` fills these from the as-run
log, ``_plan`` from the schedules still ahead, ``_narrative``, ``_tables`` and the exports read them.
What each figure means is told in ``_figures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..models import AIR_STATUS_LABELS, AirStatus, SegmentKind
from ..rules import Period

#: The six content kinds an aired item is counted under (jingles, chimes and pauses are not content).
CONTENT_KINDS: tuple[SegmentKind, ...] = (
    SegmentKind.CCHC_NEWS,
    SegmentKind.GOOD_EXAMPLE,
    SegmentKind.PROCEDURE,
    SegmentKind.HOTLINE,
    SegmentKind.RELAY,
    SegmentKind.EMERGENCY,
)


@dataclass
class Row:
    """One line of a figures table: a label and what aired under it."""

    key: str
    label: str
    programmes: int = 0
    items: int = 0
    ms: int = 0

    @property
    def minutes(self) -> float:
        return round(self.ms / 60000, 1)


@dataclass
class MonthRow(Row):
    good_examples: int = 0
    planned: int = 0  # planned occurrences (past ones from the log, future ones from the plan)
    future: bool = False  # the whole month is still ahead: figures are the plan, not the air
    ym: tuple[int, int] = (0, 0)

    @property
    def missing_good_example(self) -> bool:
        return not self.future and self.good_examples == 0


@dataclass
class Problem:
    """An occurrence that did not air as planned, with its reason."""

    scheduled_at: datetime
    title: str
    zone: str
    status: AirStatus
    reason: str

    @property
    def status_label(self) -> str:
        return AIR_STATUS_LABELS[self.status]


#: How the figures of the part of a period still ahead are labelled (they are the plan, not the air).
PLAN_LABEL = "Kế hoạch, chưa phát"


@dataclass
class PlanFigures:
    """What the enabled schedules will air in the part of the period still ahead."""

    start_utc: datetime
    occurrences: int = 0
    items: int = 0
    ms: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_area: dict[str, int] = field(default_factory=dict)
    good_examples_by_month: dict[tuple[int, int], int] = field(default_factory=dict)
    occurrences_by_month: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass
class Report:
    """Every figure of a period's report, computed from what aired."""

    station_name: str
    period: Period
    generated_at: datetime
    programmes: int
    items: int
    ms: int
    by_area: list[Row]
    by_kind: list[Row]
    by_zone: list[Row]
    by_month: list[MonthRow]
    procedures: list[Row]
    planned: int
    planned_aired: int
    status_counts: dict[AirStatus, int]
    problems: list[Problem]
    problems_total: int
    problem_reasons: list[tuple[str, str, int]]  # (status label, reason, count)
    adhoc_programmes: int
    plan: PlanFigures | None
    narrative: str = ""

    @property
    def minutes(self) -> float:
        return round(self.ms / 60000, 1)

    @property
    def plan_only(self) -> bool:
        """The period has not begun: there is nothing aired, only the plan."""
        return self.generated_at <= self.period.start_utc

    @property
    def in_progress(self) -> bool:
        return self.period.start_utc < self.generated_at < self.period.end_utc

    @property
    def planned_share(self) -> float | None:
        """Give back the percent of planned occurrences that aired, or None if none were planned."""
        return None if self.planned == 0 else round(100 * self.planned_aired / self.planned, 1)

    @property
    def months_without_good_example(self) -> list[MonthRow]:
        return [m for m in self.by_month if m.missing_good_example]

    @property
    def empty(self) -> bool:
        return self.items == 0 and self.planned == 0 and self.problems_total == 0

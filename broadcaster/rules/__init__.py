"""rules: the base layer every feature package (content, audio, playout, reports, web) stands on.

What several of them need lives here once, and nothing here imports a feature package:

- :func:`effective_config` the environment plus what officers saved, for every process;
  :data:`SETTINGS` what officers may set, :func:`get_settings`, :func:`settings_revision`;
- :func:`airability` can this item air on that day (:func:`why_not` the same, with a short category);
- recurrence: :func:`expand`, :func:`expand_occurrences`, :func:`validate_schedule`, :func:`describe`...;
- periods: :func:`parse_period`, :class:`Period`, :class:`PeriodError`;
- Vietnamese numbers and times: :func:`vn_int`, :func:`vn_num`, :func:`vn_fixed`, :func:`vn_pct`,
  :func:`show_local`, :func:`show_duration`;
- the chime catalogue: :data:`CHIMES`, :data:`CHIME_LABELS`, :func:`chime_ms`;
- spreadsheet cells: :func:`csv_row`, :func:`csv_cell`, :func:`xlsx_text` (typed text never runs
  as a formula);
- :class:`RuleError` a broken rule, with a Vietnamese message.
"""

from ._airing import Unairable, airability, why_not
from ._chimes import CHIME_DIR, CHIME_LABELS, CHIMES, Chime, chime_ms
from ._errors import RuleError
from ._numbers import show_duration, show_local, vn_fixed, vn_int, vn_num, vn_pct
from ._period import ACCEPTED_FORMS, Period, PeriodError, current_month, local_midnight_utc, parse_period
from ._recurrence import (
    DAILY,
    MAX_REPLAYS,
    MONTHLY_DAY,
    MONTHLY_NTH,
    ONCE,
    RECURRENCES,
    WEEKLY,
    describe,
    expand,
    expand_occurrences,
    local_to_utc,
    overrun_warning,
    schedule_field,
    validate_schedule,
    window_end,
)
from ._settings import (
    BY_KEY,
    DIALECT_LABELS,
    ENGINE_LABELS,
    SETTINGS,
    SettingDef,
    effective_config,
    get_settings,
)
from ._sheets import FORMULA_STARTS, csv_cell, csv_row, is_formula_like, xlsx_text

__all__ = [
    "Unairable",
    "why_not",
    "FORMULA_STARTS",
    "csv_cell",
    "csv_row",
    "is_formula_like",
    "xlsx_text",
    "ACCEPTED_FORMS",
    "BY_KEY",
    "CHIMES",
    "CHIME_DIR",
    "CHIME_LABELS",
    "DAILY",
    "DIALECT_LABELS",
    "ENGINE_LABELS",
    "MAX_REPLAYS",
    "MONTHLY_DAY",
    "MONTHLY_NTH",
    "ONCE",
    "RECURRENCES",
    "SETTINGS",
    "WEEKLY",
    "Chime",
    "Period",
    "PeriodError",
    "RuleError",
    "SettingDef",
    "airability",
    "chime_ms",
    "current_month",
    "describe",
    "effective_config",
    "expand",
    "expand_occurrences",
    "get_settings",
    "local_midnight_utc",
    "local_to_utc",
    "overrun_warning",
    "parse_period",
    "schedule_field",
    "show_duration",
    "show_local",
    "validate_schedule",
    "vn_fixed",
    "vn_int",
    "vn_num",
    "vn_pct",
    "window_end",
]

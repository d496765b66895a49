"""rules: the base layer every feature package (content, audio, playout, reports, web) stands on.

What several of them need lives here once, and nothing here imports a feature package:

- :func:`effective_config` the environment plus what officers saved, for every process
  (:func:`apply_settings` the same from values read without SQLAlchemy);
  :data:`SETTINGS` what officers may set, :func:`get_settings`;
- :func:`airability` can this item air on that day (:func:`why_not` the same, with a short category);
- recurrence: :func:`expand`, :func:`expand_occurrences`, :func:`validate_schedule`, :func:`describe`...;
- periods: :func:`parse_period`, :class:`Period`, :class:`PeriodError`;
- Vietnamese numbers and times: :func:`vn_int`, :func:`vn_num`, :func:`vn_fixed`, :func:`vn_pct`,
  :func:`show_local`, :func:`show_duration`;
- the chime catalogue: :data:`CHIMES`, :data:`CHIME_LABELS`, :func:`chime_ms`;
- a programme's length: :func:`item_durations` (rendered audio, else :func:`estimate_speech_ms`);
- spreadsheet cells: :func:`csv_row`, :func:`csv_cell`, :func:`xlsx_text` (typed text never runs
  as a formula);
- relay items: :func:`stream_url_ok`, :func:`relay_length_ok`, :func:`listen_url`;
- :class:`RuleError` a broken rule, with a Vietnamese message.
"""

from .._lazy import lazy_face

# Names load with their module on first use: reading a period or a number format does not load
# SQLAlchemy.
__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "._airing": ("Unairable", "airability", "why_not"),
        "._chimes": ("CHIME_DIR", "CHIME_LABELS", "CHIMES", "Chime", "chime_ms"),
        "._durations": ("DEFAULT_WPM", "ItemDuration", "estimate_speech_ms", "item_durations"),
        "._errors": ("RuleError",),
        "._numbers": (
            "aware_instant",
            "show_duration",
            "show_local",
            "vn_fixed",
            "vn_int",
            "vn_num",
            "vn_pct",
        ),
        "._period": (
            "ACCEPTED_FORMS",
            "Period",
            "PeriodError",
            "current_month",
            "local_midnight_utc",
            "parse_period",
        ),
        "._recurrence": (
            "DAILY",
            "MAX_REPLAYS",
            "MONTHLY_DAY",
            "MONTHLY_NTH",
            "ONCE",
            "RECURRENCES",
            "WEEKLY",
            "describe",
            "enabled_schedules",
            "expand",
            "expand_occurrences",
            "local_to_utc",
            "overrun_warning",
            "replay_count_on",
            "replay_overlap_error",
            "repeats_text",
            "schedule_field",
            "validate_schedule",
            "window_end",
        ),
        "._relay": (
            "MAX_RELAY_S",
            "RELAY_LENGTH_ERROR",
            "STREAM_URL_ERROR",
            "listen_url",
            "relay_length_ok",
            "stream_url_ok",
        ),
        "._settings": (
            "BY_KEY",
            "DIALECT_LABELS",
            "ENGINE_LABELS",
            "SETTINGS",
            "SettingDef",
            "apply_settings",
            "effective_config",
            "get_settings",
            "with_defaults",
        ),
        "._process": ("pid_alive",),
        "._sheets": (
            "FORMULA_STARTS",
            "csv_cell",
            "csv_row",
            "is_formula_like",
            "xlsx_text",
            "xml_text",
        ),
    },
)

"""Reports: what really aired, summed by SQL and exported for the commune's periodic reports.

Plain Python over SQLAlchemy sessions; no Flask. The web blueprint (``broadcaster.web.reports``)
and the command line (``broadcaster report``, ``broadcaster logbook``) are thin layers over this.
"""

from .._lazy import lazy_face

# Names load with their module on first use: a command that only shows the reports' help does
# not load the document writers.
__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "..rules": (
            "ACCEPTED_FORMS",
            "Period",
            "PeriodError",
            "current_month",
            "local_midnight_utc",
            "parse_period",
        ),
        "._charts": ("horizontal_bars", "vertical_bars"),
        "._export": (
            "FORMATS",
            "MIME",
            "Document",
            "document_csv",
            "document_docx",
            "document_xlsx",
            "export_document",
            "export_csv",
            "export_docx",
            "export_report",
            "export_xlsx",
            "filename",
            "report_document",
        ),
        "._figures": ("compute_report",),
        "._ics": ("ensure_ics_token", "schedule_calendar", "user_for_ics_token"),
        "._layout": ("Letterhead", "letterhead"),
        "._logbook": (
            "LOGBOOK_HEADERS=HEADERS",
            "Logbook",
            "LogLine",
            "compute_logbook",
            "logbook_docx",
            "logbook_html",
            "logbook_rows",
        ),
        "._report": (
            "CONTENT_KINDS",
            "PLAN_LABEL",
            "MonthRow",
            "PlanFigures",
            "Problem",
            "Report",
            "Row",
        ),
        "._tables": ("Table", "report_tables"),
    },
)

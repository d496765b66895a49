"""Reports: what really aired, summed by SQL and exported for the commune's periodic reports.

Plain Python over SQLAlchemy sessions; no Flask. The web blueprint (``broadcaster.web.reports``)
and the command line (``broadcaster report``, ``broadcaster logbook``) are thin layers over this.
"""

from ..rules import ACCEPTED_FORMS, Period, PeriodError, current_month, local_midnight_utc, parse_period
from ._charts import horizontal_bars, vertical_bars
from ._export import FORMATS, MIME, export_csv, export_docx, export_report, export_xlsx, filename
from ._figures import CONTENT_KINDS, PLAN_LABEL, MonthRow, PlanFigures, Problem, Report, Row, compute_report
from ._ics import ensure_ics_token, schedule_calendar, user_for_ics_token
from ._layout import Letterhead, letterhead
from ._logbook import HEADERS as LOGBOOK_HEADERS
from ._logbook import Logbook, LogLine, compute_logbook, logbook_docx, logbook_html, logbook_rows
from ._tables import Table, report_tables

__all__ = [
    "ACCEPTED_FORMS",
    "CONTENT_KINDS",
    "FORMATS",
    "LOGBOOK_HEADERS",
    "MIME",
    "PLAN_LABEL",
    "Letterhead",
    "LogLine",
    "Logbook",
    "MonthRow",
    "Period",
    "PeriodError",
    "PlanFigures",
    "Problem",
    "Report",
    "Row",
    "Table",
    "compute_report",
    "compute_logbook",
    "current_month",
    "ensure_ics_token",
    "export_csv",
    "export_docx",
    "export_report",
    "export_xlsx",
    "filename",
    "horizontal_bars",
    "letterhead",
    "logbook_docx",
    "logbook_html",
    "logbook_rows",
    "local_midnight_utc",
    "parse_period",
    "report_tables",
    "schedule_calendar",
    "user_for_ics_token",
    "vertical_bars",
]

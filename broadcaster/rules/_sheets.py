"""Cells for spreadsheets: text an officer typed must never run as a formula (CSV or XLSX).

A title such as ``=HYPERLINK("http://…","Bấm vào")`` or ``-1+1`` opened in Excel or LibreOffice
from a CSV runs as a formula (OWASP "CSV injection"); in XLSX a string that starts with ``=``
is written by openpyxl as a formula unless told otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: What makes a spreadsheet read a cell as a formula (OWASP's list: = + - @, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


#: What XML 1.0 cannot hold (DOCX and XLSX are XML): control characters, lone surrogates, U+FFFE/F.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> Any:
    """Give back ``value`` with what XML cannot hold left out of a text (other values as they are):
    a station's free-form text (an ANSI colour code in a player's error) must not stop an export."""
    return NOT_XML.sub("", value) if isinstance(value, str) else value


def is_formula_like(value: Any) -> bool:
    """Tell whether a spreadsheet would read ``value`` as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """Give back the value safe for a CSV cell: formula-like text gets a leading single quote."""
    return "'" + value if is_formula_like(value) else value


def csv_row(row: Iterable[Any]) -> list[Any]:
    """Give back a CSV row with every formula-like text neutralised (numbers are left as they are)."""
    return [csv_cell(v) for v in row]


def xlsx_text(cell: Any) -> Any:
    """Give back an openpyxl cell made to hold formula-like text as text (type "s", quote prefix)."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True  # stays text when an officer edits the cell
    return cell

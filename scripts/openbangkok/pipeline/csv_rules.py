"""The rules every CSV reader of the build applies, whoever reads the file: read.py for the files
frictionless checks, and the adapters that read their own large files as a stream (adapters/traffy).

Here, below read.py, so that an adapter takes the rules without importing the read stage itself
(adapters import no pipeline module that runs a stage: tests/test_structure.py).
"""

from __future__ import annotations

from openbangkok.model.problems import Refused

MAX_CELL_CHARACTERS = 100_000
# Cells in one row: the widest table has 40 columns. An Excel artefact of 10,000 empty columns made
# frictionless's validation quadratic in time and memory: refused as the row is read.
MAX_COLUMNS = 200
OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def check_header(header: list[str], schema: dict) -> None:
    fields = schema.get("fields", [])
    if len(header) == 1 and len(fields) > 1:
        for separator, name in OTHER_SEPARATORS.items():
            if separator in header[0]:
                raise Refused(
                    1,
                    None,
                    "format-error",
                    f"the columns are separated by {name}, not commas: save the file as CSV (comma delimited)",
                    "คอลัมน์ถูกคั่นด้วยเครื่องหมายอื่นที่ไม่ใช่จุลภาค กรุณาบันทึกเป็น CSV (คั่นด้วยจุลภาค)",
                )
    names = [f["name"] for f in fields]
    missing = [name for name in names if name not in header]
    if missing and header and header == [name for name in names if name in header]:
        # the schema's columns in order, some left out: say which (columns are checked in the schema's
        # order, so a column missing in the middle would make every later one look wrong)
        raise Refused(
            1,
            missing[0],
            "missing-label",
            f"the header lacks the column(s) {', '.join(missing)}: add them, with a cell in every row "
            f"(the columns, in order: {', '.join(names)})",
            f"หัวตารางไม่มีคอลัมน์ {', '.join(missing)} กรุณาเพิ่มคอลัมน์นี้พร้อมข้อมูลทุกแถว",
        )

"""Frictionless errors turned into messages a clerk at a district office can act on, in English and Thai."""

from __future__ import annotations

import re

from openbangkok.model.problems import Problem

EXPECTED_TYPE = {
    "integer": ("a whole number such as 42", "จำนวนเต็ม เช่น 42"),
    "number": ("a number such as 3.5 (no letters or units)", "ตัวเลข เช่น 3.5 (ไม่มีตัวอักษรหรือหน่วย)"),
    "date": ("a date such as 2023-09-04 or 4/9/2566", "วันที่ เช่น 2023-09-04 หรือ 4/9/2566"),
    "datetime": ("a date and time such as 2023-09-04T08:30:00+07:00", "วันและเวลา เช่น 2023-09-04T08:30:00+07:00"),
    "time": ("a time such as 08:30", "เวลา เช่น 08:30"),
    "year": ("a year such as 2023 or 2566", "ปี เช่น 2566"),
    "yearmonth": ("a month such as 2023-09", "เดือน เช่น 2023-09"),
    "boolean": ("true or false", "true หรือ false"),
    "array": ('a JSON list such as ["a", "b"]', 'รายการแบบ JSON เช่น ["a", "b"]'),
    "object": ("a JSON object", "ออบเจกต์ JSON"),
}
NOTE_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)
NOTE_ROW = re.compile(r"row at position (\d+)")


def _constraint(field, name: str, cell) -> tuple[str, str]:
    constraints = field.constraints if field is not None else {}
    limit = constraints.get(name)
    found = f'found "{cell}"'
    found_th = f'พบ "{cell}"'
    if name == "required":
        return ("this cell must not be empty: fill it in", "ช่องนี้ต้องไม่ว่าง กรุณากรอกข้อมูล")
    if name == "enum":
        allowed = ", ".join(map(str, limit or []))
        return (f"expected one of: {allowed}; {found}", f"ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: {allowed} แต่{found_th}")
    if name in ("minimum", "exclusiveMinimum"):
        return (f"expected at least {limit}; {found}", f"ต้องไม่น้อยกว่า {limit} แต่{found_th}")
    if name in ("maximum", "exclusiveMaximum"):
        return (f"expected at most {limit}; {found}", f"ต้องไม่เกิน {limit} แต่{found_th}")
    if name == "pattern":
        example = getattr(field, "example", None)
        if example:  # the schema's example says it in words a clerk can follow; the pattern stays for the technical
            return (
                f'expected text written like "{example}" (pattern {limit}); {found}',
                f'ต้องเขียนแบบ "{example}" แต่{found_th}',
            )
        return (f"expected text of the form {limit}; {found}", f"ต้องอยู่ในรูปแบบ {limit} แต่{found_th}")
    if name in ("minLength", "maxLength"):
        word, word_th = ("at least", "อย่างน้อย") if name == "minLength" else ("at most", "ไม่เกิน")
        return (f"expected {word} {limit} characters; {found}", f"ต้องยาว{word_th} {limit} ตัวอักษร แต่{found_th}")
    if name == "unique":
        return (
            f'"{cell}" appears more than once in this column: each value must be unique',
            f'"{cell}" ซ้ำในคอลัมน์นี้ ค่าในคอลัมน์นี้ต้องไม่ซ้ำกัน',
        )
    return (f"breaks the rule {name}={limit}; {found}", f"ไม่เป็นไปตามเงื่อนไข {name}={limit} แต่{found_th}")


def describe(error, field=None) -> tuple[str, str]:
    """(English, Thai) message for a frictionless error."""
    kind = error.type
    cell = getattr(error, "cell", None)
    note = getattr(error, "note", "") or ""
    earlier = NOTE_ROW.search(note) or re.search(r"position (\d+)", note)
    if kind == "type-error":
        field_type = field.type if field is not None else "value"
        expected, expected_th = EXPECTED_TYPE.get(field_type, (field_type, field_type))
        return (f'expected {expected}; found "{cell}"', f'ต้องเป็น{expected_th} แต่พบ "{cell}"')
    if kind == "constraint-error":
        m = NOTE_CONSTRAINT.search(note)
        return _constraint(field, m.group(1) if m else "constraint", cell)
    if kind == "unique-error":
        where = f" (first in row {earlier.group(1)})" if earlier else ""
        where_th = f" (ครั้งแรกที่แถว {earlier.group(1)})" if earlier else ""
        return (
            f'"{cell}" appears more than once in this column{where}: each value must be unique',
            f'"{cell}" ซ้ำในคอลัมน์นี้{where_th} ค่าต้องไม่ซ้ำกัน',
        )
    if kind == "primary-key":
        if "None" in note and "all" in note:
            return (
                "the key column of this row is empty: every row needs its identifier",
                "คอลัมน์รหัสของแถวนี้ว่าง ทุกแถวต้องมีรหัส",
            )
        where = f" in row {earlier.group(1)}" if earlier else " in an earlier row"
        where_th = f"ที่แถว {earlier.group(1)}" if earlier else "ในแถวก่อนหน้า"
        return (
            f"this row's identifier is already used{where}: remove the duplicate row or give it its own identifier",
            f"รหัสของแถวนี้ซ้ำกับรหัส{where_th} ลบแถวที่ซ้ำหรือใช้รหัสใหม่",
        )
    if kind == "foreign-key":
        m = re.search(r'for "([^"]+)": values "([^"]*)" not found in the lookup table "([^"]+)"', note)
        if m:
            column, value, table = m.groups()
            return (
                f'{column} "{value}" is not in the table {table}: use a code that exists there',
                f'{column} "{value}" ไม่มีในตาราง {table} กรุณาใช้รหัสที่มีอยู่ในตารางนั้น',
            )
        return (f"points at a row that does not exist ({note})", f"อ้างถึงแถวที่ไม่มีอยู่ ({note})")
    if kind == "missing-cell":
        return (
            "this row has fewer cells than the header: a cell is missing",
            "แถวนี้มีจำนวนช่องน้อยกว่าหัวตาราง มีข้อมูลขาดหายไป",
        )
    if kind == "extra-cell":
        return (
            f'this row has more cells than the header: extra value "{cell}" (a stray comma?)',
            f'แถวนี้มีจำนวนช่องมากกว่าหัวตาราง พบค่าเกิน "{cell}" (อาจมีจุลภาคเกิน)',
        )
    if kind == "blank-row":
        return ("this row is empty: delete it", "แถวนี้ว่าง กรุณาลบออก")
    if kind == "missing-label":
        name = field.name if field is not None else getattr(error, "field_name", "")
        return (f'the column "{name}" is missing from the header: add it', f'ไม่มีคอลัมน์ "{name}" ในหัวตาราง กรุณาเพิ่ม')
    if kind == "extra-label":
        return (
            f'the header has a column "{getattr(error, "label", "")}" that the schema does not know: remove or rename it',
            f'หัวตารางมีคอลัมน์ "{getattr(error, "label", "")}" ที่ไม่อยู่ในโครงสร้างข้อมูล กรุณาลบหรือแก้ชื่อ',
        )
    if kind == "incorrect-label":
        expected = field.name if field is not None else ""
        return (
            f'the header says "{getattr(error, "label", "")}" where "{expected}" was expected: correct the column name',
            f'หัวตารางเขียนว่า "{getattr(error, "label", "")}" แต่ควรเป็น "{expected}" กรุณาแก้ชื่อคอลัมน์',
        )
    if kind == "duplicate-label":
        return (
            f'the column "{getattr(error, "label", "")}" appears twice in the header',
            f'คอลัมน์ "{getattr(error, "label", "")}" ซ้ำกันในหัวตาราง',
        )
    if kind == "blank-label":
        return ("a column in the header has no name", "มีคอลัมน์ที่ไม่มีชื่อในหัวตาราง")
    return (error.message, error.message)


def from_error(file: str, error, schema) -> Problem:
    """A Problem from a frictionless error; the column is named for cell and label errors, and for a
    foreign key of one column (the cell that points nowhere)."""
    field_name = getattr(error, "field_name", None)
    field = None
    if schema is not None and field_name and schema.has_field(field_name):
        field = schema.get_field(field_name)
    if error.type == "missing-label" and field is None and schema is not None:
        number = getattr(error, "field_number", 0)
        field = schema.fields[number - 1] if 0 < number <= len(schema.fields) else None
    row = getattr(error, "row_number", None)
    if row is None and hasattr(error, "row_numbers"):
        row = 1  # label errors are in the header row
    column = field_name if error.type not in ("primary-key", "foreign-key", "blank-row") else None
    if error.type == "foreign-key" and len(getattr(error, "field_names", None) or []) == 1:
        column = error.field_names[0]
    if error.type in ("extra-label", "duplicate-label", "blank-label", "incorrect-label"):
        column = getattr(error, "label", None) or column
    message, message_th = describe(error, field)
    if error.type == "primary-key" and schema is not None and schema.primary_key:
        column, message, message_th = key_in_words(error, schema, message, message_th)
    return Problem(file, row, column, error.type, message, message_th)


def key_in_words(error, schema, message: str, message_th: str) -> tuple[str, str, str]:
    """A primary-key problem names the key's columns and this row's values of them."""
    key = schema.primary_key
    cells = getattr(error, "cells", None) or []
    values = [
        cells[schema.field_names.index(name)] if schema.field_names.index(name) < len(cells) else "" for name in key
    ]
    written = ", ".join(f'{name} "{value}"' for name, value in zip(key, values))
    return ", ".join(key), f"{written}: {message}", f"{written}: {message_th}"

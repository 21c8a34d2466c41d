"""Points of an ArcGIS layer, as its REST API answers a query (esriJSON, `f=json`): one row per feature.

    {"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
     "fields": [{"name": "OBJECTID", ...}, ...],
     "features": [{"attributes": {"OBJECTID": 57, "NAME": "...", ...}, "geometry": {"x": 100.49, "y": 13.67}}]}

The resource's schema names the published columns: each is an attribute of the layer, matched by
name without regard to case (OBJECTID -> objectid), except `latitude` and `longitude`, which are
the point's y and x. Only WGS84 (wkid 4326) is read: other references need a projection. Every
feature is a row; an attribute the schema requires that a feature lacks, or a feature without a
point, is a problem naming the feature, as frictionless would name a row; text is NFC-normalised
and redacted like any free text (PDPA). The rows are then checked by the resource's SQL rules, as a
CSV's are.
"""

from __future__ import annotations

import json
import time

import sqlite_utils

from openbangkok.model.catalog import Catalog, Source, display_path
from openbangkok.model.problems import Problem
from openbangkok.model.sqlite_types import to_sqlite
from openbangkok.pipeline.stage import ROW_COLUMN, Staged, copy_staged, no_data_rows, stage_table
from openbangkok.thai import conversions as thai
from openbangkok.thai.redact import Redactor

WGS84 = {4326, 4269}  # 4269 (NAD83) differs from WGS84 by less than a metre; ArcGIS says 4326 for both


def read_layer(display: str, source: Source, staged: Staged) -> list | None:
    """The layer's features, checked to be WGS84 points; None (reported) when it cannot be read."""
    try:
        answer = json.loads(source.path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        staged.report.add(
            Problem.of_file(
                display,
                f"the file is not the JSON answer of an ArcGIS layer query ({e})",
                "ไฟล์ไม่ใช่ JSON ที่ได้จากการสืบค้นชั้นข้อมูล ArcGIS",
            )
        )
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
        message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
        staged.report.add(
            Problem.of_file(
                display,
                f'the file has no "features" list{f" (the server said: {message})" if message else ""}: '
                f"save the answer of the layer's query with f=json",
                "ไฟล์ไม่มีรายการ features กรุณาบันทึกผลการสืบค้นด้วย f=json",
            )
        )
        return None
    reference = answer.get("spatialReference") or {}
    wkid = reference.get("latestWkid") or reference.get("wkid")
    if wkid not in WGS84:
        staged.report.add(
            Problem.of_file(
                display,
                f"the points are in spatial reference {wkid}, not WGS84 (4326): query the layer with outSR=4326",
                "พิกัดไม่ใช่ WGS84 (4326) กรุณาสืบค้นด้วย outSR=4326",
            )
        )
        return None
    return answer["features"]


def stage(catalog: Catalog, source: Source, db: sqlite_utils.Database, staged: Staged) -> None:
    display = display_path(catalog, source)
    started = time.perf_counter()
    features = read_layer(display, source, staged)
    if features is None:
        return
    fields = source.schema.get("fields", [])
    required = {f["name"] for f in fields if f.get("constraints", {}).get("required")}
    redactor = Redactor()
    rows, problems = [], []
    for number, feature in enumerate(features, 1):
        attributes = {k.lower(): v for k, v in (feature.get("attributes") or {}).items()}
        geometry = feature.get("geometry") or {}
        point = {"latitude": geometry.get("y"), "longitude": geometry.get("x")}
        row = {ROW_COLUMN: number}
        for field in fields:
            name = field["name"]
            value = point[name] if name in point else attributes.get(name)
            if isinstance(value, str):
                value = redactor.redact(thai.clean_text(value).strip()) or None
            if field.get("type") in ("integer", "number") and isinstance(value, str):
                try:
                    value = int(value) if field["type"] == "integer" else float(value)
                except ValueError:
                    problems.append(
                        Problem(
                            display,
                            number,
                            name,
                            "type-error",
                            f'feature {number}: "{value}" is not a {field["type"]}',
                            f'รายการที่ {number}: "{value}" ไม่ใช่ตัวเลข',
                        )
                    )
            if value is None and name in required:
                what = "point" if name in point else f"attribute {name.upper()}"
                problems.append(
                    Problem(
                        display,
                        number,
                        name,
                        "constraint-error",
                        f"feature {number} has no {what}, which is required",
                        f"รายการที่ {number} ไม่มี {name} ซึ่งต้องมี",
                    )
                )
            row[name] = to_sqlite(value)
        rows.append(row)
    staged.report.extend(problems)
    stage_table(db, source, source.schema).insert_all(rows)
    if not rows and not source.descriptor.get("allowEmpty"):
        staged.report.add(no_data_rows(display))
    if redactor.counts:
        staged.report.add(
            Problem(
                display,
                None,
                None,
                "redaction",
                f"PDPA redaction: {sum(redactor.counts.values())} value(s) redacted",
                "ปกปิดข้อมูลส่วนบุคคล",
                "info",
            )
        )
    staged.stats[source.name] = {"file": display, "rows_read": len(rows), "seconds": time.perf_counter() - started}


def publish(db: sqlite_utils.Database, source: Source, staged: Staged) -> int:
    """The staged rows, as a CSV's are published."""
    return copy_staged(db, source)

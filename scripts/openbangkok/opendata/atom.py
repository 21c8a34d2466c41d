"""An Atom feed (RFC 4287) of what changed in a dataset, one entry per build, from build_changes
(pipeline/changes.py), so a newsroom can subscribe: /-/datasets/<name>.atom."""

from __future__ import annotations

from itertools import groupby
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"


def _timestamp(built_at: str | None) -> str:
    """RFC 3339 as Atom requires it (build_files writes UTC with +00:00)."""
    return (built_at or "1970-01-01T00:00:00+00:00").replace("+00:00", "Z")


def _counts(row: dict) -> str:
    if row["rows_before"] is None:
        return f"{row['table_name']}: ตารางใหม่ {row['rows_after']:,} แถว / new table, {row['rows_after']:,} rows"
    changed = "" if row["changed"] is None else f", เปลี่ยน {row['changed']:,}"
    changed_en = "" if row["changed"] is None else f", {row['changed']:,} changed"
    return (
        f"{row['table_name']}: เพิ่ม {row['added']:,}{changed}, ลบ {row['removed']:,} "
        f"(จาก {row['rows_before']:,} เป็น {row['rows_after']:,} แถว) / {row['added']:,} added{changed_en}, "
        f"{row['removed']:,} removed ({row['rows_before']:,} -> {row['rows_after']:,} rows)"
    )


def feed(info: dict, publisher: str) -> bytes:
    """The feed of a dataset (opendata.datasets.dataset_info: its url, titles and changes)."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    title = " / ".join(x for x in (info["title"]["th"], info["title"]["en"]) if x)
    add(root, "id", info["url"])
    add(root, "title", f"การเปลี่ยนแปลง: {title}")
    add(root, "subtitle", "แถวที่เพิ่ม เปลี่ยน และลบ ในการสร้างฐานข้อมูลแต่ละครั้ง / Rows added, changed and removed at each build")
    add(root, "link", rel="self", href=info["atom"], type="application/atom+xml")
    add(root, "link", rel="alternate", href=info["url"], type="text/html")
    add(add(root, "author"), "name", publisher)
    builds = [(number, list(rows)) for number, rows in groupby(info["changes"], key=lambda r: r["build"])]
    add(root, "updated", _timestamp(builds[0][1][0]["built_at"] if builds else info["last_updated"]))
    for number, rows in builds:
        entry = add(root, "entry")
        added, removed = sum(r["added"] or 0 for r in rows), sum(r["removed"] or 0 for r in rows)
        changed = sum(r["changed"] or 0 for r in rows)
        add(entry, "id", f"{info['url']}#build-{number}-{rows[0]['built_at']}")
        add(
            entry,
            "title",
            f"ครั้งที่ {number}: เพิ่ม {added:,} เปลี่ยน {changed:,} ลบ {removed:,} แถว / "
            f"build {number}: {added:,} added, {changed:,} changed, {removed:,} removed",
        )
        add(entry, "updated", _timestamp(rows[0]["built_at"]))
        add(entry, "link", rel="alternate", href=info["url"], type="text/html")
        add(entry, "content", "\n".join(_counts(r) for r in rows), type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

"""Traffy Fondue files written for tests: API pages and dump CSVs of hand-made tickets, in a copy of
the project's reference and complaints datasets."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

from openbangkok.adapters.traffy.dump_csv import COLUMNS

from .conftest import copy_datasets, with_synthetic_complaints

PAGES = "traffy_api"


def record(ticket_id: str, **fields) -> dict:
    """An API record as the search API answers it (every key, in the API's order)."""
    base = {
        "message_id": "297460",
        "type": "ถนน",
        "type_id": "12",
        "org": "สำนักงานเขตบางกะปิ",
        "comment": "ถนนเป็นหลุม",
        "ticket_id": ticket_id,
        "coords": ["100.64471", "13.76591"],
        "photo": "https://storage.googleapis.com/traffy_public_bucket/attachment/2022-12/a.jpg",
        "after_photo": "",
        "address": "ถนนลาดพร้าว แขวงคลองจั่น เขตบางกะปิ กรุงเทพมหานคร 10240",
        "district": "บางกะปิ",
        "subdistrict": "คลองจั่น",
        "province": "กรุงเทพมหานคร",
        "timestamp": "2022-12-01 02:03:04.5+00",
        "problem_type_abdul": "{ถนน}",
        "status": "finish",
        "star": None,
        "count_reopen": "0",
        "state": "เสร็จสิ้น",
    }
    base.update(fields)
    return base


def page(records: list, total: int = 192125) -> dict:
    return {"status": True, "total": total, "results": records, "source": "db (expire 60m)", "exec_time": "5.7s"}


def datasets_with_pages(root: Path, pages: dict[str, dict | bytes | str]) -> Path:
    """reference + complaints under root/datasets, the complaints' pages replaced by `pages`
    ({file name: answer (written as delivered: indented, Thai as \\u escapes) or raw bytes/text})."""
    datasets = copy_datasets(root, "reference", "complaints")
    folder = datasets / "complaints" / PAGES
    shutil.rmtree(folder)
    folder.mkdir()
    for name, content in pages.items():
        write_page(folder / name, content)
    return datasets


def write_page(path: Path, content) -> None:
    if isinstance(content, dict):
        content = json.dumps(content, indent=4)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.lower().endswith(".gz") else data)


def datasets_with_dump(root: Path, rows: list[list[str]], header=COLUMNS, bom: bool = False) -> Path:
    """reference + complaints under root/datasets, the complaints a dump of `rows` (read by the dump
    adapter), with `header`'s column order."""
    datasets = copy_datasets(root, "reference", "complaints")
    path = with_synthetic_complaints(datasets, rows=0)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([dict(zip(COLUMNS, r)).get(name, "") for name in header] for r in rows)
    return datasets


def dump_row(api: dict) -> list[str]:
    """The dump's row of the same ticket as an API record (no last_activity, no status)."""
    coords = api.get("coords")
    return [
        api["ticket_id"],
        api["problem_type_abdul"],
        "{" + api["org"] + "}" if api["org"] else "{}",
        api["comment"],
        api["photo"],
        api["after_photo"],
        ",".join(coords) if coords else "",
        api["address"],
        api["subdistrict"],
        api["district"],
        api["province"],
        api["timestamp"],
        api["state"],
        "" if api["star"] is None else str(api["star"]),
        api["count_reopen"],
        "",
    ]

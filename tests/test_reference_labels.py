"""Codes that refer to reference data (districts, agencies, dimensions) are named where a reader sees
them: on row pages, in views' cells, and in the line saying what a table page is filtered by
(openbangkok.site.pages.references, configured in metadata.yml's openbangkok-row-labels)."""

from __future__ import annotations

import html
import re

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.pages import references
from openbangkok.site.plugin_config import plugin_config


async def test_every_row_page_names_the_districts_and_agencies_its_codes_refer_to(ds):
    db = ds.get_database(DATABASE)
    wanted = set(plugin_config(ds, references.CONFIG)["references"])
    assert {"districts", "agencies"} <= wanted
    checked = []
    for table in await db.table_names():
        for fk in await db.foreign_keys_for_table(table):
            if fk["other_table"] not in wanted:
                continue
            keys = await db.primary_keys(table) or ["rowid"]
            column = fk["column"]
            row = (
                await db.execute(
                    f"select {', '.join(f'[{k}]' for k in keys)}, [{column}] from [{table}] "
                    f"where [{column}] is not null limit 1"
                )
            ).first()
            if row is None:
                continue
            code = row[-1]
            label_column = await db.label_column_for_table(fk["other_table"])
            name = (
                await db.execute(
                    f"select [{label_column}] from [{fk['other_table']}] where [{fk['other_column']}] = ?", [code]
                )
            ).first()[0]
            path = f"/{DATABASE}/{table}/{','.join(str(v) for v in row[:-1])}"
            page = (await ds.client.get(path)).text
            cell = re.search(rf'<dd class="col-{column}[^"]*"[^>]*>(.*?)</dd>', page, re.S)
            assert cell, (path, column)
            expected = f'<a href="/{DATABASE}/{fk["other_table"]}/{code}">{html.escape(name, quote=False)}</a>'
            assert expected in cell[1], (path, column, cell[1])
            checked.append(f"{table}.{column}")
    assert {"complaints.district_code", "clinics.district_code", "ita_results.agency_code"} <= set(checked), checked


async def test_a_view_without_foreign_keys_names_its_codes_by_the_key_column(ds):
    page = (await ds.client.get(f"/{DATABASE}/ita_district_ranking?_size=3")).text
    assert re.search(r'<a href="/openbangkok/agencies/district-office-\d{4}">สำนักงานเขต', page)
    assert re.search(r'<a href="/openbangkok/districts/\d{4}">', page)


async def test_a_filtered_table_says_what_it_is_filtered_by_in_thai_first_with_the_districts_name(ds):
    db = ds.get_database(DATABASE)
    count = (await db.execute("select count(*) from complaints where district_code = 1001")).first()[0]
    name = (await db.execute("select name_th from districts where district_code = 1001")).first()[0]
    page = (await ds.client.get(f"/{DATABASE}/complaints?district_code=1001&_sort_desc=timestamp")).text
    line = re.search(r'<h3 class="filter-description">(.*?)</h3>', page, re.S)[1]
    thai, english = (
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", part))).strip() for part in line.split(" /\n", 1)
    )
    assert thai.startswith(f"{count:,} แถว ที่ รหัสเขต = {name} (1001)"), thai
    assert "เรียงตาม" in thai and "มากไปน้อย" in thai
    assert english.startswith(f"{count:,} rows where district_code = 1001"), english
    # a coded value is named too (value_labels of openbangkok-labels)
    ita = (await ds.client.get(f"/{DATABASE}/ita_results?passed=0")).text
    assert "ไม่ผ่าน (0)" in re.search(r'<h3 class="filter-description">(.*?)</h3>', ita, re.S)[1]


async def test_codes_asked_in_the_address_that_name_nothing_are_not_remembered(ds):
    for n in range(30):
        page = await ds.client.get(f"/{DATABASE}/complaints?district_code=9{n:03d}&_size=0")
        assert page.status_code == 200
    remembered = references._cache(ds)["labels"]
    assert not [key for key in remembered if key[1].startswith("9")]


async def test_codes_in_query_results_are_named_without_a_query_per_cell(ds):
    """Datasette names no table for a query's results: a column named like a reference's key is named
    there too, from the reference table read once (an SQL page with a hundred such columns of unknown
    codes costs no query per cell)."""
    league = (await ds.client.get(f"/{DATABASE}/complaints_district_league")).text
    assert re.search(r'<a href="/openbangkok/districts/10\d\d">เขต[^<]+</a>&nbsp;<em>10\d\d</em>', league)
    sql = "select 1006 as district_code, 'health' as agency_code, 42 as other_code"
    page = (await ds.client.get(f"/{DATABASE}", params={"sql": sql})).text
    assert '<a href="/openbangkok/districts/1006">เขตบางกะปิ</a>&nbsp;<em>1006</em>' in page
    assert '<a href="/openbangkok/agencies/health">' in page
    assert ">42<" in page and "/42" not in page
    columns = ", ".join(f"{9000 + n} as district_code" for n in range(100))
    unknown = await ds.client.get(f"/{DATABASE}", params={"sql": f"select {columns}"})
    assert unknown.status_code == 200 and "/openbangkok/districts/9" not in unknown.text
    assert not [key for key in references._cache(ds)["labels"] if key[0] == "districts"]

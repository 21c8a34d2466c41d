"""Copy-paste examples of the /-/api page: a table read with curl, Python (httpx, pandas) and
JavaScript, and the CKAN Action API with ckanapi and curl (openbangkok.opendata.api_pages)."""

from __future__ import annotations

from urllib.parse import quote

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.tables import PublicTable


def examples(table: PublicTable, base_url: str) -> dict[str, str]:
    """Copy-paste examples for one table: curl, Python (httpx, pandas) and JavaScript."""
    url = f"{base_url}/{DATABASE}/{quote(table.name)}"
    return {
        "curl": (f"curl '{url}.json?_shape=array&_size=10'\ncurl -o {table.name}.csv '{url}.csv?_stream=on&_size=max'"),
        "python": (
            "import httpx\n\n"
            f'url = "{url}.json"\n'
            'params = {"_shape": "objects", "_size": "max"}\n'
            "rows = []\n"
            "while True:\n"
            "    page = httpx.get(url, params=params, timeout=30).json()\n"
            '    rows += page["rows"]\n'
            '    if not page["next"]:\n'
            "        break\n"
            '    params["_next"] = page["next"]\n'
            "print(len(rows))"
        ),
        "pandas": (
            "import pandas as pd\n\n"
            f'df = pd.read_csv("{url}.csv?_stream=on&_size=max", dtype=str)  # every row; codes stay text\n'
            "print(df.head())"
        ),
        "javascript": (
            f'const response = await fetch("{url}.json?_shape=array&_size=100");\n'
            "const rows = await response.json();\n"
            "console.log(rows.length, rows[0]);"
        ),
    }


CKAN_EXAMPLE_TABLE = "complaints"  # the table the CKAN examples search, where it is published


def ckan_examples(tables: list[PublicTable], base_url: str) -> dict[str, str]:
    """Copy-paste examples of the CKAN Action API: ckanapi, as for any CKAN portal, and curl."""
    names = [t.name for t in tables if not t.is_view and t.dataset]
    table = CKAN_EXAMPLE_TABLE if CKAN_EXAMPLE_TABLE in names else (names or ["districts"])[0]
    return {
        "ckanapi": (
            "from ckanapi import RemoteCKAN  # pip install ckanapi\n\n"
            f'site = RemoteCKAN("{base_url}")  # code for a CKAN portal: only the address changes\n'
            'found = site.action.package_search(q="ร้องเรียน", fq="organization:bma")\n'
            'print(found["count"], [p["name"] for p in found["results"]])\n'
            f'resource = site.action.resource_show(id="{table}")  # its stable id, or the table\'s name\n'
            'page = site.action.datastore_search(resource_id=resource["id"], q="ไฟ", limit=100)\n'
            'print(page["total"], page["records"][:1])\n'
            "rows = site.action.datastore_search_sql(\n"
            '    sql=f\'SELECT count(*) AS n FROM "{resource["id"]}"\')\n'
            'print(rows["records"])'
        ),
        "curl": (
            f"curl '{base_url}/api/3/action/package_list'\n"
            f"curl -G '{base_url}/api/3/action/package_search' --data-urlencode 'q=ร้องเรียน' "
            '--data-urlencode \'facet.field=["organization","tags"]\'\n'
            f"curl -G '{base_url}/api/3/action/datastore_search' --data-urlencode 'resource_id={table}' \\\n"
            "  --data-urlencode 'q=ไฟ' --data-urlencode 'limit=5'"
        ),
    }

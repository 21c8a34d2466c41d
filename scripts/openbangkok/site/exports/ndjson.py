"""`.ndjson`: rows as newline-delimited JSON (one object per line, UTF-8; application/x-ndjson), for
tools that read a line at a time (jq, pandas.read_json(lines=True), BigQuery, DuckDB).

    /openbangkok/complaints.ndjson                       one page, the next in the Link header
    /openbangkok/complaints.ndjson?_stream=on            every row of the table, one page in memory
    /openbangkok/complaints.ndjson?district_code=1026&_stream=on   every row of the filter

The JSON download the catalogue (/-/dcat.jsonld) names: unlike `.json?_shape=array`, which holds
one page of at most 1,000 rows, the stream holds every row of a table or view (read page by page,
openbangkok.site.exports.pages; in primary-key order unless the address sorts). A query (SQL or canned)
has one page, as its CSV has.
"""

import json

from datasette.utils.asgi import Response

from openbangkok.site.exports.pages import StreamedResponse, json_value, pages, wants_stream

CONTENT_TYPE = "application/x-ndjson; charset=utf-8"


def lines(columns, rows) -> str:
    return "".join(
        json.dumps({c: json_value(v) for c, v in zip(columns, row)}, ensure_ascii=False, default=str) + "\n"
        for row in rows
    )


async def stream_lines(datasette, request, write) -> None:
    async for page in pages(datasette, request, ".ndjson"):
        columns = page["columns"]
        await write(lines(columns, ([row.get(c) for c in columns] for row in page["rows"])).encode("utf-8"))


def render_ndjson(datasette, request, columns, rows, data, view_name):
    if view_name == "table" and wants_stream(request):
        return StreamedResponse(lambda write: stream_lines(datasette, request, write), CONTENT_TYPE)
    next_url = (data or {}).get("next_url")
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return Response(lines(columns, (list(row) for row in rows)), content_type=CONTENT_TYPE, headers=headers)

"""`.geojson` for any table, view or query that has latitude/longitude columns (RFC 7946).

    /openbangkok/clinics.geojson
    /openbangkok/clinics.geojson?services__arraycontains=Pride+clinic&_size=max
    /openbangkok.geojson?sql=select name_th, latitude, longitude from clinics

    /openbangkok/complaints.geojson?_stream=on                 every row of the table
    /openbangkok/complaints.geojson?district_code=1026&_stream=on   every row of the filter

A FeatureCollection with one Feature per row: a Point at [longitude, latitude] and every other column
as a property. A row whose coordinates are empty or out of range keeps its Feature with
"geometry": null (RFC 7946 section 3.2), so the feature count always equals the row count. The columns
are found the way datasette-cluster-map finds them (latitude/longitude, lat/lng, ...), so whatever
shows a map also has a .geojson link.

Without `_stream=on` the answer is one page, of Datasette's page size (?_size=max for up to 1,000
rows); the following page is named in the foreign member "links" as OGC API - Features names it,
`{"rel": "next", "href": ..., "type": "application/geo+json"}` (and, as before, in "next_url").
With `_stream=on` a table or view streams every feature in one answer, read page by page
(openbangkok.site.exports.pages): memory stays that of one page; in primary-key order unless the address
sorts. A query (SQL or canned) has no further pages: its GeoJSON is its page, as its CSV is.
Served as application/geo+json with CORS, for Leaflet, QGIS and geojson.io.
"""

from __future__ import annotations

import json

from datasette.utils.asgi import Response

from openbangkok.site import internals
from openbangkok.site.exports.pages import StreamedResponse, json_value, pages, wants_stream

CONTENT_TYPE = "application/geo+json; charset=utf-8"


def location_columns(columns) -> tuple[str, str] | None:
    found = internals.location_columns_from_columns(list(columns or []))
    return (found[0], found[1]) if found else None


def coordinate(value, limit: float) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -limit <= number <= limit else None


def properties(values: dict, latitude: str, longitude: str) -> dict:
    """The other columns; a foreign key expanded by ?_labels=on gives <column> and <column>_label,
    flat values that QGIS and spreadsheets read as they are."""
    result = {}
    for key, value in values.items():
        if key in (latitude, longitude):
            continue
        if isinstance(value, dict) and set(value) == {"value", "label"}:
            result[key], result[f"{key}_label"] = json_value(value["value"]), value["label"]
        else:
            result[key] = json_value(value)
    return result


def feature(columns, row, latitude: str, longitude: str) -> dict:
    values = dict(zip(columns, row))
    lat, lon = coordinate(values.get(latitude), 90), coordinate(values.get(longitude), 180)
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return {"type": "Feature", "geometry": geometry, "properties": properties(values, latitude, longitude)}


def feature_collection(columns, rows, next_url: str | None = None) -> dict:
    latitude, longitude = location_columns(columns)
    collection = {"type": "FeatureCollection", "features": [feature(columns, row, latitude, longitude) for row in rows]}
    if next_url:
        collection["links"] = [{"rel": "next", "href": next_url, "type": "application/geo+json"}]
        collection["next_url"] = next_url
    return collection


def _features_json(columns, rows: list[dict]) -> str:
    latitude, longitude = location_columns(columns)
    return ",".join(
        json.dumps(
            feature(columns, [row.get(c) for c in columns], latitude, longitude), ensure_ascii=False, default=str
        )
        for row in rows
    )


async def stream_features(datasette, request, write) -> None:
    """Every feature of the view, one page at a time, as one FeatureCollection."""
    first = True
    async for page in pages(datasette, request, ".geojson"):
        features = _features_json(page["columns"], page["rows"])
        if first:
            await write(b'{"type": "FeatureCollection", "features": [')
        elif features:
            features = "," + features
        first = False
        await write(features.encode("utf-8"))
    await write(b"]}")


def render_geojson(datasette, request, columns, rows, data, view_name):
    if location_columns(columns) is None:
        return Response.text("this table or query has no latitude/longitude columns", status=400)
    if view_name == "table" and wants_stream(request):
        return StreamedResponse(lambda write: stream_features(datasette, request, write), CONTENT_TYPE)
    body = json.dumps(feature_collection(columns, rows, (data or {}).get("next_url")), ensure_ascii=False, default=str)
    return Response(body, content_type=CONTENT_TYPE)


def can_render_geojson(columns):
    return location_columns(columns) is not None

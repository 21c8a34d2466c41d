"""Clinics: the data agrees with the stated figures, every rule catches its broken row, the nearest-service
query measures real distances, and .geojson is valid RFC 7946 with [longitude, latitude]."""

from __future__ import annotations

import csv
import json
import math
import shutil

import pytest
from geojson_pydantic import FeatureCollection

from openbangkok.catalog import DEFAULT_DATASETS
from openbangkok.cli import cli
from openbangkok.site_metadata import DATABASE

DIN_DAENG = (13.7650, 100.5520)   # the query's default point


async def rows(ds, path: str, **params) -> list[dict]:
    response = await ds.client.get(f"/{DATABASE}/{path}", params={"_shape": "array", "_size": "max", **params})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def services(row: dict) -> list[str]:
    return json.loads(row["services"])


# --- the data -----------------------------------------------------------------------------------

async def test_every_health_centre_and_hospital_once(ds):
    clinics = await rows(ds, "clinics.json")
    centres = [r for r in clinics if r["kind"] == "public health service centre"]
    hospitals = [r for r in clinics if r["kind"] == "BMA hospital"]
    assert len(centres) == 69 and len(hospitals) == 11
    assert [r["name_th"].split()[1] for r in centres] == [str(n) for n in range(1, 70)]
    assert centres[0]["name_th"] == "ศูนย์บริการสาธารณสุข 1 สะพานมอญ"
    assert centres[-1]["name_th"] == "ศูนย์บริการสาธารณสุข 69 คันนายาว"
    assert {"โรงพยาบาลกลาง", "โรงพยาบาลนคราภิบาล", "โรงพยาบาลบางนากรุงเทพมหานคร"} <= {r["name_th"] for r in hospitals}
    assert all(r["source"] and r["last_checked"] for r in clinics)


async def test_district_code_is_the_address_district(ds):
    districts = {r["district_code"]: r["name_th"] for r in await rows(ds, "districts.json")}
    for row in await rows(ds, "clinics.json"):
        assert districts[row["district_code"]] in row["address"], row["id"]
    # the district comes from the address, not from the centre's name
    by_id = {r["id"]: r for r in await rows(ds, "clinics.json")}
    assert districts[by_id["hc-15"]["district_code"]] == "เขตห้วยขวาง"   # ศบส. 15 ลาดพร้าว
    assert districts[by_id["hc-24"]["district_code"]] == "เขตจตุจักร"    # ศบส. 24 บางเขน


async def test_service_counts_agree_with_the_stated_figures(ds):
    clinics = await rows(ds, "clinics.json")
    figures = await rows(ds, "health_service_figures.json")
    shown = [f for f in figures if f["represented_in_clinics"]]
    assert {f["service"] for f in shown} == {s for r in clinics for s in services(r)}
    for figure in shown:
        having = [r for r in clinics if figure["service"] in services(r)]
        hospitals = sum(r["kind"] == "BMA hospital" for r in having)
        centres = sum(r["kind"] == "public health service centre" for r in having)
        if figure["hospitals_stated"] is not None:
            assert hospitals == figure["hospitals_stated"], figure["figure_id"]
        if figure["health_centres_stated"] is not None:
            assert centres == figure["health_centres_stated"], figure["figure_id"]
        if figure["sites_stated"] is not None:
            assert len(having) == figure["sites_stated"], figure["figure_id"]
    # the seeds' figures, for their dates (shared/FACTS.md)
    by_id = {f["figure_id"]: f for f in figures}
    assert (by_id["pride-2022-09"]["health_centres_stated"], by_id["pride-2022-09"]["hospitals_stated"]) == (6, 5)
    assert by_id["pride-2022-11"]["sites_stated"] == 11
    assert by_id["pride-2023-09"]["sites_stated"] == 24 and by_id["pride-2023-09"]["health_centres_stated"] == 16
    assert by_id["long-covid-2022-09"]["hospitals_stated"] == 9
    assert (by_id["disability-2022-12"]["sites_stated"], by_id["disability-2023-plan"]["sites_stated"]) == (9, 11)
    assert by_id["telemedicine-2022-12"]["hospitals_stated"] == 9
    assert by_id["smart-opd-2023-09"]["hospitals_stated"] == 11


async def test_illustrative_assignments_are_labelled(ds):
    clinics = await rows(ds, "clinics.json")
    for row in clinics:
        assert bool(row["is_illustrative"]) == ("ILLUSTRATIVE" in row["services_basis"]), row["id"]
    # sources name no Long COVID, disability or telemedicine site: every row carrying one is illustrative
    for row in clinics:
        if {"Long COVID clinic", "Telemedicine", "Disability certificate one-stop"} & set(services(row)):
            assert row["is_illustrative"], row["id"]
    named = {r["id"] for r in clinics if "Pride clinic" in r["services_basis"].split(";")[0]}
    assert {"hc-03", "hc-04", "hc-09", "hc-29", "hosp-klang"} <= named
    tables = ds.metadata("tables", database=DATABASE)
    assert "ILLUSTRATIVE" in tables["clinics"]["description"]


async def test_locations_say_how_precise_they_are(ds):
    clinics = await rows(ds, "clinics.json")
    precision = {r["id"]: r["location_precision"] for r in clinics}
    assert precision["hosp-charoenkrung"] == "exact (from source)"
    assert sum(p == "exact (from source)" for p in precision.values()) == 1
    for row in clinics:
        assert (row["latitude"] is None) == (row["location_precision"] == "unknown")
        if row["latitude"] is not None:
            assert 13.47 <= row["latitude"] <= 13.96 and 100.32 <= row["longitude"] <= 100.94, row["id"]


# --- the rules: each broken row is reported as the exact FILE:ROW:COLUMN: TYPE ------------------------

@pytest.fixture
def clinics_datasets(tmp_path):
    """The reference and clinics datasets alone (the rules need nothing else)."""
    copy = tmp_path / "datasets"
    for name in ("reference", "clinics"):
        shutil.copytree(DEFAULT_DATASETS / name, copy / name)
    return copy


def edit_csv(path, key: str, changes: dict[str, dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, table = reader.fieldnames, list(reader)
    for row in table:
        row.update(changes.get(row[key], {}))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)


CHARO = {"latitude": "13.694388", "longitude": "100.494648"}
RULE_CASES = {
    # case: (file, key, {row id: changes}, expected row, column, type)
    "outside-box": ("clinics", "id", {"hc-04": {"latitude": "14.5"}}, 5, "latitude", "row-constraint"),
    "flag-inside-box": ("clinics", "id", {"hc-04": {"outside_bangkok_box": "true"}}, 5,
                        "outside_bangkok_box", "row-constraint"),
    "half-a-coordinate": ("clinics", "id", {"hc-04": {"longitude": ""}}, 5, "location_precision", "row-constraint"),
    "district-not-in-address": ("clinics", "id", {"hc-04": {"district_code": "1001"}}, 5,
                                "district_code", "row-constraint"),
    "same-name": ("clinics", "id", {"hc-52": {"name_th": "ศูนย์บริการสาธารณสุข 4 ดิน แดง"}}, 53,
                  "name_th", "unique-error"),
    "same-coordinates": ("clinics", "id", {"hosp-taksin": {**CHARO, "location_precision": "exact (from source)"}},
                         73, "latitude", "unique-error"),
    "unknown-service": ("clinics", "id", {"hc-04": {"services": '["Primary care", "Pride clinic", "Yoga"]'}}, 5,
                        "services", "constraint-error"),
    "illustrative-flag": ("clinics", "id", {"hc-04": {"is_illustrative": "true"}}, 5,
                          "is_illustrative", "row-constraint"),
    "hospital-count": ("health_service_figures", "figure_id", {"long-covid-2022-09": {"hospitals_stated": "8"}}, 6,
                       "hospitals_stated", "row-constraint"),
    "centre-count": ("health_service_figures", "figure_id", {"pride-2023-09": {"health_centres_stated": "15"}}, 5,
                     "health_centres_stated", "row-constraint"),
    "two-figures-shown": ("health_service_figures", "figure_id",
                          {"pride-2022-11": {"represented_in_clinics": "true"}}, 5,
                          "represented_in_clinics", "row-constraint"),
}


def test_clinics_datasets_are_valid(runner, clinics_datasets):
    result = runner.invoke(cli, ["validate", "--datasets", str(clinics_datasets)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_rule_names_file_row_column_type(runner, clinics_datasets, case):
    table, key, changes, row, column, kind = RULE_CASES[case]
    path = clinics_datasets / "clinics" / f"{table}.csv"
    edit_csv(path, key, changes)
    result = runner.invoke(cli, ["validate", "--datasets", str(clinics_datasets)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if not line.startswith("info:")][:-1]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"{path}:{row}:{column}: {kind}: "), result.output
    assert " / " in errors[0], "a Thai message stands beside the English one"


# --- nearest service ------------------------------------------------------------------------------

def hand_haversine(lat1, lon1, lat2, lon2, radius=6_371_008.8):
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * radius * math.asin(math.sqrt(h))


async def nearest(ds, **params) -> list[dict]:
    params = {"latitude": "", "longitude": "", "service": "", "limit": "", **params}
    return await rows(ds, "nearest_service.json", **params)


async def test_nearest_from_din_daeng_sorted_in_metres(ds):
    result = await nearest(ds, latitude="13.7650", longitude="100.5520", limit="10")
    assert len(result) == 10
    distances = [r["distance_m"] for r in result]
    assert distances == sorted(distances)
    for row in result:
        expected = hand_haversine(*DIN_DAENG, row["latitude"], row["longitude"])
        assert abs(row["distance_m"] - expected) <= 0.5, row["id"]
    by_id = {r["id"]: r for r in result}
    # worked by hand (equirectangular, 1 degree of latitude = 111,195 m, of longitude x cos 13.77):
    # ศบส. 11 at (13.782, 100.545): 1,890 m north, 757 m west -> 2,036 m
    # ศบส. 4  at (13.778, 100.567): 1,446 m north, 1,622 m east -> 2,172 m
    assert result[0]["id"] == "hc-11" and abs(by_id["hc-11"]["distance_m"] - 2036) <= 2
    assert abs(by_id["hc-04"]["distance_m"] - 2172) <= 2
    assert all(r["map_url"] == f"/{DATABASE}/clinics?id={r['id']}" for r in result)


async def test_nearest_with_a_service_and_limit(ds):
    result = await nearest(ds, latitude="13.7650", longitude="100.5520", service="Pride clinic", limit="3")
    assert len(result) == 3
    assert all("Pride clinic" in services(r) for r in result)
    assert [r["distance_m"] for r in result] == sorted(r["distance_m"] for r in result)
    charoenkrung = await nearest(ds, latitude="13.694388", longitude="100.494648", limit="1")
    assert charoenkrung[0]["id"] == "hosp-charoenkrung" and charoenkrung[0]["distance_m"] == 0


async def test_nearest_with_empty_parameters_uses_din_daeng(ds):
    result = await nearest(ds)
    assert result == await nearest(ds, latitude="13.7650", longitude="100.5520", limit="10")
    assert (result[0]["from_latitude"], result[0]["from_longitude"]) == DIN_DAENG


async def test_nearest_links_each_place_to_the_map(ds):
    response = await ds.client.get(f"/{DATABASE}/nearest_service", params={"limit": "2"})
    assert response.status_code == 200
    assert f'<a href="/{DATABASE}/clinics?id=hc-11">' in response.text
    page = await ds.client.get(f"/{DATABASE}/clinics", params={"id": "hc-11"})
    assert "ศูนย์บริการสาธารณสุข 11 ประดิพัทธ์" in page.text and "datasette-cluster-map" in page.text


# --- GeoJSON --------------------------------------------------------------------------------------

async def geojson(ds, path: str, **params):
    response = await ds.client.get(f"/{DATABASE}{path}", params=params)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["access-control-allow-origin"] == "*"
    return FeatureCollection.model_validate_json(response.text), response.json()


async def test_clinics_geojson_is_a_feature_collection_of_every_clinic(ds):
    collection, raw = await geojson(ds, "/clinics.geojson", _size="max")
    table = {r["id"]: r for r in await rows(ds, "clinics.json")}
    assert raw["type"] == "FeatureCollection" and len(collection.features) == len(table) == 80
    for feature in raw["features"]:
        row = table[feature["properties"]["id"]]
        assert feature["geometry"]["type"] == "Point"
        assert feature["geometry"]["coordinates"] == [row["longitude"], row["latitude"]]
        assert "latitude" not in feature["properties"] and "longitude" not in feature["properties"]
        assert feature["properties"]["name_th"] == row["name_th"]
    assert raw["features"][0]["geometry"]["coordinates"][0] > 100   # longitude first


async def test_geojson_of_a_filtered_view_and_of_a_query(ds):
    collection, _ = await geojson(ds, "/clinics.geojson", services__arraycontains="Pride clinic")
    assert len(collection.features) == 24
    collection, raw = await geojson(
        ds, ".geojson", sql="select 'no point' as name, null as lat, null as lng "
                            "union all select 'ศบส. 4', 13.778, 100.567")
    assert [f["geometry"] for f in raw["features"]] == [None, {"type": "Point", "coordinates": [100.567, 13.778]}]
    assert raw["features"][0]["properties"] == {"name": "no point"}
    response = await ds.client.get(f"/{DATABASE}/districts.geojson")
    assert response.status_code == 400


async def test_geojson_link_only_where_there_are_coordinates(ds):
    assert "clinics.geojson?_labels=on" in (await ds.client.get(f"/{DATABASE}/clinics")).text
    _, raw = await geojson(ds, "/clinics.geojson", _labels="on", id="hc-04")
    assert raw["features"][0]["properties"]["district_code"] == "1026"
    assert raw["features"][0]["properties"]["district_code_label"] == "เขตดินแดง"
    assert "districts.geojson" not in (await ds.client.get(f"/{DATABASE}/districts")).text

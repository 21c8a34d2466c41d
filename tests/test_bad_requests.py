"""Every bad request is a 4xx in words, never a silent answer and never a 500: an unknown filter
operator names the valid ones, a search of punctuation says it cannot match, `_shape=object` where
rows have no key says what to use instead; and query strings drawn at random never make a 5xx."""

import asyncio
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbangkok.model.site_metadata import DATABASE
from openbangkok.site.security.limits import OPERATORS

T = f"/{DATABASE}/complaints"


async def test_an_unknown_operator_is_a_400_naming_the_valid_ones(ds):
    response = await ds.client.get(f"{T}.json?district_code__bogus=1")
    assert response.status_code == 400 and response.json()["ok"] is False
    error = response.json()["error"]
    assert "'bogus'" in error and all(operator in error for operator in ("exact", "gte", "notblank", "in"))
    page = await ds.client.get(f"{T}?district_code__bogus=1")
    assert page.status_code == 400 and "ไม่รู้จักตัวกรอง" in page.text


@pytest.mark.parametrize(
    "operator, value",
    [(o, "1006") for o in OPERATORS if o not in ("in", "notin", "date")]
    + [("in", "1006,1007"), ("notin", "[1006]"), ("date", "2024-01-05")],
)
async def test_every_operator_the_site_accepts_is_one_datasette_applies(ds, operator, value):
    """The list of operators comes from Datasette: each must filter (its description names a
    condition), so a Datasette that renamed one fails here rather than refusing good addresses."""
    column = "timestamp" if operator == "date" else "district_code"
    response = await ds.client.get(f"{T}.json", params={f"{column}__{operator}": value, "_size": "0"})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["human_description_en"].startswith("where "), operator


@pytest.mark.parametrize(
    "address",
    [
        f"/{DATABASE}/ita_district_ranking.json?_shape=object",
        f"/{DATABASE}.json?sql=select+1&_shape=object",
        f"/{DATABASE}/policy_updates.json?_shape=object",
    ],
)
async def test_shape_object_without_a_primary_key_is_a_400(ds, address):
    response = await ds.client.get(address)
    assert response.status_code == 400 and "_shape=objects" in response.json()["error"]


async def test_shape_object_on_a_keyed_table_answers_rows_by_key(ds):
    response = await ds.client.get(f"{T}.json?_shape=object&_size=2")
    assert response.status_code == 200
    assert all(key == row["ticket_id"] for key, row in response.json().items())


NAMES = [
    "_sort",
    "_sort_desc",
    "_size",
    "_facet",
    "_facet_array",
    "_facet_date",
    "_search",
    "_searchmode",
    "_search_comment",
    "_where",
    "_next",
    "_col",
    "_nocol",
    "_shape",
    "_through",
    "_timelimit",
    "_labels",
    "_nl",
    "_json",
    "_stream",
    "_dl",
    "_nofacet",
    "_nocount",
    "_trace",
    "_facet_size",
    "_fts_table",
    "district_code",
    "comment",
    "timestamp",
    "state",
    "types",
    "nope",
]
PAGES = [
    f"{T}.json",
    T,
    f"{T}.csv",
    f"{T}.geojson",
    f"/{DATABASE}/ita_district_ranking.json",
    f"/{DATABASE}/districts",
    f"/{DATABASE}/complaints_unresolved.json",
]
names = st.one_of(
    st.sampled_from(NAMES),
    st.builds(
        lambda c, o: f"{c}__{o}",
        st.sampled_from(NAMES[-6:]),
        st.one_of(st.sampled_from(OPERATORS), st.text(max_size=6)),
    ),
    st.text(max_size=12),
)
values = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "max",
            "1e309",
            "nan",
            "[",
            "{}",
            '"',
            "*",
            "ไฟดับ",
            "๒๕๖๖",
            "object",
            "array",
            "raw",
            "district_code",
            "1=1)",
            "%",
            "\\",
        ]
    ),
    st.text(max_size=24),
)
queries = st.lists(st.tuples(names, values), min_size=1, max_size=5)


@pytest.fixture(scope="session")  # session, not module: the tests spread over the workers
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(page=st.sampled_from(PAGES), query=queries)
def test_no_query_string_makes_a_server_error(ds, loop, page, query):
    address = f"{page}?{urlencode(query)}"
    response = loop.run_until_complete(ds.client.get(address))
    assert response.status_code < 500, (address, response.text[:400])
    if response.status_code >= 400 and page.endswith(".json"):
        assert response.json()["ok"] is False and response.json()["error"], address


CKAN = [
    "resource_id",
    "id",
    "q",
    "filters",
    "limit",
    "offset",
    "fields",
    "sort",
    "rows",
    "start",
    "fq",
    "include_total",
    "records_format",
    "distinct",
    "plain",
    "language",
    "sql",
]
ckan_values = st.one_of(
    values,
    st.sampled_from(
        [
            "complaints",
            "districts",
            '{"district_code": "1006"}',
            '{"nope": 1}',
            "district_code desc",
            "csv",
            "true",
            "2147483648",
        ]
    ),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    action=st.sampled_from(
        [
            "datastore_search",
            "package_show",
            "package_search",
            "resource_show",
            "datastore_search_sql",
            "package_list",
            "nope",
        ]
    ),
    query=st.lists(st.tuples(st.sampled_from(CKAN), ckan_values), max_size=5),
)
def test_no_ckan_call_makes_a_server_error(ds, loop, action, query):
    address = f"/api/3/action/{action}?{urlencode(query)}"
    response = loop.run_until_complete(ds.client.get(address))
    assert response.status_code < 500, (address, response.text[:400])
    assert response.json()["success"] is (response.status_code == 200), address

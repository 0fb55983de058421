"""The pages' own query parameters (not in the OpenAPI schema, so schemathesis does not reach
them), fuzzed: any value answers 200 or a 400 that names a parameter, never a 404 or a 500."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import FUZZ

pytestmark = pytest.mark.django_db

DATES = st.one_of(
    st.dates().map(str),
    st.text(max_size=20),
    st.sampled_from(["", "0000-00-00", "2025-02-30", "9999-12-31", "2015-02-15\x00", "%00"]),
)
PARAMS = st.dictionaries(
    st.sampled_from(["from", "to", "as_of", "known_at", "format", "hxl", "print"]),
    DATES,
    max_size=4,
)


@pytest.fixture
def pages(client_for, analyst, world):
    client = client_for(analyst)
    client.raise_request_exception = False
    return client, [
        "/scorecards/",
        f"/scorecards/agreements/{world.agreement.code}/",
        f"/scorecards/clauses/{world.clause_a.pk}/",
    ]


@FUZZ
@given(params=PARAMS)
def test_page_parameters_answer_200_or_a_400_naming_them(pages, params):
    client, paths = pages
    for path in paths:
        response = client.get(path, params)
        assert response.status_code in (200, 400), (path, params, response.status_code)
        if response.status_code == 400:
            assert "<code>" in response.content.decode()  # the parameter, named

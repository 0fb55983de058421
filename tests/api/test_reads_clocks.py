"""The two clocks on the API's reads: clause statuses, mechanisms' cadence and observations as
of a past date, with what had been filed by ``known_at`` (docs/time.md).

Minsk II's violations of 10-19 February 2022 are filed on 1 March 2026 (archival).
"""

import pytest
import time_machine

from tests.monitor.clocks_world import NOW, clocks_world_build

CLAUSES = "/api/v1/clauses/"
MECHANISMS = "/api/v1/mechanisms/"
OBSERVATIONS = "/api/v1/observations/"
BEFORE_FILING = "2026-02-01"


@pytest.fixture
def minsk(world):
    with time_machine.travel(NOW, tick=False):
        yield clocks_world_build()


def _get(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def _point_1(client, **clocks) -> str:
    rows = _get(client, CLAUSES, {"agreement": "minsk-ii", "page_size": 100, **clocks})
    return next(row["status"] for row in rows if row["reference"] == "1")


def test_clause_status_as_of_a_past_date_counts_the_archive(client_for, analyst, minsk):
    client = client_for(analyst)
    assert _point_1(client) == "not_in_force"  # Minsk II lapsed in 2022
    assert _point_1(client, as_of="2022-02-20") == "violated"
    # Before the archive was filed, nothing told of those violations.
    assert _point_1(client, as_of="2022-02-20", known_at=BEFORE_FILING) != "violated"
    # After the end, a clause violated in its life is not merely "not in force".
    assert _point_1(client, as_of="2023-01-01") == "violated_before_end"


def test_mechanism_cadence_as_of_a_past_date(client_for, analyst, minsk):
    client = client_for(analyst)
    params = {"agreement__code": "minsk-ii", "code": "osce-smm"}
    [now] = _get(client, MECHANISMS, params)
    assert now["cadence_status"] == "ended"  # the SMM's mandate ended on 31 March 2022
    [then] = _get(client, MECHANISMS, {**params, "as_of": "2022-02-20"})
    assert then["cadence_status"] == "ok"
    assert then["last_covered"].startswith("2022-02-20")
    [unknown] = _get(
        client, MECHANISMS, {**params, "as_of": "2022-02-20", "known_at": "2026-02-01"}
    )
    assert unknown["last_covered"] is None


def test_observations_known_at_and_as_of(client_for, analyst, minsk):
    client = client_for(analyst)
    base = {"agreement": "minsk-ii", "page_size": 100}
    assert len(_get(client, OBSERVATIONS, base)) == 10
    assert _get(client, OBSERVATIONS, {**base, "known_at": BEFORE_FILING}) == []
    assert len(_get(client, OBSERVATIONS, {**base, "known_at": "2026-03-01T12:00"})) == 10
    assert len(_get(client, OBSERVATIONS, {**base, "as_of": "2022-02-15"})) == 6  # 10th-15th


@pytest.mark.parametrize("url", [CLAUSES, MECHANISMS, OBSERVATIONS])
def test_bad_clocks_answer_400_naming_the_parameter(client_for, analyst, minsk, url):
    client = client_for(analyst)
    for name, value in (("as_of", "2015-13-01"), ("known_at", "yesterday")):
        response = client.get(url, {name: value})
        assert response.status_code == 400, (url, name)
        assert name in response.content.decode()

"""Small API faults found by the adversarial run (issue 12, items 6 and 9)."""

import json

import pytest

from tests.api.conftest import make_alert
from tests.factories import AreaFactory


def _geojson(client) -> dict:
    response = client.get("/api/v1/alerts/", {"format": "geojson"})
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "9" * 30])
def test_an_alert_action_on_a_non_numeric_id_is_a_404_not_a_server_error(
    client_for, analyst, world, action, pk
):
    response = client_for(analyst).post(f"/api/v1/alerts/{pk}/{action}/", {"comment": "x"})
    assert response.status_code == 404


def test_alert_geojson_keeps_every_area_of_the_clause(client_for, analyst, world):
    east = AreaFactory(code="east", min_lon=37.0, min_lat=47.0, max_lon=38.0, max_lat=48.0)
    west = AreaFactory(code="west", min_lon=30.0, min_lat=46.0, max_lon=31.0, max_lat=47.0)
    world.clause_a.areas.set([east, west])
    make_alert(world.clause_a)

    (feature,) = _geojson(client_for(analyst))["features"]

    assert feature["geometry"]["type"] == "MultiPolygon"
    corners = sorted(ring[0][0] for ring in feature["geometry"]["coordinates"])
    assert corners == [[30.0, 46.0], [37.0, 47.0]]


def test_alert_geojson_places_an_unmapped_clause_at_its_latest_evidence_like_cap(
    client_for, analyst, world, filed_a
):
    filed_a.observation.latitude, filed_a.observation.longitude = 47.1, 37.9
    filed_a.observation.save()
    make_alert(world.clause_b, evidence=[filed_a.observation])

    (feature,) = _geojson(client_for(analyst))["features"]

    assert feature["geometry"] == {"type": "Point", "coordinates": [37.9, 47.1]}
    assert feature["properties"]["radius_km"] == 5


def test_payloads_list_takes_page_size(client_for, observer_a, world):
    from reports.models import InboundPayload

    for n in range(5):
        InboundPayload.objects.create(
            body=b"{}", sha256=f"{n}" * 64, format="json", sender=observer_a
        )
    client = client_for(observer_a)

    page = client.get("/api/v1/payloads/", {"page_size": 2}).json()

    assert len(page["results"]) == 2 and page["next"]


def test_an_observers_alert_geojson_point_comes_from_its_own_evidence(
    client_for, observer_b, world, filed_a, filed_b
):
    make_alert(world.clause_b, evidence=[filed_a.observation, filed_b.observation])

    (feature,) = _geojson(client_for(observer_b))["features"]

    assert feature["geometry"]["coordinates"] == [38.5, 48.0]  # mission B's, not A's

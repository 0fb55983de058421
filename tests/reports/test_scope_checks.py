"""Observations checked against their clause at ingest: outside its period or areas they are
stored flagged with the reason (or rejected, where the agreement says so), shown, filtered
and left out of the rules."""

import datetime as dt
import json

import pytest

from agreements.models import Agreement, Area
from monitor.models import Alert
from monitor.services import alerts_reconcile, rules_evaluate
from reports.models import Observation
from tests.reports.pipeline_support import State, _body, _ingest, _observation, _report

pytestmark = pytest.mark.django_db

IN_FORCE = "2025-01-15"  # the world's agreement and clause 1 take effect then
AREAS = "the clause's areas (Donetsk oblast, Luhansk oblast)"


@pytest.fixture
def oblasts(world):
    """Clause 1 applies in Donetsk and Luhansk oblasts; the agreement ends on 30 June 2025."""
    donetsk = Area.objects.create(
        code="donetsk-oblast",
        name="Donetsk oblast",
        country="UA",
        min_lon=36.5,
        min_lat=46.8,
        max_lon=40.3,
        max_lat=49.3,
        aliases=["Донецька область"],
    )
    luhansk = Area.objects.create(
        code="luhansk-oblast",
        name="Luhansk oblast",
        country="UA",
        min_lon=37.8,
        min_lat=47.8,
        max_lon=40.3,
        max_lat=50.2,
        aliases=["Lugansk oblast"],
    )
    Area.objects.create(code="kharkiv-oblast", name="Kharkiv oblast", country="UA")
    world.clause_a.areas.set([donetsk, luhansk])
    world.agreement.expires_on = dt.date(2025, 6, 30)
    world.agreement.save()
    return donetsk, luhansk


def _row(n: int, when: str = "2025-03-01T08:00:00Z", **place) -> dict:
    row = _observation(n, occurred_at=when, **place)
    for key in ("latitude", "longitude"):
        if key not in place:
            row.pop(key)
    return row


MIXED = [
    _row(1, admin_area="Donetska oblast", place_name="Shyrokyne"),
    _row(2, "2025-01-03T10:00:00Z", admin_area="Donetsk oblast"),
    _row(3, "2025-07-02T10:00:00Z", admin_area="Luhansk"),
    _row(4, admin_area="Kharkiv oblast"),
    _row(5, admin_area="Луганська область"),  # not an alias, but the gazetteer's Ukrainian name
    _row(6, place_name="Lugansk"),  # an alias
    _row(7, latitude=49.99, longitude=36.23, place_name="Kharkiv"),
    _row(8),  # no place at all
]


def _flags() -> list[tuple[int, bool, bool, str]]:
    return list(
        Observation.objects.order_by("sequence").values_list(
            "quantity", "outside_period", "outside_area", "scope_note"
        )
    )


def test_rows_outside_the_period_or_areas_are_stored_flagged_with_the_reason(oblasts, observer_a):
    payload = _ingest(_body(_report(observations=MIXED)), sender=observer_a)

    assert payload.state == State.DONE
    assert _flags() == [
        (1, False, False, ""),
        (
            2,
            True,
            False,
            "dated 3 January 2025, before clause 1 took effect (15 January 2025)",
        ),
        (3, True, False, "dated 2 July 2025, after Test ceasefire ended (30 June 2025)"),
        (4, False, True, f"placed in Kharkiv oblast, outside {AREAS}"),
        (5, False, False, ""),
        (6, False, False, ""),
        (7, False, True, f"placed at Kharkiv (49.99, 36.23), outside {AREAS}"),
        (8, False, False, ""),
    ]


def test_a_spelling_of_an_area_is_stored_as_that_area(oblasts, observer_a):
    donetsk, _ = oblasts

    _ingest(_body(_report(observations=[_row(1, admin_area="Donetsk Oblast'")])), sender=observer_a)

    assert Observation.objects.get().area == donetsk


def test_rows_of_an_agreement_that_rejects_them_reject_the_payload_naming_each(
    oblasts, world, observer_a
):
    world.agreement.out_of_scope_rows = Agreement.OutOfScopeRows.REJECT
    world.agreement.save()
    rows = [
        _row(1, admin_area="Donetsk"),
        _row(2, "2025-01-03T10:00:00Z"),
        _row(3, admin_area="Kharkiv oblast"),
        _row(4, admin_area="Luhansk oblast"),
    ]

    payload = _ingest(_body(_report(observations=rows)), sender=observer_a)

    refusal = "Test ceasefire takes no observations outside a clause's period or areas"
    assert payload.state == State.REJECTED
    assert payload.errors == [
        f"row 2, occurred_at: dated 3 January 2025, before clause 1 took effect "
        f"(15 January 2025); {refusal}",
        f"row 3, admin_area: placed in Kharkiv oblast, outside {AREAS}; {refusal}",
    ]
    assert not Observation.objects.exists()
    assert payload.body  # the payload is kept as it came

    accepted = _ingest(
        _body(_report(observations=[rows[0], rows[3]], external_id="A-0002")), sender=observer_a
    )
    assert accepted.state == State.DONE
    assert _flags() == [(1, False, False, ""), (4, False, False, "")]


def test_an_areas_geometry_decides_over_its_box_and_keeps_its_holes(world, observer_a):
    ring = [[37.0, 47.0], [38.0, 47.0], [38.0, 48.0], [37.0, 48.0], [37.0, 47.0]]
    hole = [[37.4, 47.4], [37.6, 47.4], [37.6, 47.6], [37.4, 47.6], [37.4, 47.4]]
    sector = Area.objects.create(
        code="sector",
        name="Sector North",
        geometry={"type": "Polygon", "coordinates": [ring, hole]},
        min_lon=30.0,  # a box far wider than the shape: the shape counts
        min_lat=40.0,
        max_lon=45.0,
        max_lat=55.0,
    )
    world.clause_a.areas.set([sector])
    rows = [
        _row(1, latitude=47.2, longitude=37.2),
        _row(2, latitude=47.5, longitude=37.5, place_name="Lake"),
        _row(3, latitude=47.5, longitude=39.0, place_name=""),
    ]

    _ingest(_body(_report(observations=rows)), sender=observer_a)

    assert [flags[2:] for flags in _flags()] == [
        (False, ""),
        (True, "placed at Lake (47.5, 37.5), outside the clause's area (Sector North)"),
        (True, "placed at 47.5, 39, outside the clause's area (Sector North)"),
    ]


def test_a_clause_without_areas_checks_only_the_period(world, observer_a):
    rows = [_row(1, admin_area="Anywhere"), _row(2, "2025-01-14T23:00:00Z")]

    _ingest(_body(_report(observations=rows)), sender=observer_a)

    assert [flags[1:3] for flags in _flags()] == [(False, False), (True, False)]


def test_the_flags_are_not_content_so_a_resent_report_stays_a_duplicate(oblasts, world, observer_a):
    document = _report(observations=[_row(1, admin_area="Kharkiv oblast")])
    _ingest(_body(document), sender=observer_a)
    world.clause_a.areas.clear()  # the same row would now pass

    again = _ingest(json.dumps(document, indent=1).encode(), sender=observer_a)

    assert again.result.get("duplicate") is True
    assert _flags() == [(1, False, True, f"placed in Kharkiv oblast, outside {AREAS}")]


def test_a_flagged_violation_opens_no_alert(oblasts, world, observer_a):
    as_of = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    _ingest(_body(_report(observations=[_row(1, admin_area="Kharkiv oblast")])), sender=observer_a)

    evaluation = rules_evaluate(as_of=as_of, rules=["clause.violation_recorded"])
    alerts_reconcile(evaluation=evaluation)

    assert evaluation.findings == []
    assert not Alert.objects.exists()

    document = _report(observations=[_row(2, admin_area="Donetsk")], external_id="A-0002")
    _ingest(_body(document), sender=observer_a)
    evaluation = rules_evaluate(as_of=as_of, rules=["clause.violation_recorded"])

    counted = Observation.objects.get(quantity=2)
    assert [(f.clause_id, f.evidence) for f in evaluation.findings] == [
        (world.clause_a.pk, [counted.pk])
    ]


@pytest.fixture
def filed(oblasts, observer_a):
    _ingest(_body(_report(observations=MIXED)), sender=observer_a)


@pytest.mark.parametrize(
    ("outside", "quantities"),
    [
        ("period", [2, 3]),
        ("area", [4, 7]),
        ("any", [2, 3, 4, 7]),
        ("none", [1, 5, 6, 8]),
        ("", [1, 2, 3, 4, 5, 6, 7, 8]),
    ],
)
def test_api_filters_observations_by_scope(filed, client_for, analyst, outside, quantities):
    response = client_for(analyst).get("/api/v1/observations/", {"outside": outside})

    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted(o["quantity"] for o in results) == quantities


def test_api_gives_each_observation_its_flags_and_reason(filed, client_for, analyst):
    response = client_for(analyst).get("/api/v1/observations/", {"outside": "period"})

    first = min(response.json()["results"], key=lambda o: o["quantity"])
    assert (first["outside_period"], first["outside_area"], first["scope_note"]) == (
        True,
        False,
        "dated 3 January 2025, before clause 1 took effect (15 January 2025)",
    )


def test_api_refuses_an_unknown_scope_filter(filed, client_for, analyst):
    response = client_for(analyst).get("/api/v1/observations/", {"outside": "elsewhere"})

    assert response.status_code == 400
    assert "outside" in response.json()["error"]["details"]


def test_csv_export_carries_the_reason(filed, client_for, analyst):
    response = client_for(analyst).get(
        "/api/v1/observations/", {"format": "csv", "outside": "area"}
    )

    text = b"".join(response.streaming_content).decode()
    assert "outside the clause's,why outside" in text.splitlines()[0]
    assert f"area,placed in Kharkiv oblast, outside {AREAS}" in text.replace('"', "")


def test_clause_page_marks_flagged_rows_with_the_reason(filed, world, client_for, analyst):
    response = client_for(analyst).get(f"/scorecards/clauses/{world.clause_a.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="outside"') == 4
    assert "Not counted: placed in Kharkiv oblast, outside the clause&#x27;s areas" in page
    assert "outside the period</div>" in page


def test_admin_lists_observations_outside_their_clause(filed, client_for, analyst):
    client = client_for(analyst)

    flagged = client.get("/admin/reports/observation/", {"outside": "area"}).content.decode()
    counted = client.get("/admin/reports/observation/", {"outside": "none"}).content.decode()

    assert "placed in Kharkiv oblast" in flagged and "Shyrokyne" not in flagged
    assert "Shyrokyne" in counted and "placed in" not in counted


def test_admin_observation_list_keeps_to_the_observers_missions(filed, client_for, observer_b):
    response = client_for(observer_b).get("/admin/reports/observation/", {"outside": "any"})

    assert response.status_code == 200
    assert "placed in Kharkiv oblast" not in response.content.decode()

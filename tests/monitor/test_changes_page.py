"""What changed (/changes/): alert transitions as recorded, clause statuses that moved,
violations against the period before (by the day they happened), assessments; bounded by
the reader's agreements."""

import datetime as dt

import pytest
from django.test import Client

from agreements.models import AgreementParty, ImplementationAssessment
from monitor.aggregates import aggregates_refresh
from monitor.models import AlertTransition
from tests.api.conftest import make_alert
from tests.factories import (
    AgreementFactory,
    ClauseFactory,
    ObservationFactory,
    PartyFactory,
    ReportFactory,
)

FEBRUARY = "/changes/?since=2025-02-01&until=2025-02-28"


def _at(day: int, month: int = 2) -> dt.datetime:
    return dt.datetime(2025, month, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def history(world, analyst):
    party = PartyFactory(code="party-east", name="Eastern Forces")
    AgreementParty.objects.get_or_create(agreement=world.agreement, party=party)
    report = ReportFactory(mission=world.mission_a, status="accepted")
    for day in (3, 4, 5):
        ObservationFactory(report=report, clause=world.clause_a, party=party, occurred_at=_at(day))
    ObservationFactory(report=report, clause=world.clause_a, occurred_at=_at(6))
    ObservationFactory(report=report, clause=world.clause_b, party=party, occurred_at=_at(20, 1))
    elsewhere = ClauseFactory(agreement=AgreementFactory(code="elsewhere", title="Elsewhere"))
    ObservationFactory(
        report=ReportFactory(status="accepted"), clause=elsewhere, occurred_at=_at(7)
    )
    aggregates_refresh()
    opened = make_alert(world.clause_a, severity=4)
    AlertTransition.objects.filter(alert=opened).update(at=_at(10))
    AlertTransition.objects.create(
        alert=opened,
        kind="resolved",
        from_state="open",
        to_state="resolved",
        severity=4,
        by=analyst,
        comment="Checked with the mission.",
        at=_at(12),
    )
    foreign = make_alert(elsewhere, severity=3)
    AlertTransition.objects.filter(alert=foreign).update(at=_at(10))
    ImplementationAssessment.objects.create(
        clause=world.clause_b, level=1, assessed_on=dt.date(2025, 2, 14), rationale="Partly."
    )
    return {"opened": opened, "foreign": foreign}


def test_changes_of_a_past_period(client_for, analyst, history, world):
    response = client_for(analyst).get(FEBRUARY)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.opened.count == 2
    assert report.resolved_by_analyst.count == 1
    assert report.resolved_by_analyst.shown[0].comment == "Checked with the mission."
    by_clause = {row.label: row for row in report.by_clause}
    ceasefire = by_clause[f"{world.clause_a.reference} · Ceasefire"]
    assert (ceasefire.now, ceasefire.before, ceasefire.difference) == (4, 0, 4)
    assert ceasefire.now_url == (
        f"/explore/?agreement=test-ceasefire&clause={world.clause_a.pk}&kind=violation"
        "&from=2025-02-01&to=2025-02-28&outside=none"
    )
    withdrawal = by_clause[f"{world.clause_b.reference} · Withdrawal"]
    assert (withdrawal.now, withdrawal.before) == (0, 1)
    assert "from=2025-01-04&to=2025-01-31" in withdrawal.before_url
    by_party = {row.label: (row.now, row.before) for row in report.by_party}
    assert by_party["Eastern Forces"] == (3, 1)
    assert by_party["Unattributed"] == (2, 0)  # one here, one on the other agreement
    assert [a.clause_id for a in report.assessments] == [world.clause_b.pk]
    text = response.content.decode()
    assert "Alert changes are counted on the day they were recorded" in text
    assert "28 days, compared with the 28 days before" in text


def test_the_default_period_is_the_last_week(client_for, analyst, world):
    response = client_for(analyst).get("/changes/")
    period = response.context["period"]
    today = dt.date.today()
    assert (period.since, period.until) == (today - dt.timedelta(days=7), today)


def test_an_observer_reads_its_agreements_only(client_for, observer_a, history, world):
    report = client_for(observer_a).get(FEBRUARY).context["report"]
    assert report.opened.count == 1
    assert {row.agreement for row in report.by_clause} == {"Test ceasefire"}
    assert {r.label: r.now for r in report.by_party}["Unattributed"] == 1
    assert "Elsewhere" not in client_for(observer_a).get(FEBRUARY).content.decode()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?since=2025-13-01", "since"), ("?since=2025-03-01&until=2025-02-01", "since")],
)
def test_a_bad_period_is_a_400(client_for, analyst, world, query, parameter):
    response = client_for(analyst).get("/changes/" + query)
    assert response.status_code == 400 and response.context["parameter"] == parameter


def test_anonymous_readers_are_sent_to_log_in(world):
    response = Client().get(FEBRUARY)
    assert response.status_code == 302 and "login" in response["Location"]


def test_clause_statuses_compare_the_day_before_since_with_until(
    client_for, analyst, world, monkeypatch
):
    asked = []

    def status_at(clauses, *, as_of=None, known_at=None):
        asked.append(as_of)
        moved = as_of is not None and as_of.date() == dt.date(2025, 2, 28)
        return {c.pk: "violated" if moved and c == world.clause_a else "no_data" for c in clauses}

    monkeypatch.setattr("monitor.inbox.changes.clauses_status_at", status_at)
    response = client_for(analyst).get(FEBRUARY)
    statuses = response.context["report"].statuses
    assert [(c.pk, before, after) for c, before, _, after, _ in statuses] == [
        (world.clause_a.pk, "no_data", "violated")
    ]
    assert [moment.date() for moment in asked] == [dt.date(2025, 1, 31), dt.date(2025, 2, 28)]
    assert "Status at the end of 31 January 2025 against the end of 28 February 2025" in (
        response.content.decode()
    )


def test_an_agreement_that_ended_long_ago_shows_no_status_change_this_week(
    client_for, analyst, world
):
    # Violated in its life, ended years ago: "now" reads as the day before the week does.
    ended = AgreementFactory(
        code="ended",
        title="Ended ceasefire",
        status="terminated",
        signed_on=dt.date(2015, 2, 12),
        in_force_on=dt.date(2015, 2, 15),
        expires_on=dt.date(2022, 2, 21),
    )
    clause = ClauseFactory(agreement=ended, in_force_from=None)
    ObservationFactory(
        report=ReportFactory(status="accepted", filed_at=dt.datetime(2016, 3, 2, tzinfo=dt.UTC)),
        clause=clause,
        occurred_at=dt.datetime(2016, 3, 1, 12, tzinfo=dt.UTC),
    )
    statuses = client_for(analyst).get("/changes/").context["report"].statuses
    assert clause.pk not in [c.pk for c, *_ in statuses]

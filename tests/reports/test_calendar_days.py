"""A date without a time stays that calendar day; a time counts on its day in the agreement's
zone (issue 14: "2022-01-01" read with --timezone Europe/Kyiv is 22:00 UTC on 31 December and
used to count on 31 December).

Reports go in through the real pipeline (``import_reports`` and ``payload_receive``).
"""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from reports.ingest.process import payload_ingest
from reports.ingest.receive import payload_receive
from reports.models import Channel, InboundPayload, Observation

UTC = dt.UTC
START = dt.date(2021, 6, 1)  # the agreement binds long before every date sent here


@pytest.fixture
def kyiv(world):
    """The world's agreement read in Kyiv time, in force over every date used here."""
    agreement = world.agreement
    agreement.time_zone = "Europe/Kyiv"
    agreement.signed_on = agreement.in_force_on = START
    agreement.save()
    agreement.clauses.update(in_force_from=START)
    world.mechanism_a.active_from = START
    world.mechanism_a.save()
    return world


def _import_csv(tmp_path, rows: list[str], **options) -> list[Observation]:
    path = tmp_path / "daily.csv"
    path.write_text("kind,clause,occurred_at,place_name\n" + "".join(f"{r}\n" for r in rows))
    call_command("import_reports", str(path), mission="mission-a", stdout=io.StringIO(), **options)
    return list(Observation.objects.order_by("sequence"))


def _ingest(rows: list[dict], **header) -> list[Observation]:
    document = {"mission": "mission-a", "external_id": "A-days", "observations": rows, **header}
    payload = payload_receive(
        body=json.dumps(document).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=None,
    ).payload
    payload_ingest(payload_id=payload.pk)
    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.DONE, payload.errors
    return list(Observation.objects.filter(report_id=payload.report_id).order_by("sequence"))


def _day(observation: Observation) -> tuple[dt.datetime, dt.date, bool]:
    return observation.occurred_at.astimezone(UTC), observation.occurred_on, observation.date_only


def test_a_date_without_a_time_read_in_kyiv_stays_on_its_day(kyiv, tmp_path):
    [observation] = _import_csv(
        tmp_path, ["violation,test-ceasefire:1,2022-01-01,Shyrokyne"], timezone="Europe/Kyiv"
    )

    assert _day(observation) == (
        dt.datetime(2021, 12, 31, 22, 0, tzinfo=UTC),  # the start of 1 January in Kyiv
        dt.date(2022, 1, 1),
        True,
    )


@pytest.mark.parametrize(
    "sent",
    ["01.01.2022", "1.1.2022", "2022-01-01", "44562"],  # 44562: the spreadsheet serial
)
def test_every_way_of_writing_a_date_alone_is_a_calendar_day(kyiv, tmp_path, sent):
    [observation] = _import_csv(
        tmp_path, [f"violation,test-ceasefire:1,{sent},Shyrokyne"], timezone="Europe/Kyiv"
    )

    assert observation.date_only
    assert observation.occurred_on == dt.date(2022, 1, 1)
    assert observation.occurred_at == dt.datetime(2021, 12, 31, 22, 0, tzinfo=UTC)


def test_a_serial_with_a_fraction_has_a_time(kyiv, tmp_path):
    [observation] = _import_csv(
        tmp_path, ["violation,test-ceasefire:1,44562.5,Shyrokyne"], timezone="Europe/Kyiv"
    )

    assert not observation.date_only
    assert observation.occurred_at == dt.datetime(2022, 1, 1, 10, 0, tzinfo=UTC)  # noon Kyiv
    assert observation.occurred_on == dt.date(2022, 1, 1)


def test_without_a_stated_zone_the_missions_zone_reads_the_values(kyiv):
    kyiv.mission_a.time_zone = "Europe/Kyiv"
    kyiv.mission_a.save()

    date_only, timed = _ingest(
        [
            {"kind": "violation", "clause": "1", "occurred_at": "2022-01-05"},
            {"kind": "violation", "clause": "1", "occurred_at": "2022-01-05T08:00:00"},
        ],
        agreement="test-ceasefire",
    )

    assert _day(date_only) == (
        dt.datetime(2022, 1, 4, 22, 0, tzinfo=UTC),
        dt.date(2022, 1, 5),
        True,
    )
    assert _day(timed) == (dt.datetime(2022, 1, 5, 6, 0, tzinfo=UTC), dt.date(2022, 1, 5), False)


def test_an_explicit_offset_wins_over_every_zone(kyiv):
    kyiv.mission_a.time_zone = "America/New_York"
    kyiv.mission_a.save()

    [observation] = _ingest(
        [{"kind": "violation", "clause": "1", "occurred_at": "2022-01-31T22:30:00Z"}],
        agreement="test-ceasefire",
        timezone="Asia/Tokyo",
    )

    # 22:30 UTC is 00:30 on 1 February in Kyiv, the agreement's zone: that is its day.
    assert _day(observation) == (
        dt.datetime(2022, 1, 31, 22, 30, tzinfo=UTC),
        dt.date(2022, 2, 1),
        False,
    )


@pytest.mark.parametrize("sent", ["2022-01-31T23:30:00", "2022-01-31T23:30:00+02:00"])
def test_2330_kyiv_time_on_31_january_counts_on_31_january(kyiv, sent):
    [observation] = _ingest(
        [{"kind": "violation", "clause": "1", "occurred_at": sent}],
        agreement="test-ceasefire",
        timezone="Europe/Kyiv",
    )

    assert _day(observation) == (
        dt.datetime(2022, 1, 31, 21, 30, tzinfo=UTC),
        dt.date(2022, 1, 31),
        False,
    )


def test_a_time_counts_on_its_day_in_the_agreements_zone_not_the_missions(kyiv):
    kyiv.mission_a.time_zone = "America/New_York"
    kyiv.mission_a.save()

    with_clause, without = _ingest(
        [
            {"kind": "violation", "clause": "1", "occurred_at": "2022-01-31T17:30:00"},
            {"kind": "incident", "occurred_at": "2022-01-31T17:30:00"},
        ],
        agreement="test-ceasefire",
    )

    # 17:30 in New York is 22:30 UTC, 00:30 on 1 February in Kyiv.
    assert with_clause.occurred_on == dt.date(2022, 2, 1)  # the agreement's zone
    assert without.occurred_on == dt.date(2022, 1, 31)  # no clause: the mission's zone


# Kyiv changes clocks on the last Sunday of March (03:00 EET -> 04:00 EEST) and of October
# (04:00 EEST -> 03:00 EET): 27 March and 30 October in 2022.
DST = [
    # sent (read in Kyiv time unless it has an offset), instant in UTC, day, date only
    ("2022-03-26T23:30:00", dt.datetime(2022, 3, 26, 21, 30), dt.date(2022, 3, 26), False),
    ("2022-03-27", dt.datetime(2022, 3, 26, 22, 0), dt.date(2022, 3, 27), True),
    ("2022-03-27T02:59:00", dt.datetime(2022, 3, 27, 0, 59), dt.date(2022, 3, 27), False),
    (
        "2022-03-27T03:30:00",
        dt.datetime(2022, 3, 27, 1, 30),
        dt.date(2022, 3, 27),
        False,
    ),  # skipped
    ("2022-03-27T04:00:00", dt.datetime(2022, 3, 27, 1, 0), dt.date(2022, 3, 27), False),
    ("2022-03-27T23:30:00", dt.datetime(2022, 3, 27, 20, 30), dt.date(2022, 3, 27), False),
    ("2022-03-26T22:30:00Z", dt.datetime(2022, 3, 26, 22, 30), dt.date(2022, 3, 27), False),
    ("2022-10-29T23:59:00", dt.datetime(2022, 10, 29, 20, 59), dt.date(2022, 10, 29), False),
    ("2022-10-30", dt.datetime(2022, 10, 29, 21, 0), dt.date(2022, 10, 30), True),
    (
        "2022-10-30T03:30:00",
        dt.datetime(2022, 10, 30, 0, 30),
        dt.date(2022, 10, 30),
        False,
    ),  # twice
    ("2022-10-30T04:00:00", dt.datetime(2022, 10, 30, 2, 0), dt.date(2022, 10, 30), False),
    ("2022-10-30T23:30:00", dt.datetime(2022, 10, 30, 21, 30), dt.date(2022, 10, 30), False),
    ("2022-10-29T21:30:00Z", dt.datetime(2022, 10, 29, 21, 30), dt.date(2022, 10, 30), False),
    ("2022-10-30T22:30:00Z", dt.datetime(2022, 10, 30, 22, 30), dt.date(2022, 10, 31), False),
]


@pytest.mark.parametrize(("sent", "instant", "day", "date_only"), DST)
def test_clock_changes_in_kyiv_keep_every_value_on_its_day(kyiv, sent, instant, day, date_only):
    [observation] = _ingest(
        [{"kind": "violation", "clause": "1", "occurred_at": sent}],
        agreement="test-ceasefire",
        timezone="Europe/Kyiv",
    )

    assert _day(observation) == (instant.replace(tzinfo=UTC), day, date_only)


def test_a_spreadsheet_date_cell_is_a_day_and_a_date_time_cell_is_not(kyiv, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["kind", "clause", "occurred_at"])
    sheet.append(["violation", "test-ceasefire:1", dt.date(2022, 1, 1)])
    sheet.append(["violation", "test-ceasefire:1", dt.datetime(2022, 1, 1, 23, 30)])
    sheet["C2"].number_format = "yyyy-mm-dd"
    sheet["C3"].number_format = "yyyy-mm-dd hh:mm"
    path = tmp_path / "daily.xlsx"
    book.save(path)

    call_command(
        "import_reports", str(path), mission="mission-a", timezone="Europe/Kyiv",
        stdout=io.StringIO(),
    )  # fmt: skip

    cell_day, cell_time = Observation.objects.order_by("sequence")
    assert _day(cell_day) == (
        dt.datetime(2021, 12, 31, 22, 0, tzinfo=UTC),
        dt.date(2022, 1, 1),
        True,
    )
    assert _day(cell_time) == (
        dt.datetime(2022, 1, 1, 21, 30, tzinfo=UTC),
        dt.date(2022, 1, 1),
        False,
    )


def test_reads_and_exports_give_the_calendar_day_of_a_date_alone(kyiv, analyst, client_for):
    _ingest(
        [{"kind": "violation", "clause": "1", "occurred_at": "2022-01-01"}],
        agreement="test-ceasefire",
        timezone="Europe/Kyiv",
    )
    client = client_for(analyst)

    [row] = client.get("/api/v1/observations/").json()["results"]
    csv = client.get("/api/v1/observations/", {"format": "csv"})
    header, line = b"".join(csv.streaming_content).decode().splitlines()

    assert (row["occurred_at"], row["occurred_on"], row["date_only"]) == (
        "2021-12-31T22:00:00Z",
        "2022-01-01",
        True,
    )
    exported = dict(zip(header.split(","), line.split(","), strict=True))
    assert (exported["occurred on (calendar day)"], exported["date only"]) == ("2022-01-01", "True")


def test_a_mission_zone_that_is_no_zone_rejects_the_report_saying_so(kyiv):
    kyiv.mission_a.time_zone = "Europe/Atlantis"
    kyiv.mission_a.save()
    document = {"mission": "mission-a", "external_id": "A-zone", "observations": []}
    payload = payload_receive(
        body=json.dumps(document).encode(),
        content_type="application/json",
        format="json",
        channel=Channel.API,
        sender=None,
    ).payload

    payload_ingest(payload_id=payload.pk)

    payload.refresh_from_db()
    assert payload.state == InboundPayload.State.REJECTED
    assert payload.errors == ['mission mission-a\'s time zone: unknown time zone "Europe/Atlantis"']

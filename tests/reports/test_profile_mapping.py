"""Import profiles drive how CSV, HXL and XLSX files are read (issue 15): each case is a file
in a shape found in the field, imported through the real pipeline, with the exact counts and
stored values, and every loss that used to be silent now visible (kept in the attributes, or
an error that names it and says how to resolve it)."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from reports.ingest.dates import DateProblem, parse_moment, read_moment
from reports.models import InboundPayload
from reports.parsers.base import PayloadProblem
from reports.parsers.csv_profile import parse_csv
from reports.parsers.tabular import split_amount
from reports.parsers.xlsx import parse_xlsx
from reports.profiles.registry import profile_from_file, profile_params
from reports.profiles.spec import ProfileProblem, from_mapping, from_yaml
from tests.reports.import_support import DATA, import_file, observations, workbook

UTC = dt.UTC
KYIV = dt.timezone(dt.timedelta(hours=3))
REJECTED = InboundPayload.State.REJECTED
CORRIDOR = (DATA / "corridor-inspections.csv").read_bytes()


def _corridor(**changes):
    """The corridor profile (tests/data/imports/corridor-inspections.yaml), maybe changed."""
    spec = profile_from_file(DATA / "corridor-inspections.yaml")
    data = spec.as_params()
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return from_mapping(data, code=spec.code)


# --- a read-me first sheet ----------------------------------------------------------------

README_BOOK = workbook(
    {
        "Read me": [
            ["Joint inspection log, March 2025"],
            ["Times are local (Kyiv). One row per inspection; see the next sheet."],
        ],
        "Inspections": [
            ["kind", "occurred_at", "clause", "place_name"],
            ["violation", dt.datetime(2025, 3, 1, 9, 30), "1", "Shyrokyne"],
            ["information", dt.datetime(2025, 3, 1, 14, 5), None, "Mariupol road"],
            ["violation", dt.datetime(2025, 3, 2, 7, 45), "1", "Hnutove"],
        ],
        "Lists": [["Allowed kinds"], ["violation"], ["information"]],
    }
)


def test_read_me_first_sheet_is_refused_naming_the_sheets(world):
    payload = import_file(README_BOOK, "xlsx", mission=world.mission_a)
    assert payload.state == REJECTED
    assert payload.errors == [
        'file: sheet "Read me" (the first) has no column that maps to an observation field, '
        'but sheet "Inspections" has (kind, occurred_at, clause, place_name): choose one with '
        "--sheet / the profile's sheet (the workbook's sheets: Read me, Inspections, Lists)"
    ]


def test_sheet_chosen_by_name_trimmed_and_without_case_is_read(world):
    payload = import_file(README_BOOK, "xlsx", mission=world.mission_a, sheet="  inspections ")
    stored = observations(payload)
    assert [(o.kind, o.place_name, o.occurred_at) for o in stored] == [
        ("violation", "Shyrokyne", dt.datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
        ("information", "Mariupol road", dt.datetime(2025, 3, 1, 14, 5, tzinfo=UTC)),
        ("violation", "Hnutove", dt.datetime(2025, 3, 2, 7, 45, tzinfo=UTC)),
    ]


def test_unknown_sheet_is_refused_listing_the_workbooks_sheets(world):
    payload = import_file(README_BOOK, "xlsx", mission=world.mission_a, sheet="Inspection")
    assert payload.errors == [
        'file: the workbook has no sheet "Inspection" (its sheets: "Read me", "Inspections", '
        '"Lists")'
    ]


def test_every_row_message_names_the_sheet(world):
    book = workbook(
        {
            "Notes": [["kind", "remark"]],
            "Inspections": [
                ["kind", "occurred_at", "clause"],
                ["violation", dt.datetime(2025, 3, 1, 9, 30), "1"],
                ["shelling", dt.datetime(2025, 3, 1, 9, 30), "1"],
                ["violation", "yesterday", "1"],
            ],
        }
    )
    payload = import_file(book, "xlsx", mission=world.mission_a, sheet="Inspections")
    assert payload.errors == [
        'sheet Inspections, row 3, kind: "shelling" is not one of violation, compliance, '
        "incident, access_restricted, information",
        'sheet Inspections, row 4, occurred_at: "yesterday" is not a date in a known format '
        "(ISO 8601, dd.mm.yy, dd/mm/yyyy, or a spreadsheet serial number)",
    ]


def test_empty_first_sheet_is_refused_naming_the_sheet_that_maps(world):
    book = workbook({"Cover": [], "Log": [["kind", "occurred_at"], ["incident", "2025-03-01"]]})
    payload = import_file(book, "xlsx", mission=world.mission_a)
    assert payload.errors == [
        'file: sheet "Cover" (the first) has no column that maps to an observation field, but '
        'sheet "Log" has (kind, occurred_at): choose one with --sheet / the profile\'s sheet '
        "(the workbook's sheets: Cover, Log)"
    ]


def test_first_sheet_that_maps_is_read_without_a_sheet_name(world):
    book = workbook({"Log": [["kind", "occurred_at"], ["incident", "2025-03-01T10:00:00Z"]]})
    payload = import_file(book, "xlsx", mission=world.mission_a)
    assert [o.kind for o in observations(payload)] == ["incident"]


# --- two date columns, colliding and missing tags, an untagged status column ---------------


def test_two_date_columns_without_a_profile_are_an_error_saying_how_to_resolve_it(world):
    payload = import_file(CORRIDOR, "csv", mission=world.mission_a)
    assert payload.errors == [
        "file: columns 3 (#date +departure) and 4 (#date +inspection) both map to occurred_at: "
        'add "#date+inspection: occurred_at" and "#date+departure: attributes.departure" to '
        "the profile's columns"
    ]


def test_the_more_specific_hashtag_takes_the_field_and_the_other_date_is_kept(world):
    spec = from_yaml('columns: {"#date+inspection": occurred_at}\nset: {kind: information}\n')
    stored = observations(import_file(CORRIDOR, "csv", mission=world.mission_a, spec=spec))
    assert len(stored) == 7
    first = stored[0]
    assert first.occurred_at == dt.datetime(2025, 3, 1, 9, 40, tzinfo=UTC)
    # The departure column lost the field to the inspection column: kept under its header.
    assert first.attributes == {
        "Vessel": "ADRIATIC STAR",
        "Flag": "Malta",
        "Departed": "2025-02-27 06:10",
        "Cargo": "Wheat",
        "Tonnage": "30250.5",
        "Voyage status": "Outbound",
        "Result": "Cleared",
    }


def test_untagged_status_column_is_kept_on_every_row_with_its_values(world):
    stored = observations(import_file(CORRIDOR, "csv", mission=world.mission_a, spec=_corridor()))
    # It used to be dropped (no hashtag), so the repeated voyage was counted unseen.
    assert Counter(o.attributes["Voyage status"] for o in stored) == {
        "Outbound": 5,
        "Repeated": 1,
        "Inbound": 1,
    }


def test_corridor_log_through_its_profile_stores_every_row(world):
    payload = import_file(CORRIDOR, "csv", mission=world.mission_a, spec=_corridor())
    stored = observations(payload)
    assert [(o.kind, o.amount, o.unit, o.clause_id) for o in stored] == [
        ("compliance", Decimal("30250.5"), "t", world.clause_a.pk),
        ("compliance", Decimal("12500.5"), "t", world.clause_a.pk),
        ("compliance", Decimal("30250.5"), "t", world.clause_a.pk),
        ("incident", Decimal("6.75"), "t", world.clause_a.pk),
        ("compliance", Decimal("41000"), "t", world.clause_a.pk),
        ("access_restricted", Decimal("27300.25"), "t", world.clause_a.pk),
        ("compliance", Decimal("18650.75"), "t", world.clause_a.pk),
    ]
    # Istanbul is UTC+3 all year: 09:40 there is 06:40 UTC.
    assert stored[0].occurred_at == dt.datetime(2025, 3, 1, 6, 40, tzinfo=UTC)
    assert stored[6].occurred_on == dt.date(2025, 3, 3)
    assert stored[5].attributes == {
        "Vessel": "GOLDEN BAY",
        "Flag": "Cameroon",
        "departure": "2025-03-01 02:15",
        "Cargo": "Wheat",
        "Voyage status": "Outbound",
        "Result": "Refused",  # the source's own word, kept beside the kind it maps to
    }


def test_colliding_event_type_and_sub_type_tags_are_an_error_naming_both(world):
    body = (
        b"Date,Type,Sub-type\n#date +occurred,#event +type,#event +type +sub\n"
        b"2025-03-01,Ceasefire violation,Shelling\n"
    )
    payload = import_file(body, "csv", mission=world.mission_a)
    assert payload.errors == [
        "file: columns 2 (#event +type) and 3 (#event +type +sub) both map to kind: add "
        '"#event+type+sub: kind" and "#event+type: attributes.type" to the profile\'s columns'
    ]
    spec = from_yaml('columns: {"#event+type+sub": attributes.sub_type}\nset: {clause: "1"}\n')
    [stored] = observations(import_file(body, "csv", mission=world.mission_a, spec=spec))
    assert (stored.kind, stored.attributes) == ("violation", {"sub_type": "Shelling"})


def test_three_equal_columns_are_named_in_the_error_with_a_line_for_each():
    body = b"Date,Reported,Logged\n#date,#date,#date +logged\n2025-03-01,2025-03-02,2025-03-03\n"
    with pytest.raises(PayloadProblem) as refused:
        parse_csv(body, {})
    # One hashtag on two columns: the profile tells them apart by their headers.
    assert str(refused.value) == (
        "columns 1 (#date), 2 (#date) and 3 (#date +logged) all map to occurred_at: add "
        '"#date+logged: occurred_at", "Date: attributes.Date" and "Reported: '
        "attributes.Reported\" to the profile's columns"
    )
    suggested = from_yaml(
        'columns: {"#date+logged": occurred_at, Date: attributes.Date, '
        "Reported: attributes.Reported}\n"
    )
    [(_, row)] = list(parse_csv(body, profile_params({}, suggested)).rows)
    assert row == {
        "occurred_at": "2025-03-03",
        "attributes": {"Date": "2025-03-01", "Reported": "2025-03-02"},
    }


def test_columns_with_empty_tags_or_no_header_are_kept_not_dropped():
    body = (
        b"Date,Type,Patrol,\n#date,#event +type,,\n"
        b"2025-03-01,incident,P-7,north bank\n2025-03-02,incident,,\n"
    )
    rows = list(parse_csv(body, {}).rows)
    assert rows == [
        (
            3,
            {
                "occurred_at": "2025-03-01",
                "kind": "incident",
                "attributes": {"Patrol": "P-7", "column_4": "north bank"},
            },
        ),
        (4, {"occurred_at": "2025-03-02", "kind": "incident"}),
    ]


# --- decimal tonnage ------------------------------------------------------------------------

AMOUNT_HINT = (
    "quantity is a whole count; map a measured column (12.5 tonnes) to amount instead, with "
    "its unit in the cell (12.5 t), a unit column or the profile's set"
)


def test_decimal_tonnage_read_as_quantity_fails_each_row_with_the_way_out(world):
    spec = _corridor(columns={"Tonnage": "quantity"}, set={"clause": "1"})
    payload = import_file(CORRIDOR, "csv", mission=world.mission_a, spec=spec)
    assert payload.errors == [
        f"row 3, quantity: 30250.5 is not a whole number; {AMOUNT_HINT}",
        f'row 4, quantity: "12 500,5 t" is not a number; {AMOUNT_HINT}',
        f"row 5, quantity: 30250.5 is not a whole number; {AMOUNT_HINT}",
        f"row 6, quantity: 6.75 is not a whole number; {AMOUNT_HINT}",
        f'row 8, quantity: "27 300,25 t" is not a number; {AMOUNT_HINT}',
        f"row 10, quantity: 18650.75 is not a whole number; {AMOUNT_HINT}",
    ]


def test_unit_in_a_cell_that_contradicts_the_profiles_unit_is_a_row_error(world):
    payload = import_file(
        CORRIDOR, "csv", mission=world.mission_a, spec=_corridor(set={"unit": "kg"})
    )
    assert payload.errors == [
        'row 4: amount "12 500,5 t" is in t, but the unit is kg (from the profile\'s set or a '
        "unit column): convert the cell or the unit",
        'row 8: amount "27 300,25 t" is in t, but the unit is kg (from the profile\'s set or a '
        "unit column): convert the cell or the unit",
    ]


def test_amount_cell_gives_its_unit_when_the_profile_sets_none(world):
    spec = _corridor(set={"unit": None})
    data = spec.as_params()
    data["set"] = {"clause": "1"}
    stored = observations(
        import_file(CORRIDOR, "csv", mission=world.mission_a, spec=from_mapping(data))
    )
    assert [(o.amount, o.unit) for o in stored[:2]] == [
        (Decimal("30250.5"), ""),
        (Decimal("12500.5"), "t"),
    ]


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("12.5 t", ("12.5", "t")),
        ("12 500,5 t", ("12500.5", "t")),
        ("1,250.75 kg", ("1250.75", "kg")),
        ("1.250,75 kg", ("1250.75", "kg")),
        ("1,250,000", ("1250000", "")),
        ("12,5", ("12.5", "")),
        ("30\u202f000 t", ("30000", "t")),
        ("about 12 t", None),
    ],
)
def test_amounts_with_units_are_split(text, split):
    assert split_amount(text) == split


# --- local wall time around the autumn DST change ----------------------------------------

# Night inspections logged in Kyiv wall time around 30 October 2022, when the clocks went
# back at 04:00 (UTC+3 before, UTC+2 after); the cells hold the wall time, no offset.
NIGHT = [
    dt.datetime(2022, 10, 29, 0, 40),
    dt.datetime(2022, 10, 30, 1, 15),
    dt.datetime(2022, 10, 30, 2, 50),
    dt.datetime(2022, 10, 31, 0, 30),
    dt.datetime(2022, 10, 31, 1, 45),
]
NIGHT_BOOK = workbook(
    {
        "Night inspections": [
            ["Inspected (Kyiv time)", "Vessel"],
            *[[when, f"Vessel {n}"] for n, when in enumerate(NIGHT, start=1)],
        ]
    }
)
NIGHT_PROFILE = 'columns: {"Inspected (Kyiv time)": occurred_at}\n'
RIGHT_INSTANTS = [
    dt.datetime(2022, 10, 28, 21, 40, tzinfo=UTC),  # UTC+3
    dt.datetime(2022, 10, 29, 22, 15, tzinfo=UTC),  # UTC+3: before 04:00 on the 30th
    dt.datetime(2022, 10, 29, 23, 50, tzinfo=UTC),  # UTC+3
    dt.datetime(2022, 10, 30, 22, 30, tzinfo=UTC),  # UTC+2
    dt.datetime(2022, 10, 30, 23, 45, tzinfo=UTC),  # UTC+2
]
WALL_DAYS = [w.date() for w in NIGHT]


@pytest.fixture
def in_force_2022(world):
    """The agreement (zone UTC, the default) in force since 2022, so the rows are in period."""
    world.agreement.signed_on = dt.date(2021, 12, 1)
    world.agreement.in_force_on = dt.date(2022, 1, 1)
    world.agreement.save()
    world.clause_a.in_force_from = dt.date(2022, 1, 1)
    world.clause_a.save()
    return world


def _night(world, profile: str, **extra):
    spec = from_yaml(profile)
    constants = {"kind": "violation", "clause": "1"}
    payload = import_file(
        NIGHT_BOOK, "xlsx", mission=world.mission_a, spec=spec, constants=constants, **extra
    )
    return observations(payload)


def test_wall_time_read_the_old_way_in_the_zone_lands_every_row_on_the_day_before(in_force_2022):
    # The only option before wall_time: state the zone. The instants are right, but each
    # counts on its day in the agreement's zone (UTC), the day before the one on the sheet.
    stored = _night(in_force_2022, NIGHT_PROFILE, zone="Europe/Kyiv")
    assert [o.occurred_at for o in stored] == RIGHT_INSTANTS
    assert [o.occurred_on for o in stored] == [d - dt.timedelta(days=1) for d in WALL_DAYS]


def test_wall_time_read_the_old_way_without_a_zone_puts_every_instant_hours_late(in_force_2022):
    # The other old reading (a UTC mission, no zone): the days match, the instants are three
    # hours late before the change and two after.
    stored = _night(in_force_2022, NIGHT_PROFILE)
    assert [o.occurred_on for o in stored] == WALL_DAYS
    late = [o.occurred_at - right for o, right in zip(stored, RIGHT_INSTANTS, strict=True)]
    assert late == [dt.timedelta(hours=h) for h in (3, 3, 3, 2, 2)]


@pytest.mark.parametrize("agreement_zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_wall_time_lands_each_row_on_its_day_with_the_right_instant(in_force_2022, agreement_zone):
    in_force_2022.agreement.time_zone = agreement_zone
    in_force_2022.agreement.save()
    profile = NIGHT_PROFILE + "time: {zone: Europe/Kyiv, wall_time: true}\n"
    stored = _night(in_force_2022, profile)
    assert [o.occurred_at for o in stored] == RIGHT_INSTANTS
    assert [o.occurred_on for o in stored] == WALL_DAYS
    assert not any(o.date_only for o in stored)


def test_wall_time_needs_the_zone_of_the_wall_clock():
    with pytest.raises(ProfileProblem, match="wall_time needs time.zone"):
        from_yaml("time: {wall_time: true}\n")


# --- other time handling ----------------------------------------------------------------


def test_date_only_drops_the_time_of_day(world):
    body = b"kind,occurred_at\nincident,2025-03-02 23:30\nincident,2025-03-03T00:15:00+05:00\n"
    spec = from_yaml("time: {date_only: true, zone: Europe/Kyiv}\n")
    stored = observations(import_file(body, "csv", mission=world.mission_a, spec=spec))
    assert [(o.occurred_on, o.date_only) for o in stored] == [
        (dt.date(2025, 3, 2), True),
        (dt.date(2025, 3, 3), True),
    ]
    assert stored[0].occurred_at == dt.datetime(2025, 3, 1, 22, 0, tzinfo=UTC)


def test_numbers_are_not_dates_when_the_profile_says_so(world):
    book = workbook({"Log": [["kind", "occurred_at"], ["incident", 45717], ["incident", 45717]]})
    default = observations(import_file(book, "xlsx", mission=world.mission_a))
    assert [o.occurred_on for o in default] == [dt.date(2025, 3, 1)] * 2
    spec = from_yaml("time: {serial_dates: false}\n")
    refused = import_file(book, "xlsx", mission=world.mission_a, spec=spec, external_id="2")
    problem = (
        "occurred_at: 45717 is a number, not a date (the import profile says numbers are not "
        "spreadsheet dates: time.serial_dates is false)"
    )
    assert refused.errors == [f"sheet Log, row 2, {problem}", f"sheet Log, row 3, {problem}"]


def test_day_and_english_month_name_are_read():
    tz = dt.UTC
    assert parse_moment("24 February 2025", tz=tz).day == dt.date(2025, 2, 24)
    assert parse_moment("03-Sep-2024", tz=tz).day == dt.date(2024, 9, 3)
    assert parse_moment("1 Sept. 2024 14:30", tz=tz).at == dt.datetime(
        2024, 9, 1, 14, 30, tzinfo=tz
    )
    with pytest.raises(DateProblem):
        parse_moment("24 Febtember 2025", tz=tz)


def test_wall_time_keeps_an_explicit_offset_and_its_written_day():
    moment = read_moment("2022-10-30T01:15:00+03:00", tz=UTC, wall_time=True)
    assert (moment.at, moment.day, moment.date_only) == (
        dt.datetime(2022, 10, 30, 1, 15, tzinfo=KYIV),
        dt.date(2022, 10, 30),
        False,
    )


# --- field names, constants, blank rows, header rows, value maps --------------------------


def test_field_name_headers_map_to_themselves_with_a_profile(world):
    body = b"Date,kind,clause,Place\n01.03.2025 09:15,violation,1,Shyrokyne\n"
    spec = from_yaml("columns: {Date: occurred_at, Place: place_name}\n")
    [stored] = observations(import_file(body, "csv", mission=world.mission_a, spec=spec))
    # With a profile, kind and clause used to land in the attributes ("kind is required").
    assert (stored.kind, stored.clause_id, stored.place_name, stored.attributes) == (
        "violation",
        world.clause_a.pk,
        "Shyrokyne",
        {},
    )


def test_constants_fill_every_row_and_a_column_for_the_same_field_is_kept(world):
    body = (
        b"When,kind,Where\n2025-03-01T09:00:00Z,breach,Shyrokyne\n2025-03-01T10:00:00Z,,Hnutove\n"
    )
    payload = import_file(
        body,
        "csv",
        mission=world.mission_a,
        spec=from_yaml("columns: {When: occurred_at, Where: place_name}\n"),
        constants={"kind": "violation", "clause": "1", "grade": "B2"},
    )
    stored = observations(payload)
    assert [
        (o.kind, o.clause_id, o.source_reliability, o.information_credibility) for o in stored
    ] == [
        ("violation", world.clause_a.pk, "B", 2),
        ("violation", world.clause_a.pk, "B", 2),
    ]
    assert [o.attributes for o in stored] == [{"kind": "breach"}, {}]


def test_values_map_source_words_without_case_or_spacing(world):
    body = (
        b"When,Status,Side\n2025-03-01T09:00:00Z,  CEASEFIRE   breach ,N\n"
        b"2025-03-01T10:00:00Z,all quiet,n\n2025-03-01T11:00:00Z,information,\n"
    )
    spec = from_yaml(
        "columns: {When: occurred_at, Status: kind, Side: party}\n"
        'set: {clause: "1"}\n'
        "values:\n"
        "  kind: {ceasefire breach: violation, All quiet: compliance}\n"
        "  party: {n: north}\n"
    )
    from agreements.models import Party

    north = Party.objects.create(code="north", name="North Forces")
    stored = observations(import_file(body, "csv", mission=world.mission_a, spec=spec))
    assert [(o.kind, o.party_id, o.attributes) for o in stored] == [
        ("violation", north.pk, {"Status": "  CEASEFIRE   breach ", "Side": "N"}),
        ("compliance", north.pk, {"Status": "all quiet", "Side": "n"}),
        ("information", None, {}),  # a value not in the map passes unchanged
    ]


def test_blank_rows_are_row_errors_when_the_profile_keeps_them(world):
    body = b"kind,occurred_at\nincident,2025-03-01\n\nincident,2025-03-02\n"
    kept = import_file(
        body, "csv", mission=world.mission_a, spec=from_yaml("skip_blank_rows: false\n")
    )
    assert kept.errors == ["row 3: the row is empty"]
    skipped = import_file(body, "csv", mission=world.mission_a, external_id="2")
    assert len(observations(skipped)) == 2


def test_blank_rows_of_a_workbook_are_row_errors_when_kept(world):
    book = workbook(
        {
            "Log": [
                ["kind", "occurred_at"],
                ["incident", "2025-03-01"],
                [],
                [],
                ["incident", "2025-03-02"],
            ]
        }
    )
    spec = from_yaml("skip_blank_rows: false\n")
    payload = import_file(book, "xlsx", mission=world.mission_a, spec=spec)
    assert payload.errors == [
        "sheet Log, row 3: the row is empty",
        "sheet Log, row 4: the row is empty",
    ]


def test_header_row_passes_over_title_rows_and_takes_hashtags_under_it(world):
    body = (
        b"Checkpoint crossings, week 9\nPrepared by the field office\n"
        b"Day,What,Where\n#date,#event +type,#loc +name\n"
        b"2025-03-01,incident,Hnutove\n"
    )
    spec = from_yaml("header_row: 3\n")
    [stored] = observations(import_file(body, "csv", mission=world.mission_a, spec=spec))
    assert (stored.kind, stored.place_name, stored.occurred_on) == (
        "incident",
        "Hnutove",
        dt.date(2025, 3, 1),
    )


def test_hxl_required_without_a_hashtag_row_is_refused(world):
    payload = import_file(
        b"Day,What\n2025-03-01,incident\n",
        "csv",
        mission=world.mission_a,
        spec=from_yaml("hxl: required\n"),
    )
    assert payload.errors == ["file: row 2 must hold the HXL hashtags (e.g. #date, #event +type)"]


def test_hxl_off_reads_headers_only():
    body = b"kind,occurred_at\n#event +type,#date\nincident,2025-03-01\n"
    params = profile_params({}, from_yaml("hxl: off\n"))
    rows = list(parse_csv(body, params).rows)
    assert rows[0] == (2, {"kind": "#event +type", "occurred_at": "#date"})


def test_profile_hashtag_matching_a_column_two_equal_ways_is_an_error():
    body = b"A\n#date +a +b\n2025-03-01\n"
    params = profile_params(
        {}, from_yaml('columns: {"#date+a": occurred_at, "#date+b": attributes.b}\n')
    )
    with pytest.raises(PayloadProblem) as refused:
        parse_csv(body, params)
    assert str(refused.value) == (
        'column 1 (#date +a +b) matches both "#date+a" and "#date+b" in the profile\'s '
        'columns: add "#date+a+b: <field>" to say which'
    )


def test_invalid_hashtag_in_a_profile_is_refused():
    with pytest.raises(ProfileProblem, match='"#9lives" is not a valid HXL hashtag'):
        from_yaml('columns: {"#9lives": kind}\n')


def test_semicolon_separated_csv_is_read():
    body = b"kind;occurred_at;place_name\nincident;2025-03-01;Dnipro\n"
    assert list(parse_csv(body, {}).rows) == [
        (2, {"kind": "incident", "occurred_at": "2025-03-01", "place_name": "Dnipro"})
    ]


def test_xlsx_sheet_named_in_the_profile_is_the_payloads_sheet():
    params = profile_params({}, from_yaml("sheet: inspections\n"))
    parsed = parse_xlsx(README_BOOK, params)
    assert parsed.sheet == "Inspections"
    assert parsed.row_label(12) == "sheet Inspections, row 12"


def test_a_profile_whose_yaml_cannot_be_read_says_where_in_plain_words():
    with pytest.raises(ProfileProblem) as caught:
        from_yaml("columns:\n  Date: occurred_at\n  Place: place_name: x\n", code="bad")
    assert str(caught.value) == (
        'profile "bad": the YAML cannot be read: line 3, column 20: '
        "mapping values are not allowed here"
    )

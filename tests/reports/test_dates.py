"""Dates as observers write them: read explicitly, refused when only a guess would do."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reports.ingest.dates import DateProblem, parse_datetime, zone

UTC = dt.UTC
KYIV = ZoneInfo("Europe/Kyiv")


def test_iso_date_is_midnight_in_the_given_zone():
    assert parse_datetime("2025-03-01", tz=UTC) == dt.datetime(2025, 3, 1, tzinfo=UTC)


def test_iso_datetime_with_offset_keeps_its_offset():
    value = parse_datetime("2025-03-01T09:30:00+03:00", tz=UTC)
    assert value == dt.datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert value.utcoffset() == dt.timedelta(hours=3)


def test_iso_datetime_with_z_suffix_is_utc():
    assert parse_datetime("2025-03-01T09:30:00Z", tz=KYIV) == dt.datetime(
        2025, 3, 1, 9, 30, tzinfo=UTC
    )


def test_naive_datetime_is_read_in_the_given_zone_winter_offset():
    value = parse_datetime("2025-01-10T08:00:00", tz=KYIV)
    assert value.utcoffset() == dt.timedelta(hours=2)
    assert value.astimezone(UTC) == dt.datetime(2025, 1, 10, 6, 0, tzinfo=UTC)


def test_naive_datetime_is_read_in_the_given_zone_summer_offset():
    value = parse_datetime("2025-07-10 08:00", tz=KYIV)
    assert value.utcoffset() == dt.timedelta(hours=3)


def test_dotted_two_digit_year_is_day_first_and_this_century():
    assert parse_datetime("15.02.15", tz=UTC) == dt.datetime(2015, 2, 15, tzinfo=UTC)


def test_dotted_date_with_time():
    assert parse_datetime("15.02.2015 06:30", tz=KYIV) == dt.datetime(
        2015, 2, 15, 6, 30, tzinfo=KYIV
    )


def test_unambiguous_slash_date_is_read():
    assert parse_datetime("25/12/2024", tz=UTC) == dt.datetime(2024, 12, 25, tzinfo=UTC)


def test_ambiguous_slash_date_is_refused():
    with pytest.raises(DateProblem, match="ambiguous"):
        parse_datetime("03/04/2025", tz=UTC)


def test_impossible_calendar_date_is_refused():
    with pytest.raises(DateProblem, match="not a real calendar date"):
        parse_datetime("31.02.2015", tz=UTC)


@pytest.mark.parametrize("serial", [45000, "45000", 45000.0])
def test_spreadsheet_serial_is_a_date(serial):
    assert parse_datetime(serial, tz=UTC) == dt.datetime(2023, 3, 15, tzinfo=UTC)


def test_spreadsheet_serial_fraction_is_time_of_day():
    assert parse_datetime(45000.5, tz=UTC) == dt.datetime(2023, 3, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("serial", [123, 123.0, 99999])
def test_out_of_range_serial_is_refused(serial):
    with pytest.raises(DateProblem, match="not a plausible spreadsheet date"):
        parse_datetime(serial, tz=UTC)


def test_short_number_as_text_is_not_a_date():
    with pytest.raises(DateProblem, match="not a date in a known format"):
        parse_datetime("123", tz=UTC)


def test_profile_date_format_settles_the_order():
    value = parse_datetime("03/04/2025", tz=UTC, date_format="%d/%m/%Y")
    assert value == dt.datetime(2025, 4, 3, tzinfo=UTC)


def test_value_not_matching_profile_date_format_is_refused():
    with pytest.raises(DateProblem, match="does not match the profile's format"):
        parse_datetime("2025-04-03", tz=UTC, date_format="%d/%m/%Y")


@pytest.mark.parametrize("value", ["yesterday", "", "   ", True, None, [2025]])
def test_values_that_are_not_dates_are_refused(value):
    with pytest.raises(DateProblem):
        parse_datetime(value, tz=UTC)


def test_spreadsheet_datetime_and_date_cells_get_the_zone():
    assert parse_datetime(dt.datetime(2025, 1, 10, 8, 0), tz=KYIV).utcoffset() == dt.timedelta(
        hours=2
    )
    assert parse_datetime(dt.date(2025, 1, 10), tz=UTC) == dt.datetime(2025, 1, 10, tzinfo=UTC)


def test_known_zone_is_returned():
    assert zone("Europe/Kyiv") == KYIV
    assert zone("") == ZoneInfo("UTC")


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../etc/passwd"])
def test_unknown_zone_is_refused(name):
    with pytest.raises(DateProblem, match="unknown time zone"):
        zone(name)

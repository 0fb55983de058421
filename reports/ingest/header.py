"""The report's header, read and checked before anything is written."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts.access import reach_of
from reports.ingest.dates import DateProblem, parse_datetime, zone
from reports.ingest.errors import PayloadRejected
from reports.models import InboundPayload, ObserverMission


@dataclass(frozen=True)
class ReportHeader:
    """What a report says about itself, checked: the mission it is filed for (one the sender
    may file for), its id and period, and how its rows are to be read."""

    mission: ObserverMission
    external_id: str
    # The zone times without an offset (and dates without a time) are read in.
    timezone: dt.tzinfo
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    agreement_code: str | None
    title: str
    summary: str
    date_format: str
    # The profile's time handling (reports.profiles.spec.TimeHandling): every value a
    # calendar day; numbers in date columns spreadsheet serials; naive times local wall time.
    date_only: bool
    serial_dates: bool
    wall_time: bool
    # An actor no party is known by: "reject" the row, or "keep" its name (import profiles).
    unknown_parties: str
    # As sent: evidence_staged reads it inside the transaction, which locks the files named.
    evidence: object


def header_read(*, payload: InboundPayload, header: dict[str, Any]) -> ReportHeader:
    """Check the parsed header of ``payload``; PayloadRejected names the first problem."""
    mission = _mission(payload=payload, header=header)
    external_id = _value(header, "external_id", required=True, limit=120)
    # An explicit offset on a value always wins; a value without one is read in the
    # payload's stated zone, else the mission's (where its observers write the time).
    stated = str(header.get("timezone") or "")
    try:
        tz = zone(stated or mission.time_zone or "UTC")
    except DateProblem as exc:
        where = "header, timezone" if stated else f"mission {mission.code}'s time zone"
        raise PayloadRejected([f"{where}: {exc}"]) from None
    period_start, period_end = _period(header, tz)
    return ReportHeader(
        mission=mission,
        external_id=external_id,
        timezone=tz,
        period_start=period_start,
        period_end=period_end,
        agreement_code=_value(header, "agreement", required=False, limit=60) or None,
        title=_value(header, "title", required=False),
        summary=str(header.get("summary") or "")[:10_000],
        date_format=str(header.get("date_format") or ""),
        date_only=header.get("date_only") is True,
        serial_dates=header.get("serial_dates") is not False,
        wall_time=header.get("wall_time") is True,
        unknown_parties="keep" if header.get("unknown_parties") == "keep" else "reject",
        evidence=header.get("evidence"),
    )


def _value(header: dict[str, Any], name: str, *, required: bool, limit: int = 200) -> str:
    value = header.get(name)
    if value in (None, ""):
        if required:
            raise PayloadRejected([f"header, {name}: is required"])
        return ""
    if not isinstance(value, str | int):
        raise PayloadRejected([f"header, {name}: must be text"])
    text = str(value).strip()
    if len(text) > limit:
        raise PayloadRejected([f"header, {name}: longer than {limit} characters"])
    return text


def _mission(*, payload: InboundPayload, header: dict[str, Any]) -> ObserverMission:
    code = _value(header, "mission", required=True, limit=60)
    mission = ObserverMission.objects.filter(code=code).first()
    if mission is None:
        raise PayloadRejected([f'header, mission: unknown mission "{code}"'])
    if payload.mission_id and payload.mission_id != mission.pk:
        sent_for = payload.mission.code if payload.mission else ""
        raise PayloadRejected(
            [f'header, mission: the report names "{code}" but was sent for "{sent_for}"']
        )
    sender = payload.sender
    if (
        sender is not None
        and reach_of(sender).records == "own"
        and not mission.members.filter(pk=sender.pk).exists()
    ):
        raise PayloadRejected([f'header, mission: you are not a member of mission "{code}"'])
    if not mission.is_active:
        raise PayloadRejected([f'header, mission: mission "{code}" is not active'])
    return mission


def _period(header: dict[str, Any], tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    bounds: list[dt.datetime | None] = []
    for name in ("period_start", "period_end"):
        value = header.get(name)
        if value in (None, ""):
            bounds.append(None)
            continue
        try:
            bounds.append(parse_datetime(value, tz=tz))
        except DateProblem as exc:
            raise PayloadRejected([f"header, {name}: {exc}"]) from None
    start, end = bounds
    if start and end and end < start:
        raise PayloadRejected(["header, period: the end is before the start"])
    return start, end

"""Evidence files a report names, and their links to its observations."""

from reports.ingest.errors import PayloadRejected
from reports.ingest.header import ReportHeader
from reports.models import EvidenceFile, Report


def evidence_staged(*, header: ReportHeader) -> dict[int, int | None]:
    """The staged evidence files the report names in its ``evidence`` list, as
    {file id: position of the observation it backs, or None}; each must be a file uploaded to
    this mission's evidence and not yet part of a report. Locked until the ingest commits."""
    value, mission = header.evidence, header.mission
    if value is None or value == []:
        return {}
    if not isinstance(value, list):
        raise PayloadRejected(['header, evidence: a list of {"id": …, "observation": …}'])
    named: dict[int, int | None] = {}
    errors: list[str] = []
    for number, item in enumerate(value, start=1):
        item = {"id": item} if _whole(item) else item
        if (
            not isinstance(item, dict)
            or not _whole(item.get("id"))
            or set(item) - {"id", "observation"}
        ):
            errors.append(
                f"header, evidence {number}: give the id of a file uploaded to "
                f"/api/v1/missions/{mission.code}/evidence/ and, optionally, the observation "
                "it backs"
            )
            continue
        observation = item.get("observation")
        if observation is not None and not (_whole(observation) and observation >= 1):
            errors.append(
                f"header, evidence {number}: observation is the position (1, 2, …) of an "
                "observation in this report"
            )
            continue
        named[item["id"]] = observation
    staged = set(
        EvidenceFile.objects.select_for_update()
        .filter(pk__in=named, mission=mission, report__isnull=True)
        .order_by("pk")  # not the model's ordering: it joins the (nullable) report
        .values_list("pk", flat=True)
    )
    errors += [
        f"header, evidence: file {pk} is not a staged evidence file of mission "
        f'"{mission.code}" (upload it there first; a file backs one report)'
        for pk in named
        if pk not in staged
    ]
    if errors:
        raise PayloadRejected(errors)
    return named


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def evidence_positions(*, draft: Report) -> dict[int, int]:
    """Evidence file id -> position of its observation, before the draft's rows are rewritten
    (report_as_json sends them in (sequence, id) order and they come back as 1, 2, ...)."""
    order = list(draft.observations.order_by("sequence", "id").values_list("pk", flat=True))
    position = {pk: number for number, pk in enumerate(order, start=1)}
    linked = draft.evidence_files.exclude(observation=None).values_list("pk", "observation_id")
    return {evidence: position[obs] for evidence, obs in linked if obs in position}


def evidence_relink(
    *,
    report: Report,
    named: dict[int, int | None],
    positions: dict[int, int],
    observations: int,
) -> None:
    """Attach the named files to ``report`` and link each file to the observation at its
    position (``positions``: a rewritten draft's links; ``named``: the header's)."""
    relink = dict(positions)
    if named:
        beyond = sorted(n for n in named.values() if n is not None and n > observations)
        if beyond:
            raise PayloadRejected(
                [
                    f"header, evidence: observation {n} named, but the report has "
                    f"{observations} observation(s)"
                    for n in beyond
                ]
            )
        EvidenceFile.objects.filter(pk__in=named).update(report=report)
        relink.update({pk: n for pk, n in named.items() if n is not None})
    if not relink:
        return
    by_sequence = dict(
        report.observations.filter(sequence__in=set(relink.values())).values_list("sequence", "pk")
    )
    for evidence_id, sequence in relink.items():
        EvidenceFile.objects.filter(pk=evidence_id).update(observation_id=by_sequence.get(sequence))

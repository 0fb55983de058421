"""The world of the access matrix (tests/accounts/test_access_policy.py): two missions on
one agreement whose records carry marker strings in every text field, and one object of every
kind a URL of the site can name."""

import datetime as dt

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from agreements.models import AgreementParty, Area, ControlArea, ImplementationAssessment
from monitor.models import EvaluationRun, RuleConfig
from notify.models import WebhookDelivery, WebhookSubscription
from reports.models import Channel, EvidenceFile, ImportProfile, InboundPayload, ReportStatus
from tests.api.conftest import make_alert
from tests.conftest import World
from tests.factories import ObservationFactory, PartyFactory, ReportFactory

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)

# Markers. REC: fields only readers of a mission's records see (reports, payloads, sources,
# attributes, files, the mission's own description). EVD: fields an alert's evidence summary
# shows (place, description), which consumers of alerts also read.
REC = {"a": "MARKA-REC", "b": "MARKB-REC"}
EVD = {"a": "MARKA-EVD", "b": "MARKB-EVD"}


def _file(mission, *, letter: str, sender, clause, clause_of_other, lat: float, lon: float):
    report = ReportFactory(
        mission=mission,
        external_id=f"{REC[letter]}-ext",
        status=ReportStatus.ACCEPTED,
        filed_at=NOW,
        channel=Channel.API,
        title=f"{REC[letter]} report title",
        summary=f"{REC[letter]} summary",
    )
    observation = ObservationFactory(
        report=report,
        clause=clause,
        occurred_at=NOW - dt.timedelta(hours=2),
        latitude=lat,
        longitude=lon,
        place_name=f"{EVD[letter]} place",
        admin_area="Donetsk oblast",
        description=f"{EVD[letter]} description",
        source=f"{REC[letter]} source",
        attributes={"note": f"{REC[letter]} attribute"},
    )
    # The mission's observation on the other mission's clause: it is evidence for an alert
    # on that clause too, which the other mission's observer must see only as withheld.
    ObservationFactory(
        report=report,
        clause=clause_of_other,
        occurred_at=NOW - dt.timedelta(hours=3),
        place_name=f"{EVD[letter]} second place",
        description=f"{EVD[letter]} second description",
        source=f"{REC[letter]} second source",
    )
    payload = InboundPayload.objects.create(
        body=f'{{"note": "{REC[letter]} body"}}'.encode(),
        sha256=letter * 64,
        content_type="application/json",
        format="json",
        filename=f"{REC[letter]}-payload.json",
        params={"external_id": f"{REC[letter]}-ext"},
        channel=Channel.API,
        sender=sender,
        mission=mission,
        state=InboundPayload.State.DONE,
        result={"observations": 2, "external_id": f"{REC[letter]}-ext"},
        report=report,
    )
    evidence = EvidenceFile(
        mission=mission,
        report=report,
        observation=observation,
        original_name=f"{REC[letter]}-photo.txt",
        content_type="text/plain",
        size=11,
        sha256="0" * 64,
    )
    evidence.file.save(f"{letter}.txt", ContentFile(f"{REC[letter]}\n".encode()), save=False)
    evidence.save()
    return report, observation, payload, evidence


def access_objects_build(world: World, personas: dict) -> dict:
    """Every object the matrix names, for ``world`` and its ``personas`` (by fixture name)."""
    observer_a, observer_b = personas["observer_a"], personas["observer_b"]
    world.mission_a.description = f"{REC['a']} mission description"
    world.mission_a.save()
    world.mission_b.description = f"{REC['b']} mission description"
    world.mission_b.save()
    party = PartyFactory(code="party-east", name="East")
    world.clause_a.obliged_parties.add(party)
    AgreementParty.objects.create(agreement=world.agreement, party=party, role="signatory")
    area = Area.objects.create(code="donetsk-oblast", name="Donetsk oblast")
    report_a, obs_a, payload_a, evidence_a = _file(
        world.mission_a,
        letter="a",
        sender=observer_a,
        clause=world.clause_a,
        clause_of_other=world.clause_b,
        lat=47.1,
        lon=37.9,
    )
    report_b, obs_b, payload_b, evidence_b = _file(
        world.mission_b,
        letter="b",
        sender=observer_b,
        clause=world.clause_b,
        clause_of_other=world.clause_a,
        lat=48.0,
        lon=38.5,
    )
    alert = make_alert(
        world.clause_a,
        severity=3,
        evidence=list(obs_a.report.observations.all()) + list(obs_b.report.observations.all()),
    )
    assessment = ImplementationAssessment.objects.create(
        clause=world.clause_a, level=1, assessed_on=NOW.date(), rationale="Partly done."
    )
    rule_config = RuleConfig.objects.create(rule="clause.unmonitored", agreement=world.agreement)
    run = EvaluationRun.objects.create(trigger="periodic", started_at=NOW, as_of=NOW)
    subscription = WebhookSubscription.objects.create(
        name="Partner", url="https://partner.example/hook", secret="whsec_" + "A" * 32
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        transition=alert.transitions.first(),
        payload={"type": "alert.opened"},
    )
    profile = ImportProfile.objects.create(code="profile-a", name="Profile A", definition="{}")
    from accounts.services import api_token_issue

    token, _ = api_token_issue(user=observer_a, name="field tool")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="127.0.0.1", failures_since_start=1
    )
    log = AccessLog.objects.create(username="someone", ip_address="127.0.0.1")
    failure = AccessFailureLog.objects.create(username="someone", ip_address="127.0.0.1")

    return {
        "world": world,
        "party": party,
        "area": area,
        "agreement": world.agreement,
        "clause": world.clause_a,
        "mechanism": world.mechanism_a,
        "mission": world.mission_a,
        "report": report_a,
        "observation": obs_a,
        "payload": payload_a,
        "evidence": evidence_a,
        "report_b": report_b,
        "alert": alert,
        "implementationassessment": assessment,
        "ruleconfig": rule_config,
        "evaluationrun": run,
        "webhooksubscription": subscription,
        "webhookdelivery": delivery,
        "importprofile": profile,
        "controlarea": ControlArea.objects.create(
            agreement=world.agreement,
            name="Government-controlled areas",
            party=PartyFactory(),
        ),
        "apitoken": token,
        "user": observer_a,
        "group": Group.objects.get(name="observer"),
        "accessattempt": attempt,
        "accesslog": log,
        "accessfailurelog": failure,
    }

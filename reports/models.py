"""What observers saw, and how it gets in."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from agreements.models import Area, Clause, Party, VerificationMechanism


class ObserverMission(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    mechanisms = models.ManyToManyField(VerificationMechanism, related_name="missions", blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="missions", blank=True)
    is_active = models.BooleanField(default=True)
    active_from = models.DateField(null=True, blank=True, help_text="Start of its mandate.")
    active_until = models.DateField(
        null=True, blank=True, help_text="End of its mandate: no report is expected after it."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="IANA zone its dates without an offset are read in; a date without a time "
        "is that calendar day there.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded by a correction"


# Which status may follow which; ``report_set_status`` refuses anything else.
REPORT_TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.ACCEPTED, ReportStatus.REJECTED},
    ReportStatus.ACCEPTED: {ReportStatus.SUPERSEDED},
    ReportStatus.REJECTED: {
        ReportStatus.DRAFT,
        # The ingest: a replayed payload of a rejected admin draft passes (the draft is
        # rewritten from it and accepted), or a new payload with its external id corrects it.
        ReportStatus.ACCEPTED,
        ReportStatus.SUPERSEDED,
    },
    ReportStatus.SUPERSEDED: set(),
}


class Channel(models.TextChoices):
    ADMIN = "admin", "Django admin"
    API = "api", "REST API"
    UPLOAD = "upload", "File upload"
    COMMAND = "command", "Management command"


class Report(models.Model):
    mission = models.ForeignKey(ObserverMission, on_delete=models.PROTECT, related_name="reports")
    external_id = models.CharField(
        max_length=120, help_text="The mission's own id for the report; makes re-sending safe."
    )
    revision = models.PositiveIntegerField(default=1)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ADMIN)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    content_sha256 = models.CharField(max_length=64, blank=True)
    archival = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Filed more than ARCHIVAL_MARGIN_DAYS after its period ended: it counts for "
        "its own period, not as present-day monitoring.",
    )
    # The mission's tamper-evident chain of accepted reports (reports.ledger, docs/ledger.md).
    # Written once, when the report is accepted; never rewritten.
    ledger_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    ledger_prev_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    ledger_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    ledger_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            # One live report per external id; corrections mark the old one superseded first.
            models.UniqueConstraint(
                fields=["mission", "external_id"],
                condition=~Q(status="superseded"),
                name="report_external_id_unique_per_mission",
            ),
            models.UniqueConstraint(
                fields=["mission", "external_id", "revision"], name="report_revision_unique"
            ),
            models.CheckConstraint(
                name="report_period_ordered", condition=Q(period_end__gte=models.F("period_start"))
            ),
            # Two acceptances racing must not fork the chain (reports.ledger locks the mission).
            models.UniqueConstraint(
                fields=["mission", "ledger_seq"], name="report_ledger_seq_unique_per_mission"
            ),
            models.CheckConstraint(
                name="report_ledger_link_complete",
                condition=Q(ledger_seq__isnull=True, ledger_hash__isnull=True)
                | Q(ledger_seq__gte=1, ledger_hash__isnull=False, ledger_prev_hash__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["mission", "status"], name="report_mission_status_idx")]

    def __str__(self) -> str:
        return f"{self.mission.code}/{self.external_id} r{self.revision}"

    @property
    def is_editable(self) -> bool:
        return self.status == ReportStatus.DRAFT


class ReportStatusChange(models.Model):
    """Append-only history of a report's workflow."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReportStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


class Observation(models.Model):
    class Kind(models.TextChoices):
        VIOLATION = "violation", "Violation"
        COMPLIANCE = "compliance", "Compliance"
        INCIDENT = "incident", "Incident"
        ACCESS_RESTRICTED = "access_restricted", "Monitors' access restricted"
        INFORMATION = "information", "Information"

    class Severity(models.IntegerChoices):
        LOW = 1, "Low"
        MODERATE = 2, "Moderate"
        HIGH = 3, "High"
        CRITICAL = 4, "Critical"

    class Reliability(models.TextChoices):
        A = "A", "A - completely reliable"
        B = "B", "B - usually reliable"
        C = "C", "C - fairly reliable"
        D = "D", "D - not usually reliable"
        E = "E", "E - unreliable"
        F = "F", "F - reliability cannot be judged"

    class Credibility(models.IntegerChoices):
        CONFIRMED = 1, "1 - confirmed by other sources"
        PROBABLE = 2, "2 - probably true"
        POSSIBLE = 3, "3 - possibly true"
        DOUBTFUL = 4, "4 - doubtful"
        IMPROBABLE = 5, "5 - improbable"
        UNKNOWN = 6, "6 - truth cannot be judged"

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        CORROBORATED = "corroborated", "Corroborated"
        CONFIRMED = "confirmed", "Confirmed"
        DISPUTED = "disputed", "Disputed"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="observations")
    sequence = models.PositiveIntegerField(default=0, help_text="Position in the report.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Indexed by the composite indexes below, not on their own: every index costs ingest speed.
    clause = models.ForeignKey(
        Clause,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
    )
    party = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observations",
        help_text="The party the act is attributed to, if any.",
        db_index=False,
    )
    occurred_at = models.DateTimeField()
    occurred_on = models.DateField(
        null=True,
        blank=True,
        help_text="The calendar day it happened: the date given, or the day in the "
        "agreement's zone.",
    )
    date_only = models.BooleanField(
        default=False, db_default=False, help_text="Sent as a date without a time."
    )
    outside_period = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Dated outside its clause's or agreement's period.",
    )
    outside_area = models.BooleanField(
        default=False, db_default=False, help_text="Placed outside its clause's areas."
    )
    scope_note = models.CharField(
        max_length=300, blank=True, db_default="", help_text="Why it is flagged."
    )
    place_name = models.CharField(max_length=200, blank=True)
    admin_area = models.CharField(max_length=200, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    quantity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Explosions counted, persons exchanged, vessels inspected...",
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MODERATE)
    description = models.TextField(blank=True)
    evidence_urls = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=200, blank=True)
    source_reliability = models.CharField(
        max_length=1, choices=Reliability.choices, default=Reliability.F
    )
    information_credibility = models.PositiveSmallIntegerField(
        choices=Credibility.choices, default=Credibility.UNKNOWN
    )
    verification_status = models.CharField(
        max_length=15, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="Fields kept as sent.")
    # Read from real-world files (import profiles, issue 15).
    actor = models.CharField(
        max_length=200,
        blank=True,
        db_default="",
        help_text="The actor as the source names it, kept whether or not a party matched.",
    )
    amount = models.DecimalField(
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="A measured quantity that need not be whole (tonnes of grain...), in unit.",
    )
    unit = models.CharField(max_length=20, blank=True, db_default="")
    to_place_name = models.CharField(
        max_length=200, blank=True, db_default="", help_text="Destination, for a movement."
    )
    to_latitude = models.FloatField(null=True, blank=True)
    to_longitude = models.FloatField(null=True, blank=True)
    place_mismatch = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Its coordinates fall in another admin area than the one it names.",
    )
    place_note = models.CharField(
        max_length=300, blank=True, db_default="", help_text="Why its place is flagged."
    )

    class Meta:
        ordering = ["report", "sequence", "id"]
        constraints = [
            models.CheckConstraint(
                name="observation_latitude_range",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            ),
            models.CheckConstraint(
                name="observation_longitude_range",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            ),
            models.CheckConstraint(
                name="observation_coordinates_paired",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
            ),
            models.CheckConstraint(
                name="observation_severity_1_to_4", condition=Q(severity__gte=1, severity__lte=4)
            ),
            models.CheckConstraint(
                name="observation_credibility_1_to_6",
                condition=Q(information_credibility__gte=1, information_credibility__lte=6),
            ),
            models.CheckConstraint(
                name="observation_reliability_a_to_f",
                condition=Q(source_reliability__in=list("ABCDEF")),
            ),
        ]
        indexes = [
            # Covering (PostgreSQL) for the explorer (monitor.explore): its weekly series, map
            # grid and areas for an agreement's clauses read these columns from the index alone
            # (an index-only scan), not from ~one table page per row (bench/explore.py: the
            # typical view 222 -> ~140 ms at a million rows).
            models.Index(
                fields=["clause", "kind", "occurred_at"],
                include=[
                    "id",
                    "report",
                    "party",
                    "occurred_on",
                    "latitude",
                    "longitude",
                    "admin_area",
                    "outside_period",
                    "outside_area",
                ],
                name="obs_clause_kind_time_idx",
            ),
            # Every rule asks "observations of this kind in this time window".
            # Covering (PostgreSQL): the rules read every column they group and filter on
            # from this index alone (an index-only scan), not from the table's pages.
            models.Index(
                fields=["kind", "occurred_at"],
                include=[
                    "id",
                    "clause",
                    "party",
                    "report",
                    "severity",
                    "verification_status",
                    "source",
                    "quantity",
                    "area",
                    "outside_period",
                    "outside_area",
                ],
                name="obs_kind_time_idx",
            ),
            models.Index(fields=["party", "occurred_at"], name="obs_party_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.place_name or self.admin_area or '?'}"

    @property
    def grade(self) -> str:
        """The Admiralty grade as written, e.g. ``B2``."""
        return f"{self.source_reliability}{self.information_credibility}"


def _evidence_path(instance: "EvidenceFile", filename: str) -> str:
    # A random name: nothing of the client's file name reaches the file system.
    return f"evidence/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    """A file backing a report (photo, scan, video), kept outside any public URL.

    Its sha256 is part of the report's ledger entry, so files are added only before acceptance:
    to a draft in the admin, or uploaded to the mission first ("staged", no report yet) and
    named in the report a sender files, which attaches them as it is accepted.
    """

    mission = models.ForeignKey(
        ObserverMission, on_delete=models.PROTECT, related_name="evidence_files"
    )
    report = models.ForeignKey(
        Report,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence_files",
        help_text="Empty while the file is staged: uploaded, not yet named by a report.",
    )
    observation = models.ForeignKey(
        Observation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
    )
    file = models.FileField(upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, help_text="Detected from the content.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.original_name or f"evidence {self.pk}"


class InboundPayload(models.Model):
    """The raw bytes of everything that arrives, stored before anything is parsed."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        REJECTED = "rejected", "Rejected (invalid content)"
        QUARANTINED = "quarantined", "Quarantined (could not be processed)"

    body = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=120)
    format = models.CharField(max_length=20, help_text="The parser that reads it.")
    filename = models.CharField(max_length=255, blank=True)
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text="What came with the body: mission, external id, profile.",
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mission = models.ForeignKey(
        ObserverMission, null=True, blank=True, on_delete=models.PROTECT, related_name="payloads"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claim is a lease: the claiming worker's heartbeat renews it while the process that
    # holds it is alive; INGEST_CLAIM_TIMEOUT after claimed_at stays the hard ceiling.
    claimed_by = models.CharField(
        max_length=200, blank=True, help_text="The worker process holding the claim."
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    crashes = models.PositiveSmallIntegerField(
        default=0, help_text="Claims that ended with the worker gone, not with a result."
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="payloads"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(state__in=["received", "processing"]),
                name="payload_pending_idx",
            ),
            models.Index(fields=["sha256"], name="payload_sha256_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payload_idempotency_key_unique_per_sender",
            ),
        ]

    def __str__(self) -> str:
        return f"payload {self.pk} ({self.get_state_display()})"


class ImportProfile(models.Model):
    """How a family of files (a mission's spreadsheets, an ACLED export, a Kobo form) maps onto
    observations: sheet, columns, constants, value maps and time handling, written in YAML
    (reports.profiles.spec; docs/report-format.md). The shipped profiles (acled, kobo, odk,
    hxl) live as files in reports/profiles/shipped/; a profile here with the same code wins."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    mission = models.ForeignKey(
        ObserverMission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="profiles",
        help_text="Leave empty for a profile every mission may use.",
    )
    description = models.TextField(blank=True)
    definition = models.TextField(
        help_text="The profile in YAML: sheet, columns, set, values, time... "
        '(see docs/report-format.md, "Import profiles").'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

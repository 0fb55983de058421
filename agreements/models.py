"""What was agreed, clause by clause, and who must watch it."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.history import AuditedRecords


def names_list(value: object) -> bool:
    """Whether an ``aliases`` value is what it must be: a list of non-blank names."""
    return isinstance(value, list) and all(isinstance(name, str) and name.strip() for name in value)


class Party(models.Model):
    class Kind(models.TextChoices):
        BELLIGERENT = "belligerent", "Belligerent"
        MEDIATOR = "mediator", "Mediator"
        GUARANTOR = "guarantor", "Guarantor"
        MONITOR = "monitor", "Monitor"
        HOST = "host", "Host"

    class Category(models.TextChoices):
        STATE = "state", "State"
        ARMED_GROUP = "armed_group", "Armed group or de facto authority"
        INTERNATIONAL = "international", "International organisation"
        OTHER = "other", "Other"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.STATE)
    notes = models.TextField(blank=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names sources use for it, in any language: "
        '["Forces of Ukraine", "ЗСУ", "Ukrainian Armed Forces"].',
    )
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not names_list(self.aliases):
            raise ValidationError(
                {"aliases": 'A list of names, e.g. ["ЗСУ", "Forces of Ukraine"].'}
            )


class Area(models.Model):
    """A named place an obligation applies to: a region, a district, a corridor, a port."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    admin_level = models.PositiveSmallIntegerField(
        default=1, help_text="0 country, 1 region/oblast, 2 district, 3 locality"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    # Bounding box, WGS84 degrees; lets rules and feeds match coordinates without GIS.
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    geometry = models.JSONField(
        null=True,
        blank=True,
        help_text="Optional GeoJSON Polygon or MultiPolygon (lon, lat); decides point in area.",
    )
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other spellings a report may use: ["Donetska oblast", "Донецкая область"].',
    )
    history = AuditedRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="area_bbox_complete_and_ordered",
                condition=Q(
                    min_lon__isnull=True,
                    min_lat__isnull=True,
                    max_lon__isnull=True,
                    max_lat__isnull=True,
                )
                | Q(
                    min_lon__gte=-180,
                    max_lon__lte=180,
                    min_lat__gte=-90,
                    max_lat__lte=90,
                    min_lon__lte=models.F("max_lon"),
                    min_lat__lte=models.F("max_lat"),
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.geometry is not None:
            from agreements.geo import geometry_problem

            if problem := geometry_problem(self.geometry):
                errors["geometry"] = problem
        if not names_list(self.aliases):
            errors["aliases"] = 'A list of names, e.g. ["Donetska oblast", "Донецкая область"].'
        if errors:
            raise ValidationError(errors)


class Agreement(models.Model):
    class Kind(models.TextChoices):
        CEASEFIRE = "ceasefire", "Ceasefire"
        HUMANITARIAN = "humanitarian", "Humanitarian arrangement"
        DECLARATION = "declaration", "Declaration"
        FRAMEWORK = "framework", "Framework"
        TREATY = "treaty", "Treaty"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROVISIONAL = "provisional", "Provisional"
        SIGNED = "signed", "Signed"
        IN_FORCE = "in_force", "In force"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"

    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    negotiation_round = models.CharField(max_length=200, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    in_force_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    in_force_time = models.TimeField(
        null=True,
        blank=True,
        help_text="Local time (in the agreement's zone) of entry into force, e.g. 00:00.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="IANA zone its dates are read in and its daily figures counted in "
        '(e.g. "Europe/Kyiv").',
    )

    class OutOfScopeRows(models.TextChoices):
        FLAG = "flag", "Store them, flagged with the reason"
        REJECT = "reject", "Reject them"

    out_of_scope_rows = models.CharField(
        max_length=10,
        choices=OutOfScopeRows.choices,
        default=OutOfScopeRows.FLAG,
        help_text="Observations dated outside a clause's period or placed outside its areas.",
    )
    summary = models.TextField(blank=True)
    source_url = models.URLField(blank=True)
    source_note = models.TextField(blank=True, help_text="Where the encoded text comes from.")
    parties = models.ManyToManyField(Party, through="AgreementParty", related_name="agreements")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-signed_on", "title"]
        constraints = [
            models.CheckConstraint(
                name="agreement_in_force_not_before_signature",
                condition=Q(signed_on__isnull=True)
                | Q(in_force_on__isnull=True)
                | Q(in_force_on__gte=models.F("signed_on")),
            ),
            models.CheckConstraint(
                name="agreement_expiry_after_entry_into_force",
                condition=Q(in_force_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("in_force_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.short_title or self.title


class AgreementParty(models.Model):
    class Role(models.TextChoices):
        SIGNATORY = "signatory", "Signatory"
        MEDIATOR = "mediator", "Mediator"
        GUARANTOR = "guarantor", "Guarantor"
        WITNESS = "witness", "Witness"
        HOST = "host", "Host"
        OBSERVER = "observer", "Observer"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE)
    party = models.ForeignKey(Party, on_delete=models.PROTECT)
    role = models.CharField(max_length=20, choices=Role.choices)
    history = AuditedRecords()

    class Meta:
        verbose_name = "party to the agreement"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party", "role"], name="agreement_party_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} ({self.get_role_display()})"


class ControlArea(models.Model):
    """An area of control named in the sources ("government-controlled areas") and the side
    an agreement's monitors attribute it to, for sources that state only the area."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="control_areas")
    name = models.CharField(max_length=200)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other spellings: ["GCA", "government-controlled area", "підконтрольні уряду"].',
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="control_areas")
    history = AuditedRecords()

    class Meta:
        ordering = ["agreement", "name"]
        verbose_name = "area of control"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "name"], name="control_area_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.party}"

    def clean(self) -> None:
        if not names_list(self.aliases):
            raise ValidationError({"aliases": 'A list of names, e.g. ["GCA"].'})


class DateAnchor(models.TextChoices):
    """What a clause date is counted from; ``fixed`` means the date is given as is."""

    FIXED = "fixed", "Fixed date"
    AGREEMENT_SIGNED = "agreement_signed", "Days after the agreement is signed"
    AGREEMENT_IN_FORCE = "agreement_in_force", "Days after the agreement enters into force"
    CLAUSE_START = "clause_start", "Days after another clause takes effect"
    CLAUSE_DEADLINE = "clause_deadline", "Days after another clause's deadline"


class Clause(models.Model):
    class Category(models.TextChoices):
        CEASEFIRE = "ceasefire", "Ceasefire"
        WEAPONS_WITHDRAWAL = "weapons_withdrawal", "Heavy-weapons withdrawal"
        HUMANITARIAN_CORRIDOR = "humanitarian_corridor", "Humanitarian corridor / aid"
        PRISONER_EXCHANGE = "prisoner_exchange", "Prisoner exchange"
        GRAIN_EXPORT = "grain_export", "Grain / export safety"
        SECURITY_GUARANTEE = "security_guarantee", "Security guarantee"
        MONITORING = "monitoring", "Monitoring and verification"
        POLITICAL = "political", "Political"
        OTHER = "other", "Other"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="clauses")
    reference = models.CharField(max_length=40, help_text='As the text numbers it: "3", "3.2(a)".')
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order within the agreement.")
    title = models.CharField(max_length=200)
    text = models.TextField()
    category = models.CharField(max_length=30, choices=Category.choices)
    obliged_parties = models.ManyToManyField(Party, blank=True, related_name="obligations")
    phase = models.PositiveSmallIntegerField(default=1)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )

    # When the obligation takes effect: fixed, or counted from another date.
    start_anchor = models.CharField(
        max_length=20, choices=DateAnchor.choices, default=DateAnchor.AGREEMENT_IN_FORCE
    )
    start_anchor_clause = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_offset_days = models.IntegerField(default=0)
    in_force_from = models.DateField(
        null=True, blank=True, help_text="Resolved date the obligation takes effect."
    )
    # The deadline, if any: fixed, or counted from another date ("within 14 days of ...").
    deadline_anchor = models.CharField(
        max_length=20, choices=DateAnchor.choices, blank=True, default=""
    )
    deadline_anchor_clause = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline_offset_days = models.IntegerField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True, help_text="Resolved deadline.")
    deadline_text = models.CharField(max_length=300, blank=True)
    deadline_time = models.TimeField(
        null=True, blank=True, help_text="Local time (in the agreement's zone) of the deadline."
    )
    notes = models.TextField(
        blank=True,
        help_text="Readings of the text: where versions differ and which one is encoded.",
    )

    areas = models.ManyToManyField(Area, blank=True, related_name="clauses")
    geometry = models.JSONField(
        null=True, blank=True, help_text="Optional GeoJSON Polygon or MultiPolygon (lon, lat)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords(
        excluded_fields=["updated_at"], m2m_fields=["obliged_parties", "prerequisites", "areas"]
    )

    class Meta:
        ordering = ["agreement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "reference"], name="clause_reference_unique_in_agreement"
            ),
            # Lets the composite foreign key of the migration tie a parent to the same agreement.
            models.UniqueConstraint(fields=["id", "agreement"], name="clause_id_agreement_unique"),
            models.CheckConstraint(
                name="clause_not_own_parent", condition=~Q(parent=models.F("id"))
            ),
            models.CheckConstraint(
                name="clause_start_anchor_clause_iff_clause_anchor",
                condition=Q(
                    start_anchor__in=[DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE],
                    start_anchor_clause__isnull=False,
                )
                | (
                    ~Q(start_anchor__in=[DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE])
                    & Q(start_anchor_clause__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="clause_deadline_anchor_clause_iff_clause_anchor",
                condition=Q(
                    deadline_anchor__in=[DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE],
                    deadline_anchor_clause__isnull=False,
                )
                | (
                    ~Q(deadline_anchor__in=[DateAnchor.CLAUSE_START, DateAnchor.CLAUSE_DEADLINE])
                    & Q(deadline_anchor_clause__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="clause_relative_deadline_has_offset",
                condition=Q(deadline_anchor__in=["", DateAnchor.FIXED])
                | Q(deadline_offset_days__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["category"], name="clause_category_idx"),
            models.Index(fields=["deadline"], name="clause_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.short_title or self.agreement.code} {self.reference}: {self.title}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        same_agreement = {
            "parent": self.parent,
            "start_anchor_clause": self.start_anchor_clause,
            "deadline_anchor_clause": self.deadline_anchor_clause,
        }
        for field, other in same_agreement.items():
            if other is not None and other.agreement_id != self.agreement_id:
                errors[field] = "Must be a clause of the same agreement."
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = "A clause cannot be its own parent."
        if self.geometry is not None:
            from agreements.geo import geometry_problem

            problem = geometry_problem(self.geometry)
            if problem:
                errors["geometry"] = problem
        if errors:
            raise ValidationError(errors)


class ClauseRevision(models.Model):
    """An append-only record of a change to a clause's encoded text or dates."""

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="revisions")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=200, help_text="A loaded file, the admin, ...")
    changes = models.JSONField(help_text='{"field": [old, new], ...}')

    class Meta:
        ordering = ["-changed_at", "-id"]


class VerificationMechanism(models.Model):
    class Kind(models.TextChoices):
        OBSERVER_MISSION = "observer_mission", "Observer mission"
        JOINT_BODY = "joint_body", "Joint monitoring body"
        INSPECTION = "inspection", "Inspection regime"
        REMOTE = "remote", "Satellite / remote sensing"
        SELF_REPORTING = "self_reporting", "Self-reporting by the parties"
        HOTLINE = "hotline", "Hotline"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="mechanisms")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    responsible_party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="mechanisms"
    )
    clauses = models.ManyToManyField(Clause, blank=True, related_name="mechanisms")
    reporting_interval = models.DurationField(help_text="Expected time between reports.")
    grace = models.DurationField(help_text="Tolerated lateness before monitoring is stale.")
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    history = AuditedRecords(m2m_fields=["clauses"])

    class Meta:
        ordering = ["agreement", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="mechanism_code_unique"),
            models.CheckConstraint(
                name="mechanism_interval_positive",
                condition=Q(reporting_interval__gt=models.Value(dt.timedelta(0))),
            ),
            models.CheckConstraint(
                name="mechanism_grace_not_negative",
                condition=Q(grace__gte=models.Value(dt.timedelta(0))),
            ),
            models.CheckConstraint(
                name="mechanism_active_period_ordered",
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImplementationAssessment(models.Model):
    """An analyst's judgement of how far a clause is implemented, on the PAM 0-3 scale.

    Rows are never edited: a new judgement is a new row, so the history is the table.
    """

    class Level(models.IntegerChoices):
        NOT_INITIATED = 0, "0 - not initiated"
        MINIMAL = 1, "1 - minimal"
        INTERMEDIATE = 2, "2 - intermediate"
        COMPLETE = 3, "3 - complete"

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="assessments")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    assessed_on = models.DateField()
    rationale = models.TextField()
    evidence = models.TextField(
        blank=True, help_text="What the judgement rests on: report ids, observations, sources."
    )
    evidence_urls = models.JSONField(default=list, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        constraints = [
            models.CheckConstraint(name="assessment_level_0_to_3", condition=Q(level__lte=3)),
        ]
        indexes = [
            models.Index(
                fields=["clause", "-assessed_on", "-created_at"], name="assessment_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clause.reference}: {self.get_level_display()} ({self.assessed_on})"

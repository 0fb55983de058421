"""Filed observations in the admin, read only: a list an analyst can narrow to the rows
flagged outside their clause's period or areas, or whose coordinates lie in another admin
area than the one they name (imported by ``reports.admin``)."""

from django.contrib import admin
from django.db.models import Q

from accounts.admin_mixins import RecordAdmin
from core.days import zone_or_utc
from reports.models import Observation
from reports.selectors import observations_visible_to


class OutsideScopeFilter(admin.SimpleListFilter):
    title = "clause's period and areas"
    parameter_name = "outside"

    def lookups(self, request, model_admin):
        return [
            ("any", "Outside either (not counted)"),
            ("period", "Outside the period"),
            ("area", "Outside the areas"),
            ("none", "Within both (counted)"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "period":
            return queryset.filter(outside_period=True)
        if value == "area":
            return queryset.filter(outside_area=True)
        if value == "any":
            return queryset.filter(Q(outside_period=True) | Q(outside_area=True))
        if value == "none":
            return queryset.filter(outside_period=False, outside_area=False)
        return queryset


class PlaceMismatchFilter(admin.SimpleListFilter):
    title = "coordinates and named place"
    parameter_name = "place_mismatch"

    def lookups(self, request, model_admin):
        return [("true", "Disagree (flagged)"), ("false", "Agree or not checked")]

    def queryset(self, request, queryset):
        if self.value() in ("true", "false"):
            return queryset.filter(place_mismatch=self.value() == "true")
        return queryset


class AttributedFilter(admin.SimpleListFilter):
    title = "party"
    parameter_name = "unattributed"

    def lookups(self, request, model_admin):
        return [
            ("true", "No party"),
            ("actor", "No party, the actor kept as text"),
            ("false", "Attributed to a party"),
        ]

    def queryset(self, request, queryset):
        if self.value() in ("true", "false"):
            return queryset.filter(party__isnull=self.value() == "true")
        if self.value() == "actor":
            return queryset.filter(party__isnull=True).exclude(actor="")
        return queryset


@admin.register(Observation)
class ObservationAdmin(RecordAdmin):
    list_display = ["day", "clause", "where", "who", "scope", "place_check", "mission"]
    list_filter = [
        OutsideScopeFilter,
        PlaceMismatchFilter,
        AttributedFilter,
        "kind",
        "verification_status",
        ("report__mission", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["clause__agreement", "report__mission", "party"]
    search_fields = ["place_name", "admin_area", "description", "scope_note", "actor", "place_note"]
    ordering = ["-id"]
    # Counting a million rows for "of N" costs more than the page.
    show_full_result_count = False

    def get_queryset(self, request):
        return observations_visible_to(user=request.user)

    @admin.display(description="when", ordering="occurred_at")
    def day(self, observation: Observation) -> str:
        """The calendar day it counts on and, unless it was sent as a date alone, the time
        there (the agreement's zone): "10 Feb 2015 (day only)", "16 Feb 2015, 00:30 Kyiv"."""
        day = observation.occurred_on or observation.occurred_at.date()
        text = f"{day.day} {day:%b %Y}"
        if observation.date_only:
            return f"{text} (day only)"
        zone = zone_or_utc(observation.clause.agreement.time_zone if observation.clause else "")
        local = observation.occurred_at.astimezone(zone)
        name = getattr(zone, "key", "UTC")
        return f"{local.day} {local:%b %Y}, {local:%H:%M} {name.rsplit('/', 1)[-1]}"

    def has_delete_permission(self, request, obj=None):
        # Deleting a draft report deletes its rows: the admin asks this of each of them. Filed
        # rows (all this list shows) are records and stay.
        return (
            obj is not None
            and obj.report.is_editable
            and request.user.has_perm("reports.delete_observation")
        )

    @admin.display(description="place")
    def where(self, obj: Observation) -> str:
        return ", ".join(part for part in (obj.place_name, obj.admin_area) if part) or "-"

    @admin.display(description="party (actor as named)")
    def who(self, obj: Observation) -> str:
        party = obj.party.name if obj.party else ""
        if obj.actor and obj.actor != party:
            return f"{party} ({obj.actor})" if party else f"— ({obj.actor})"
        return party or "-"

    @admin.display(description="place flag")
    def place_check(self, obj: Observation) -> str:
        return obj.place_note or "-"

    @admin.display(description="mission")
    def mission(self, obj: Observation) -> str:
        return obj.report.mission.name

    @admin.display(description="outside the clause's period or areas")
    def scope(self, obj: Observation) -> str:
        return obj.scope_note or "-"

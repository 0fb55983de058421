"""Agreement texts over the API with what monitoring adds: agreements, clauses (with their status
and implementation level), mechanisms (with their reporting cadence)."""

import datetime as dt

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from accounts.permissions import AgreementReaders, ReadScope
from agreements.models import Clause, VerificationMechanism
from agreements.selectors import agreements_readable_by, clauses_with_latest_level
from core.params import clocks_from_params
from monitor.api.agreement_serializers import (
    AgreementSerializer,
    ClauseSerializer,
    MechanismSerializer,
)
from reports.selectors import mechanisms_with_last_covered

CLOCKS = [
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description="The moment described: the end of that day, UTC. Default: now.",
    ),
    OpenApiParameter(
        "known_at",
        OpenApiTypes.STR,
        description="What had been filed by then counts: YYYY-MM-DD (end of day, UTC) or "
        "YYYY-MM-DDTHH:MM. Default: now (docs/time.md).",
    ),
]


class ClocksMixin:
    """``as_of`` and ``known_at`` of the request, read once (docs/time.md); both None for
    the present."""

    def clocks(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        if not hasattr(self, "_clocks"):
            self._clocks = clocks_from_params(self.request.query_params)  # type: ignore[attr-defined]
        return self._clocks


@extend_schema_view(
    list=extend_schema(summary="Agreements, by code"),
    retrieve=extend_schema(summary="One agreement with its parties"),
)
class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgreementSerializer
    permission_classes = [AgreementReaders, ReadScope]
    lookup_field = "code"
    filterset_fields = ["status", "kind"]
    ordering = "code"

    def get_queryset(self):
        return (
            agreements_readable_by(user=self.request.user)
            .prefetch_related("agreementparty_set__party")
            .order_by("code")
        )


class ClauseFilter(django_filters.FilterSet):
    agreement = django_filters.CharFilter(field_name="agreement__code")
    category = django_filters.ChoiceFilter(choices=Clause.Category.choices)
    phase = django_filters.NumberFilter()

    class Meta:
        model = Clause
        fields = ["agreement", "category", "phase"]


@extend_schema_view(
    list=extend_schema(
        summary="Clauses with their status (now, or as of a date) and implementation level",
        parameters=CLOCKS,
    ),
    retrieve=extend_schema(
        summary="One clause with its status and implementation level", parameters=CLOCKS
    ),
)
class ClauseViewSet(ClocksMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ClauseSerializer
    permission_classes = [AgreementReaders, ReadScope]
    filterset_class = ClauseFilter
    ordering = ("agreement_id", "position", "id")

    def get_queryset(self):
        as_of, known_at = self.clocks()
        return (
            clauses_with_latest_level(as_of=as_of.date() if as_of else None)
            .filter(agreement__in=agreements_readable_by(user=self.request.user))
            .select_related("agreement", "parent")
            .prefetch_related("obliged_parties", "prerequisites", "areas", "mechanisms")
            .order_by("agreement_id", "position", "id")
        )

    def get_serializer(self, *args, **kwargs):
        from monitor.status import clauses_status_at

        instance = args[0] if args else kwargs.get("instance")
        if instance is not None:
            items = instance if isinstance(instance, list) else [instance]
            as_of, known_at = self.clocks()
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["statuses"] = clauses_status_at(items, as_of=as_of, known_at=known_at)
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="Verification mechanisms with their reporting cadence (now, or as of a date)",
        parameters=CLOCKS,
    ),
    retrieve=extend_schema(
        summary="One verification mechanism and whether it is overdue (or ended)",
        parameters=CLOCKS,
    ),
)
class MechanismViewSet(ClocksMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MechanismSerializer
    permission_classes = [AgreementReaders, ReadScope]
    filterset_fields = {"agreement__code": ["exact"], "code": ["exact"], "kind": ["exact"]}
    ordering = ("agreement_id", "code", "id")

    def _now(self):
        # One moment per request: the query and each mechanism's cadence read the same clock.
        if not hasattr(self, "_moment"):
            as_of, known_at = self.clocks()
            self._moment = as_of or known_at or timezone.now()
        return self._moment

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now()}

    def get_queryset(self):
        readable = VerificationMechanism.objects.filter(
            agreement__in=agreements_readable_by(user=self.request.user)
        )
        as_of, known_at = self.clocks()
        moment = self._now()
        return (
            mechanisms_with_last_covered(
                mechanisms=readable, as_of=moment, known_at=known_at or max(moment, timezone.now())
            )
            .select_related("agreement", "responsible_party")
            .prefetch_related("clauses")
            .order_by("agreement_id", "code", "id")
        )

"""factory_boy factories for the domain; tests build only what they assert on."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import Agreement, Area, Clause, Party, VerificationMechanism
from reports.models import Observation, ObserverMission, Report


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery")


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"party-{n}")
    name = factory.Sequence(lambda n: f"Party {n}")
    kind = Party.Kind.BELLIGERENT


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Area {n}")


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    code = factory.Sequence(lambda n: f"agreement-{n}")
    title = factory.Sequence(lambda n: f"Agreement {n}")
    kind = Agreement.Kind.CEASEFIRE
    status = Agreement.Status.IN_FORCE
    signed_on = dt.date(2025, 1, 10)
    in_force_on = dt.date(2025, 1, 15)


class ClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clause

    agreement = factory.SubFactory(AgreementFactory)
    reference = factory.Sequence(lambda n: str(n + 1))
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Clause {n}")
    text = "The parties shall observe the ceasefire."
    category = Clause.Category.CEASEFIRE
    in_force_from = dt.date(2025, 1, 15)


class MechanismFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationMechanism

    agreement = factory.SubFactory(AgreementFactory)
    code = factory.Sequence(lambda n: f"mechanism-{n}")
    name = factory.Sequence(lambda n: f"Mechanism {n}")
    kind = VerificationMechanism.Kind.OBSERVER_MISSION
    reporting_interval = dt.timedelta(days=1)
    grace = dt.timedelta(hours=12)
    active_from = dt.date(2025, 1, 15)


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ObserverMission

    code = factory.Sequence(lambda n: f"mission-{n}")
    name = factory.Sequence(lambda n: f"Mission {n}")


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    mission = factory.SubFactory(MissionFactory)
    external_id = factory.Sequence(lambda n: f"R-{n:05d}")
    period_start = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    period_end = factory.LazyFunction(timezone.now)


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    report = factory.SubFactory(ReportFactory)
    kind = Observation.Kind.VIOLATION
    occurred_at = factory.LazyFunction(timezone.now)
    # As the ingest fills it for an agreement in UTC; pass it to test another zone.
    occurred_on = factory.LazyAttribute(lambda o: o.occurred_at.astimezone(dt.UTC).date())
    place_name = "Shyrokyne"

"""Proxies that put every history table, and the alerts' own transitions, under "Audit".

A proxy adds no table: each reads the historical table django-simple-history keeps for its
model (or monitor's append-only AlertTransition) and has its own view permission, which only
administrators hold.
"""

from django.contrib.auth.models import Group, User

from accounts.models import ApiToken
from agreements.models import (
    Agreement,
    AgreementParty,
    Area,
    Clause,
    Party,
    VerificationMechanism,
)
from monitor.models import AlertTransition, RuleConfig


def _proxy_meta(name: str) -> type:
    return type("Meta", (), {"proxy": True, "verbose_name": name, "verbose_name_plural": name})


class AgreementChange(Agreement.history.model):
    Meta = _proxy_meta("agreement changes")


class AgreementPartyChange(AgreementParty.history.model):
    Meta = _proxy_meta("agreement party changes")


class ClauseChange(Clause.history.model):
    Meta = _proxy_meta("clause changes")


class MechanismChange(VerificationMechanism.history.model):
    Meta = _proxy_meta("verification mechanism changes")


class PartyChange(Party.history.model):
    Meta = _proxy_meta("party changes")


class AreaChange(Area.history.model):
    Meta = _proxy_meta("area changes")


class RuleConfigChange(RuleConfig.history.model):
    Meta = _proxy_meta("rule configuration changes")


class ApiTokenChange(ApiToken.history.model):
    Meta = _proxy_meta("API token changes")


class UserChange(User.history.model):
    Meta = _proxy_meta("user and role changes")


class GroupChange(Group.history.model):
    Meta = _proxy_meta("role (group) changes")


class AlertStateChange(AlertTransition):
    """Alert states are audited by monitor's own append-only transitions, which also cover
    the rules engine's bulk reconciliation (no signal-based history would see it)."""

    Meta = _proxy_meta("alert state changes")

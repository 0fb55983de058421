"""The roles of Accord Monitor as Django groups, and the permissions each one carries.

``roles_sync`` is idempotent: it creates missing groups and sets each group's permissions
to exactly the declared ones, so running it after every deploy is safe.
"""

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

OBSERVER = "observer"
ANALYST = "analyst"
API_CONSUMER = "api consumer"

_AGREEMENT_MODELS = [
    "party",
    "area",
    "controlarea",
    "agreement",
    "agreementparty",
    "clause",
    "clauserevision",
    "verificationmechanism",
    "implementationassessment",
]
_REPORT_MODELS = [
    "observermission",
    "report",
    "observation",
    "inboundpayload",
    "reportstatuschange",
]


def _view(app: str, models: list[str]) -> list[tuple[str, str]]:
    return [(app, f"view_{model}") for model in models]


# (app_label, codename) per role. Row-level limits (own missions only, drafts only) are
# applied by the admin and API on top of these model-level permissions.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    OBSERVER: [
        *_view(
            "agreements",
            ["party", "area", "controlarea", "agreement", "clause", "verificationmechanism"],
        ),
        ("reports", "view_observermission"),
        ("reports", "view_report"),
        ("reports", "add_report"),
        ("reports", "change_report"),
        ("reports", "delete_report"),
        ("reports", "view_observation"),
        ("reports", "add_observation"),
        ("reports", "change_observation"),
        ("reports", "delete_observation"),
        ("reports", "view_inboundpayload"),
    ],
    ANALYST: [
        *_view("agreements", _AGREEMENT_MODELS),
        ("agreements", "add_implementationassessment"),
        *_view("reports", _REPORT_MODELS),
        *_view("monitor", ["alert", "alerttransition", "ruleconfig", "evaluationrun"]),
        *_view("notify", ["webhooksubscription", "webhookdelivery", "webhookattempt"]),
        ("monitor", "acknowledge_alert"),
    ],
    API_CONSUMER: [
        *_view(
            "agreements",
            [
                "party",
                "area",
                "agreement",
                "agreementparty",
                "clause",
                "verificationmechanism",
                "implementationassessment",
            ],
        ),
    ],
}


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create the role groups and give each exactly its declared permissions."""
    counts: dict[str, int] = {}
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for app_label, codename in wanted:
            try:
                permissions.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except Permission.DoesNotExist:
                raise RuntimeError(
                    f"Permission {app_label}.{codename} is missing: run 'manage.py migrate' first."
                ) from None
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


def user_has_role(user: User, role: str) -> bool:
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache  # type: ignore[attr-defined]  # a per-request cache
    return role in cache

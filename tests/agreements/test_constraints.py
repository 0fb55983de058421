"""The database itself refuses bad agreement rows, whatever path wrote them.

Rows are written with ``objects.create``/``bulk_create``/``update`` so ``full_clean`` never
runs. On PostgreSQL the parent-in-same-agreement rule is a DEFERRABLE INITIALLY DEFERRED
composite foreign key, which only fires at commit: ``refused`` forces deferred checks with
``SET CONSTRAINTS ALL IMMEDIATE`` inside the block, and the ``transaction=True`` tests check
the real commit.
"""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from agreements.models import Agreement, Clause, ImplementationAssessment, VerificationMechanism
from tests.factories import AgreementFactory, ClauseFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused(constraint: str, *, named_by_sqlite: bool = True):
    """Expect the database to refuse what the block writes, naming ``constraint``.

    SQLite names CHECK constraints (and the trigger) but not UNIQUE ones, so those are
    matched by name on PostgreSQL only.
    """
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if named_by_sqlite or connection.vendor != "sqlite":
        assert constraint in str(caught.value)


def _clause(agreement: Agreement, reference: str, **fields) -> Clause:
    fields.setdefault("title", f"Clause {reference}")
    fields.setdefault("text", "The parties shall ...")
    fields.setdefault("category", Clause.Category.CEASEFIRE)
    return Clause.objects.create(agreement=agreement, reference=reference, **fields)


@pytest.fixture
def two_agreements():
    return AgreementFactory(code="first"), AgreementFactory(code="second")


# --- Agreement ----------------------------------------------------------------------------


def test_agreement_in_force_before_signature_is_refused():
    with refused("agreement_in_force_not_before_signature"):
        Agreement.objects.create(
            code="backwards",
            title="Backwards",
            kind=Agreement.Kind.CEASEFIRE,
            signed_on=dt.date(2025, 3, 10),
            in_force_on=dt.date(2025, 3, 9),
        )


def test_agreement_in_force_on_signature_day_is_allowed():
    Agreement.objects.create(
        code="same-day",
        title="Same day",
        kind=Agreement.Kind.CEASEFIRE,
        signed_on=dt.date(2025, 3, 10),
        in_force_on=dt.date(2025, 3, 10),
    )


# --- Clause -------------------------------------------------------------------------------


def test_duplicate_clause_reference_in_one_agreement_is_refused(two_agreements):
    first, _ = two_agreements
    _clause(first, "3.2(a)")
    with refused("clause_reference_unique_in_agreement", named_by_sqlite=False):
        _clause(first, "3.2(a)")


def test_same_clause_reference_in_two_agreements_is_allowed(two_agreements):
    first, second = two_agreements
    _clause(first, "1")
    _clause(second, "1")
    assert Clause.objects.filter(reference="1").count() == 2


def test_clause_bulk_created_under_parent_of_another_agreement_is_refused(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    with refused("clause_parent_same_agreement"):
        Clause.objects.bulk_create(
            [
                Clause(
                    agreement=second,
                    reference="1.1",
                    parent=parent,
                    title="t",
                    text="t",
                    category=Clause.Category.CEASEFIRE,
                )
            ]
        )


def test_clause_created_under_parent_of_another_agreement_is_refused(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    with refused("clause_parent_same_agreement"):
        _clause(second, "1.1", parent=parent)


def test_clause_created_under_parent_of_same_agreement_is_allowed(two_agreements):
    first, _ = two_agreements
    parent = _clause(first, "1")
    child = _clause(first, "1.1", parent=parent)
    assert list(parent.children.all()) == [child]


def test_clause_moved_under_parent_of_another_agreement_is_refused(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    child = _clause(second, "1.1")
    with refused("clause_parent_same_agreement"):
        Clause.objects.filter(pk=child.pk).update(parent=parent)
    child.refresh_from_db()
    assert child.parent_id is None


def test_clause_saved_with_parent_of_another_agreement_is_refused(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    child = _clause(second, "1.1")
    child.parent = parent
    with refused("clause_parent_same_agreement"):
        child.save()


def test_child_clause_moved_to_another_agreement_away_from_its_parent_is_refused(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    child = _clause(first, "1.1", parent=parent)
    with refused("clause_parent_same_agreement"):
        Clause.objects.filter(pk=child.pk).update(agreement=second)


def test_parent_clause_moved_to_another_agreement_away_from_its_children_is_refused(
    two_agreements,
):
    first, second = two_agreements
    parent = _clause(first, "1")
    _clause(first, "1.1", parent=parent)
    with refused("clause_parent_same_agreement"):
        Clause.objects.filter(pk=parent.pk).update(agreement=second)


@pytest.mark.django_db(transaction=True)
def test_clause_under_parent_of_another_agreement_never_commits(two_agreements):
    # No forced IMMEDIATE here: on PostgreSQL the deferred key must stop the commit itself.
    first, second = two_agreements
    parent = _clause(first, "1")
    with pytest.raises(IntegrityError), transaction.atomic():
        _clause(second, "1.1", parent=parent)
    assert not Clause.objects.filter(reference="1.1").exists()


@pytest.mark.django_db(transaction=True)
def test_clause_moved_under_parent_of_another_agreement_never_commits(two_agreements):
    first, second = two_agreements
    parent = _clause(first, "1")
    child = _clause(second, "1.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clause.objects.filter(pk=child.pk).update(parent=parent)
    child.refresh_from_db()
    assert child.parent_id is None


def test_clause_full_clean_explains_parent_of_another_agreement(two_agreements):
    first, second = two_agreements
    parent = ClauseFactory(agreement=first, reference="1")
    child = Clause(
        agreement=second,
        reference="1.1",
        parent=parent,
        title="t",
        text="t",
        category=Clause.Category.CEASEFIRE,
    )
    with pytest.raises(ValidationError) as caught:
        child.full_clean()
    assert caught.value.message_dict["parent"] == ["Must be a clause of the same agreement."]


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        ({"type": "Point", "coordinates": [30.5, 50.4]}, '"Polygon" or "MultiPolygon"'),
        (
            {"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 50.5]]]},
            "must end where it starts",
        ),
        (
            # latitude 130 cannot exist
            {"type": "Polygon", "coordinates": [[[50, 130], [51, 130], [51, 131], [50, 130]]]},
            "outside WGS84",
        ),
    ],
)
def test_clause_full_clean_explains_bad_geometry(two_agreements, geometry, problem):
    first, _ = two_agreements
    clause = Clause(
        agreement=first,
        reference="1",
        title="t",
        text="t",
        category=Clause.Category.CEASEFIRE,
        geometry=geometry,
    )
    with pytest.raises(ValidationError) as caught:
        clause.full_clean()
    [message] = caught.value.message_dict["geometry"]
    assert problem in message


def test_clause_full_clean_accepts_closed_polygon(two_agreements):
    first, _ = two_agreements
    clause = Clause(
        agreement=first,
        reference="1",
        title="t",
        text="t",
        category=Clause.Category.CEASEFIRE,
        geometry={"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 50]]]},
    )
    clause.full_clean()


# --- VerificationMechanism -----------------------------------------------------------------


def _mechanism(agreement: Agreement, **fields) -> VerificationMechanism:
    fields.setdefault("reporting_interval", dt.timedelta(days=1))
    fields.setdefault("grace", dt.timedelta(hours=6))
    return VerificationMechanism.objects.create(
        agreement=agreement,
        code="smm",
        name="Special monitoring mission",
        kind=VerificationMechanism.Kind.OBSERVER_MISSION,
        **fields,
    )


def test_mechanism_with_zero_reporting_interval_is_refused(two_agreements):
    with refused("mechanism_interval_positive"):
        _mechanism(two_agreements[0], reporting_interval=dt.timedelta(0))


def test_mechanism_with_negative_grace_is_refused(two_agreements):
    with refused("mechanism_grace_not_negative"):
        _mechanism(two_agreements[0], grace=dt.timedelta(hours=-1))


def test_mechanism_with_zero_grace_is_allowed(two_agreements):
    _mechanism(two_agreements[0], grace=dt.timedelta(0))


# --- ImplementationAssessment -------------------------------------------------------------


def test_assessment_level_4_is_refused(two_agreements):
    clause = _clause(two_agreements[0], "1")
    with refused("assessment_level_0_to_3"):
        ImplementationAssessment.objects.create(
            clause=clause, level=4, assessed_on=dt.date(2025, 3, 1), rationale="Beyond complete"
        )


def test_assessment_level_3_is_allowed(two_agreements):
    clause = _clause(two_agreements[0], "1")
    ImplementationAssessment.objects.create(
        clause=clause, level=3, assessed_on=dt.date(2025, 3, 1), rationale="Done"
    )

"""Writing a checked agreement file: rows created or updated in place, clause revisions kept."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from agreements.loader.converters import _When
from agreements.loader.results import LoadResult
from agreements.loader.sections import _Plan, _Row
from agreements.models import (
    Agreement,
    AgreementParty,
    Area,
    Clause,
    ClauseRevision,
    ControlArea,
    DateAnchor,
    Party,
    VerificationMechanism,
)
from agreements.services import clause_dates_resolve
from core.history import history_bulk_create


def _assign(obj: models.Model, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ; return them as {attname: (old, new)}."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = (old, new)
            setattr(obj, name, new)
    return changes


def _default(model: type[models.Model], name: str) -> Any:
    field = model._meta.get_field(name)
    return field.get_default() if isinstance(field, models.Field) else None


def _shared_write(
    *, model: type[Party | Area], rows: dict[str, _Row], values_of: Callable[[_Row], dict]
) -> tuple[dict[str, Any], int, int]:
    """Create or update parties or areas by code; return them, how many created and updated.

    Other agreements share these rows, so a file sets only what it states and leaves the rest.
    """
    existing: dict[str, Any] = model.objects.in_bulk(list(rows), field_name="code")
    created = updated = 0
    for code, row in rows.items():
        values = values_of(row)
        if code not in existing:
            existing[code] = model.objects.create(code=code, **values)
            created += 1
        elif changes := _assign(existing[code], values):
            existing[code].save(update_fields=list(changes))
            updated += 1
    return existing, created, updated


def _party_values(row: _Row) -> dict[str, Any]:
    values = {k: row.values[k] for k in ("name", "kind", "category", "notes") if k in row.values}
    if "aliases" in row.values:
        values["aliases"] = list(row.values["aliases"])
    return values


def _area_values(row: _Row) -> dict[str, Any]:
    values = {k: row.values[k] for k in ("name", "country", "admin_level") if k in row.values}
    if "bbox" in row.values:
        corners = ("min_lon", "min_lat", "max_lon", "max_lat")
        values.update(zip(corners, row.values["bbox"], strict=True))
    if "aliases" in row.values:
        values["aliases"] = list(row.values["aliases"])
    if "geometry" in row.values:
        values["geometry"] = row.values["geometry"]
    return values


_AGREEMENT_FIELDS = (
    "title", "short_title", "kind", "status", "negotiation_round", "venue", "signed_on",
    "in_force_on", "expires_on", "in_force_time", "time_zone", "summary", "source_url",
    "source_note",
)  # fmt: skip


def _agreement_write(*, plan: _Plan, parties: dict[str, Party], result: LoadResult) -> Agreement:
    values = {name: plan.top.get(name, _default(Agreement, name)) for name in _AGREEMENT_FIELDS}
    agreement = Agreement.objects.filter(code=plan.top["code"]).first()
    if agreement is None:
        agreement = Agreement.objects.create(code=plan.top["code"], **values)
        result.created = True
    elif changes := _assign(agreement, values):
        agreement.save(update_fields=[*changes, "updated_at"])
        result.agreement_updated = True
    wanted = {
        (parties[code].pk, role)
        for code, row in plan.parties.items()
        for role in row.values["role"]
    }
    links = AgreementParty.objects.filter(agreement=agreement)
    current = {(link.party_id, link.role): link.pk for link in links}
    stale = [pk for key, pk in current.items() if key not in wanted]
    fresh = [
        AgreementParty(agreement=agreement, party_id=party_id, role=role)
        for party_id, role in sorted(wanted - set(current))
    ]
    if stale or fresh:
        AgreementParty.objects.filter(pk__in=stale).delete()
        history_bulk_create(model=AgreementParty, objs=fresh)
        if not result.created and not result.agreement_updated:
            agreement.save(update_fields=["updated_at"])
            result.agreement_updated = True
    return agreement


def _start_fields(when: _When | None, clauses: dict[str, Clause]) -> dict[str, Any]:
    if when is None:
        when = _When(DateAnchor.AGREEMENT_IN_FORCE, 0)
    fields: dict[str, Any] = {
        "start_anchor": when.anchor,
        "start_anchor_clause_id": clauses[when.clause].pk if when.clause else None,
        "start_offset_days": when.days,
    }
    if when.anchor == DateAnchor.FIXED:
        fields["in_force_from"] = when.date
    return fields


def _deadline_fields(when: _When | None, clauses: dict[str, Clause]) -> dict[str, Any]:
    if when is None:
        return {
            "deadline_anchor": "",
            "deadline_anchor_clause_id": None,
            "deadline_offset_days": None,
            "deadline": None,
        }
    fields: dict[str, Any] = {
        "deadline_anchor": when.anchor,
        "deadline_anchor_clause_id": clauses[when.clause].pk if when.clause else None,
        "deadline_offset_days": when.days,
    }
    if when.anchor == DateAnchor.FIXED:
        fields.update(deadline_offset_days=None, deadline=when.date)
    return fields


def _clause_fields(row: _Row, position: int, clauses: dict[str, Clause]) -> dict[str, Any]:
    values, parent = row.values, row.values.get("parent")
    return {
        "position": position,
        "title": values["title"],
        "text": values["text"],
        "category": values["category"],
        "phase": values.get("phase", _default(Clause, "phase")),
        "deadline_text": values.get("deadline_text", ""),
        "deadline_time": values.get("deadline_time"),
        "notes": values.get("notes", ""),
        "geometry": values.get("geometry"),
        "parent_id": clauses[parent].pk if parent else None,
        **_start_fields(values.get("starts"), clauses),
        **_deadline_fields(values.get("deadline"), clauses),
    }


def _clause_sets(row: _Row, parties: dict, areas: dict, clauses: dict) -> dict[str, list]:
    return {
        "obliged_parties": [parties[code] for code in row.values.get("obliged", [])],
        "prerequisites": [clauses[ref] for ref in row.values.get("prerequisites", [])],
        "areas": [areas[code] for code in row.values.get("areas", [])],
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def _label(obj: models.Model) -> str:
    return str(obj.reference if isinstance(obj, Clause) else getattr(obj, "code", obj.pk))


def _clauses_write(
    *, agreement: Agreement, plan: _Plan, parties: dict, areas: dict, result: LoadResult
) -> tuple[dict[str, Clause], dict[int, dict[str, list[Any]]]]:
    """Create, update and date the clauses; return them and each existing clause's changes."""
    prefetched = agreement.clauses.prefetch_related("obliged_parties", "prerequisites", "areas")
    existing = {clause.reference: clause for clause in prefetched}
    before = {clause.pk: (clause.in_force_from, clause.deadline) for clause in existing.values()}
    clauses = dict(existing)
    for position, (ref, row) in enumerate(plan.clauses.items(), start=1):
        if ref not in clauses:
            # Anchors and parent are set in the second pass, once every clause has a row.
            values = {key: row.values[key] for key in ("title", "text", "category")}
            clauses[ref] = Clause.objects.create(
                agreement=agreement, reference=ref, position=position, **values
            )
            result.clauses_created += 1
    ref_of = {clause.pk: ref for ref, clause in clauses.items()}
    changes: dict[int, dict[str, list[Any]]] = {}
    for position, (ref, row) in enumerate(plan.clauses.items(), start=1):
        clause, is_new = clauses[ref], ref not in existing
        changed = _assign(clause, _clause_fields(row, position, clauses))
        if changed:
            clause.save(update_fields=list(changed))
        shown = {}
        for name, (old, new) in changed.items():
            if name.endswith("_id"):
                name, old, new = name.removesuffix("_id"), ref_of.get(old), ref_of.get(new)
            shown[name] = [_jsonable(old), _jsonable(new)]
        for name, objs in _clause_sets(row, parties, areas, clauses).items():
            current = [] if is_new else list(getattr(clause, name).all())
            if {obj.pk for obj in current} != {obj.pk for obj in objs}:
                getattr(clause, name).set(objs)
                shown[name] = [sorted(map(_label, current)), sorted(map(_label, objs))]
        if not is_new:
            changes[clause.pk] = shown
    clause_dates_resolve(agreement=agreement)
    resolved = Clause.objects.filter(pk__in=before).values_list("pk", "in_force_from", "deadline")
    for pk, *after in resolved:
        for name, old, new in zip(("in_force_from", "deadline"), before[pk], after, strict=True):
            if old != new:  # also for clauses no longer in the file that count from one that is
                changes.setdefault(pk, {})[name] = [_jsonable(old), _jsonable(new)]
    result.missing_from_file = [ref for ref in existing if ref not in plan.clauses]
    return clauses, {pk: shown for pk, shown in changes.items() if shown}


def _mechanisms_write(
    *, agreement: Agreement, plan: _Plan, parties: dict, clauses: dict, result: LoadResult
) -> None:
    existing = {m.code: m for m in agreement.mechanisms.prefetch_related("clauses")}
    for code, row in plan.mechanisms.items():
        values, responsible = row.values, row.values.get("responsible")
        fields = {
            "name": values["name"],
            "kind": values["kind"],
            "responsible_party_id": parties[responsible].pk if responsible else None,
            "reporting_interval": values["reporting_interval"],
            "grace": values["grace"],
            "active_from": values.get("active_from"),
            "active_until": values.get("active_until"),
            "description": values.get("description", ""),
        }
        covered = [clauses[ref] for ref in values.get("covers", [])]
        mechanism = existing.get(code)
        if mechanism is None:
            mechanism = VerificationMechanism.objects.create(
                agreement=agreement, code=code, **fields
            )
            mechanism.clauses.set(covered)
            result.mechanisms_created += 1
            continue
        changes = _assign(mechanism, fields)
        if changes:
            mechanism.save(update_fields=list(changes))
        covers_changed = {c.pk for c in mechanism.clauses.all()} != {c.pk for c in covered}
        if covers_changed:
            mechanism.clauses.set(covered)
        if changes or covers_changed:
            result.mechanisms_updated += 1
        else:
            result.mechanisms_unchanged += 1
    result.mechanisms_missing_from_file = [code for code in existing if code not in plan.mechanisms]


def _control_areas_write(
    *, agreement: Agreement, plan: _Plan, parties: dict[str, Party], result: LoadResult
) -> None:
    """The agreement's areas of control become what the file lists (none refers to them)."""
    existing = {area.name: area for area in agreement.control_areas.all()}
    for name, row in plan.control_areas.items():
        values = {
            "party_id": parties[row.values["party"]].pk,
            "aliases": list(row.values.get("aliases", [])),
        }
        area = existing.pop(name, None)
        if area is None:
            ControlArea.objects.create(agreement=agreement, name=name, **values)
            result.control_areas_changed += 1
        elif changes := _assign(area, values):
            area.save(update_fields=list(changes))
            result.control_areas_changed += 1
    for area in existing.values():
        area.delete()
        result.control_areas_changed += 1


def _write(*, plan: _Plan, source: str, by: User | None) -> LoadResult:
    result = LoadResult(agreement=plan.top["code"])
    parties, result.parties_created, result.parties_updated = _shared_write(
        model=Party, rows=plan.parties, values_of=_party_values
    )
    areas, result.areas_created, result.areas_updated = _shared_write(
        model=Area, rows=plan.areas, values_of=_area_values
    )
    agreement = _agreement_write(plan=plan, parties=parties, result=result)
    _control_areas_write(agreement=agreement, plan=plan, parties=parties, result=result)
    clauses, changes = _clauses_write(
        agreement=agreement, plan=plan, parties=parties, areas=areas, result=result
    )
    _mechanisms_write(
        agreement=agreement, plan=plan, parties=parties, clauses=clauses, result=result
    )
    ClauseRevision.objects.bulk_create(
        ClauseRevision(clause_id=pk, changed_by=by, source=source, changes=shown)
        for pk, shown in changes.items()
    )
    # Not in the audit trail: updated_at is left out of it, the changes themselves are in.
    Clause.objects.filter(pk__in=changes).update(updated_at=timezone.now())
    result.revisions = len(changes)
    in_file = {clauses[ref].pk for ref in plan.clauses}
    result.clauses_updated = len(in_file & set(changes))
    result.clauses_unchanged = len(plan.clauses) - result.clauses_created - result.clauses_updated
    return result

"""The admin's import wizard: upload a file, choose or build a profile, preview, confirm.

Nothing is stored before the confirm step: the file waits in reports.ingest.staging, the
preview is reports.ingest.preview (the ingest's own parser and row checks), and the confirmed
file goes through payload_receive with exactly the bytes and params previewed, like every
other upload. Observers import for their own missions only (reports.selectors), and an import
in progress is its uploader's alone.
"""

import hashlib
import json
from pathlib import Path
from typing import Any, cast

import yaml
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from agreements.models import Agreement, Clause, Party
from reports.api.views import EXTENSION_FORMATS
from reports.ingest.preview import preview_file
from reports.ingest.receive import payload_receive
from reports.ingest.staging import (
    FileHead,
    StagedImport,
    StagingMissing,
    file_head,
    staged_import_body,
    staged_import_create,
    staged_import_delete,
    staged_import_load,
    staged_import_save,
)
from reports.models import Channel, ImportProfile, InboundPayload, Observation, ObserverMission
from reports.parsers import PARSERS, PayloadProblem
from reports.parsers.tabular import hxl_field
from reports.profiles.registry import profile_named, profile_params, shipped_names
from reports.profiles.spec import TARGET_FIELDS, ProfileProblem, ProfileSpec, from_mapping
from reports.selectors import missions_for_user, payloads_visible_to

BUILD = "build"
KEEP = ""  # the column is kept as an attribute
State = InboundPayload.State


def _url(name: str, staged: StagedImport | None = None, *args: Any) -> str:
    url = reverse(f"admin:reports_inboundpayload_{name}", args=args)
    return f"{url}?{urlencode({'staged': staged.reference})}" if staged else url


def _missions(request: HttpRequest):
    return missions_for_user(user=request.user).filter(is_active=True)


def _profiles_for(missions) -> list[tuple[str, str]]:
    """(name, label) of the profiles an import for ``missions`` may use."""
    stored = ImportProfile.objects.filter(mission__isnull=True) | ImportProfile.objects.filter(
        mission__in=missions
    )
    choices = [(p.code, f"{p.name} ({p.code}, stored)") for p in stored.order_by("name")]
    taken = {code for code, _ in choices}
    choices += [(n, f"{n} (shipped)") for n in shipped_names() if n not in taken]
    return choices


class ImportStartForm(forms.Form):
    file = forms.FileField(help_text="CSV (HXL hashtags detected), XLSX, or a JSON report.")
    mission = forms.ModelChoiceField(queryset=ObserverMission.objects.none())
    agreement = forms.ChoiceField(
        required=False, help_text="For clause references without an agreement code."
    )
    profile = forms.ChoiceField(
        required=False,
        help_text="How the file's columns map onto observations. Build one to choose column "
        "by column; you can adjust any profile before confirming.",
    )
    format = forms.ChoiceField(
        choices=[("", "from the file name")] + [(code, code) for code in sorted(PARSERS)],
        required=False,
    )
    external_id = forms.CharField(
        max_length=120,
        required=False,
        label="Report id",
        help_text="Your id for the report; defaults to the file's checksum. Importing again "
        "under the same id files a correction.",
    )

    def __init__(self, *args, missions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        agreements = Agreement.objects.filter(mechanisms__missions__in=missions).distinct()
        self.fields["agreement"].choices = [("", "as the file says")] + [
            (a.code, f"{a.title} ({a.code})") for a in agreements.order_by("title")
        ]
        self.fields["profile"].choices = [
            ("", "none: headers named like the fields, or HXL hashtags"),
            (BUILD, "build one from this file's columns"),
            *_profiles_for(missions),
        ]

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > settings.INGEST_MAX_BODY_BYTES:
            self.add_error(
                "file", f"The file is larger than {settings.INGEST_MAX_BODY_BYTES:,} bytes."
            )
        fmt = data.get("format") or EXTENSION_FORMATS.get(Path(upload.name).suffix.lower())
        if fmt is None:
            self.add_error("format", "Cannot tell the format from the file name; pick one.")
        data["format"] = fmt
        name, mission = data.get("profile"), data.get("mission")
        if name and name != BUILD and mission is not None:
            try:
                profile_named(name, mission_code=mission.code)
            except ProfileProblem as problem:
                self.add_error("profile", str(problem))
        return data


def _page(request, model_admin, template: str, title: str, step: int, **context) -> HttpResponse:
    return TemplateResponse(
        request,
        f"admin/reports/import/{template}",
        {
            **model_admin.admin_site.each_context(request),
            "opts": InboundPayload._meta,
            "title": title,
            "step": step,
            "steps": ["Upload", "Profile", "Preview", "Confirm"],
            **context,
        },
    )


def _require_importer(request: HttpRequest) -> None:
    if not request.user.has_perm("reports.add_report"):
        raise PermissionDenied


def import_start_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Step 1: the file, its mission and the profile to read it with."""
    _require_importer(request)
    missions = _missions(request)
    initial = {"profile": request.GET.get("profile", "")}
    form = ImportStartForm(
        request.POST or None, request.FILES or None, missions=missions, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        staged = staged_import_create(
            body=upload.read(),
            user_id=int(request.user.pk or 0),
            mission_id=data["mission"].pk,
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            format=data["format"],
            agreement=data["agreement"] or "",
            external_id=data["external_id"] or "",
            profile="" if data["profile"] == BUILD else data["profile"] or "",
        )
        step = "import_build" if data["profile"] == BUILD else "import_preview"
        return HttpResponseRedirect(_url(step, staged))
    return _page(request, model_admin, "start.html", "Import a file", 1, form=form)


def _staged(request: HttpRequest) -> tuple[StagedImport, ObserverMission]:
    """The request's staged import and its mission, both the user's own."""
    reference = request.GET.get("staged") or request.POST.get("staged") or ""
    if not reference:
        raise StagingMissing("no file is being imported")
    staged = staged_import_load(reference=reference, user_id=int(request.user.pk or 0))
    mission = _missions(request).filter(pk=staged.mission_id).first()
    if mission is None:
        raise StagingMissing("not a mission you may import for")
    return staged, mission


def _missing(model_admin, request, problem: StagingMissing) -> HttpResponse:
    return _page(request, model_admin, "missing.html", "Import a file", 1, problem=str(problem))


def _spec(staged: StagedImport, mission: ObserverMission) -> ProfileSpec | None:
    if staged.spec is not None:
        return from_mapping(staged.spec, code=staged.profile)
    if staged.profile:
        return profile_named(staged.profile, mission_code=mission.code)
    return None


def _params(staged: StagedImport, mission: ObserverMission) -> dict[str, Any]:
    """The params the payload is stored with, as the API and the command build them."""
    params: dict[str, Any] = {
        "mission": mission.code,
        "external_id": staged.external_id or f"upload-{staged.sha256[:16]}",
    }
    if staged.agreement:
        params["agreement"] = staged.agreement
    return profile_params(params, _spec(staged, mission))


def _digest(staged: StagedImport, params: dict[str, Any]) -> str:
    """What the confirm step checks: these params with these bytes, as previewed."""
    text = json.dumps(params, sort_keys=True, default=str) + staged.sha256
    return hashlib.sha256(text.encode()).hexdigest()


# --- step 2: a profile built in a form --------------------------------------------------

FIELD_CHOICES = [(KEEP, "keep as attribute")] + [(f, f) for f in sorted(TARGET_FIELDS)]
CONSTANT_HELP = "Blank: read from a column (if one is mapped to it)."


class ProfileBuildForm(forms.Form):
    """One select per column of the file, the constants, the time handling."""

    sheet = forms.ChoiceField(required=False, help_text="The workbook sheet to read.")
    header_row = forms.IntegerField(min_value=1, max_value=50, initial=1)
    set_kind = forms.ChoiceField(required=False, label="Kind", help_text=CONSTANT_HELP)
    set_clause = forms.ChoiceField(required=False, label="Clause", help_text=CONSTANT_HELP)
    set_party = forms.ChoiceField(required=False, label="Party", help_text=CONSTANT_HELP)
    set_verification_status = forms.ChoiceField(
        required=False, label="Verification status", help_text=CONSTANT_HELP
    )
    set_grade = forms.CharField(
        required=False, max_length=2, label="Source grade", help_text="Admiralty grade, e.g. B2."
    )
    unknown_parties = forms.ChoiceField(
        choices=[
            ("reject", "refuse the row"),
            ("keep", "keep the name as text, no party (listed in the preview)"),
        ],
        label="An actor no party is known by",
    )
    zone = forms.CharField(
        required=False,
        max_length=60,
        label="Time zone",
        help_text="Of times without an offset, e.g. Europe/Kyiv; blank: the mission's.",
    )
    wall_time = forms.BooleanField(
        required=False,
        label="Datetimes are local wall time",
        help_text="The file shows the zone's wall clock (shifted by DST): each counts on its "
        "wall-clock day.",
    )
    date_only = forms.BooleanField(
        required=False, label="Dates only", help_text="Values are calendar days; times dropped."
    )
    date_format = forms.CharField(
        required=False,
        max_length=40,
        help_text="For dates that are not ISO 8601, e.g. %d.%m.%Y %H:%M.",
    )
    skip_blank_rows = forms.BooleanField(required=False, initial=True)
    save_code = forms.SlugField(
        required=False,
        max_length=60,
        label="Save as profile (code)",
        help_text="Administrators: keep this profile for the next files of this kind.",
    )
    save_name = forms.CharField(required=False, max_length=200, label="Profile name")
    save_for_mission = forms.BooleanField(
        required=False, label="Only for this mission", initial=True
    )

    def __init__(self, *args, head: FileHead, mission, spec: ProfileSpec | None, may_save, **kw):
        super().__init__(*args, **kw)
        self.head, self.column_names = head, []
        if head.sheets:
            self._choices("sheet").choices = [(s, s) for s in head.sheets]
        else:
            del self.fields["sheet"]
        self._choices("set_kind").choices = [("", "-")] + list(Observation.Kind.choices)
        clauses = (
            Clause.objects.filter(mechanisms__missions=mission)
            .select_related("agreement")
            .distinct()
            .order_by("agreement__code", "reference")
        )
        self._choices("set_clause").choices = [("", "-")] + [
            (f"{c.agreement.code}:{c.reference}", f"{c.agreement.code} {c.reference}: {c.title}")
            for c in clauses
        ]
        self._choices("set_party").choices = [("", "-")] + list(
            Party.objects.order_by("name").values_list("code", "name")
        )
        self._choices("set_verification_status").choices = [("", "-")] + list(
            Observation.Verification.choices
        )
        if not may_save:
            for name in ("save_code", "save_name", "save_for_mission"):
                del self.fields[name]
        for index, (header, tag) in enumerate(zip(head.headers, head.tags, strict=True)):
            if not (header or tag):
                continue
            name = f"column_{index}"
            self.column_names.append((name, header, tag))
            self.fields[name] = forms.ChoiceField(
                choices=FIELD_CHOICES,
                required=False,
                label=" ".join(p for p in (header, tag) if p),
            )
        self._initial_from(spec)

    def _choices(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def _initial_from(self, spec: ProfileSpec | None) -> None:
        spec = spec or from_mapping({})
        columns = {k.strip().lower(): v for k, v in spec.columns.items()}
        taken: set[str] = set()
        for name, header, tag in self.column_names:
            target = columns.get(header.lower()) or columns.get(tag.lower())
            if not target:
                # A guess from the header or the hashtag: never a field already guessed for
                # an earlier column (two #date columns: the first one dates the rows).
                target = _default(header, tag)
                target = KEEP if target in taken else target
            taken.add(target)
            self.initial[name] = KEEP if target.startswith("attributes.") else target
        for key, value in spec.constants.items():
            if f"set_{key}" in self.fields:
                self.initial[f"set_{key}"] = value
        self.initial.update(
            header_row=spec.header_row,
            unknown_parties=spec.unknown_parties,
            zone=spec.time.zone,
            wall_time=spec.time.wall_time,
            date_only=spec.time.date_only,
            date_format=spec.time.date_format,
            skip_blank_rows=spec.skip_blank_rows,
        )
        if "sheet" in self.fields:
            self.initial["sheet"] = self.head.sheet

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: dict[str, str] = {}
        for name, header, tag in self.column_names:
            target = data.get(name)
            if not target or target == KEEP:
                continue
            if target in seen:
                self.add_error(
                    name,
                    f'"{seen[target]}" goes to {target} too: choose one of the two and keep '
                    "the other as an attribute",
                )
            else:
                seen[target] = header or tag
        return data

    def mapping(self, base: ProfileSpec | None) -> dict[str, Any]:
        """The profile the form says, over ``base`` (its values, hxl and format kept)."""
        data = self.cleaned_data
        columns: dict[str, str] = {}
        for name, header, tag in self.column_names:
            key = header or tag
            if key in columns:
                raise ProfileProblem(
                    f'two columns are headed "{key}": rename one in the file to map both'
                )
            target = data.get(name) or KEEP
            columns[key] = target or f"attributes.{(header or tag.lstrip('#'))[:100]}"
        constants = {
            key.removeprefix("set_"): value
            for key, value in data.items()
            if key.startswith("set_") and value
        }
        # The base profile's other keys (value maps, hashtag handling...) are kept as they are.
        mapping = {k: v for k, v in (base or from_mapping({})).as_params().items() if k != "code"}
        mapping.update(
            header_row=data["header_row"],
            columns=columns,
            unknown_parties=data["unknown_parties"],
            skip_blank_rows=data["skip_blank_rows"],
            time={
                **mapping["time"],
                "zone": data["zone"],
                "wall_time": data["wall_time"],
                "date_only": data["date_only"],
                "date_format": data["date_format"],
            },
        )
        # Constants the form does not offer (a unit, a source...) stay as the base sets them.
        offered = {name.removeprefix("set_") for name in self.fields if name.startswith("set_")}
        kept = {k: v for k, v in mapping["set"].items() if k not in offered}
        mapping["set"] = {**kept, **constants}
        mapping.pop("sheet", None)
        if data.get("sheet"):
            mapping["sheet"] = data["sheet"]
        return mapping


def _default(header: str, tag: str) -> str:
    """Where a column goes when the profile does not say: a field's own name, else its tag's
    field, else kept."""
    if header in TARGET_FIELDS:
        return header
    if tag:
        try:
            return hxl_field(tag)
        except PayloadProblem:
            return KEEP
    return KEEP


def import_build_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Step 2: a profile built column by column from the file's headers and hashtags."""
    _require_importer(request)
    try:
        staged, mission = _staged(request)
        body = staged_import_body(staged)
        base = _spec(staged, mission)
    except StagingMissing as problem:
        return _missing(model_admin, request, problem)
    except ProfileProblem as problem:
        base = None
        messages.error(request, str(problem))
    reload = "_reload" in request.POST
    sheet = request.POST.get("sheet") if request.POST else (base.sheet if base else "")
    header_row = _int(request.POST.get("header_row"), base.header_row if base else 1)
    try:
        head = file_head(body=body, format=staged.format, sheet=sheet or "", header_row=header_row)
    except PayloadProblem as problem:
        head = FileHead([], "", [], [])
        messages.error(request, f"The file's columns cannot be read: {problem}")
    may_save = request.user.has_perm("reports.add_importprofile")
    form = ProfileBuildForm(
        None if reload or request.method != "POST" else request.POST,
        head=head,
        mission=mission,
        spec=base,
        may_save=may_save,
    )
    if reload:
        form.initial.update({k: v for k, v in request.POST.items() if k in form.fields})
        form.initial["sheet"], form.initial["header_row"] = head.sheet, header_row
    if request.method == "POST" and not reload and form.is_valid():
        try:
            mapping = form.mapping(base)
            spec = from_mapping(mapping)
        except ProfileProblem as problem:
            form.add_error(None, str(problem))
        else:
            saved = _save_profile(form, mapping, mission) if may_save else ""
            if form.errors:
                return _build_page(model_admin, request, staged, mission, form, base)
            staged.spec, staged.profile, staged.previewed = spec.as_params(), saved, ""
            staged_import_save(staged)
            return HttpResponseRedirect(_url("import_preview", staged))
    return _build_page(model_admin, request, staged, mission, form, base)


def _build_page(model_admin, request, staged, mission, form, base) -> HttpResponse:
    return _page(
        request,
        model_admin,
        "build.html",
        "Import a file: choose where each column goes",
        2,
        form=form,
        staged=staged,
        mission=mission,
        base=base,
        columns=[(form[name], header, tag) for name, header, tag in form.column_names],
        has_tags=any(tag for _, _, tag in form.column_names),
        action=_url("import_build", staged),
    )


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, min(50, int(value or default)))
    except ValueError:
        return default


def _save_profile(form: ProfileBuildForm, mapping: dict[str, Any], mission) -> str:
    """Store the built profile when a code is given (administrators); its code, or ""."""
    data = form.cleaned_data
    code = data.get("save_code") or ""
    if not code:
        return ""
    if ImportProfile.objects.filter(code=code).exists():
        form.add_error("save_code", f'A profile "{code}" exists already; choose another code.')
        return ""
    name = data.get("save_name") or code
    ImportProfile.objects.create(
        code=code,
        name=name,
        mission=mission if data.get("save_for_mission") else None,
        definition=yaml.safe_dump({**mapping, "name": name}, sort_keys=False, allow_unicode=True),
    )
    return code


# --- step 3 and 4: preview, confirm, result --------------------------------------------


def import_preview_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Step 3 (GET): the preview, nothing stored; step 4 (POST): confirm and store."""
    _require_importer(request)
    try:
        staged, mission = _staged(request)
        body = staged_import_body(staged)
    except StagingMissing as problem:
        return _missing(model_admin, request, problem)
    try:
        params = _params(staged, mission)
    except ProfileProblem as problem:
        messages.error(request, f"The profile cannot be used: {problem}")
        return HttpResponseRedirect(_url("import_build", staged))
    digest = _digest(staged, params)
    if request.method == "POST":
        return _confirm(request, staged, mission, body, params, digest)
    preview = preview_file(
        body=body, format=staged.format, params=params, mission=mission, sender=request.user
    )
    staged.previewed = digest if preview.accepted else ""
    staged_import_save(staged)
    return _page(
        request,
        model_admin,
        "preview.html",
        "Import a file: preview",
        3,
        staged=staged,
        mission=mission,
        preview=preview,
        data=preview.as_dict(),
        has_tags=any(c["tag"] for c in preview.columns),
        digest=digest,
        profile_yaml=yaml.safe_dump(
            params.get("profile_spec") or {}, sort_keys=False, allow_unicode=True
        ),
        action=_url("import_preview", staged),
        build_url=_url("import_build", staged),
    )


def _confirm(request, staged, mission, body, params, digest) -> HttpResponse:
    if request.POST.get("digest") != digest or staged.previewed != digest:
        messages.error(
            request,
            "The file or its profile changed since this preview, or the preview found problems: "
            "look at the preview again before confirming.",
        )
        return HttpResponseRedirect(_url("import_preview", staged))
    result = payload_receive(
        body=body,
        content_type=staged.content_type,
        format=staged.format,
        channel=Channel.UPLOAD,
        sender=request.user,
        mission=mission,
        params=params,
        filename=staged.filename,
    )
    staged_import_delete(staged)
    return HttpResponseRedirect(_url("import_result", None, result.payload.pk))


def import_result_view(model_admin, request: HttpRequest, payload_id: int) -> HttpResponse:
    """After the confirm: the payload followed to accepted or rejected."""
    _require_importer(request)
    payload = (
        payloads_visible_to(user=request.user)
        .defer("body")
        .select_related("report", "mission")
        .filter(pk=payload_id)
        .first()
    )
    if payload is None:
        raise PermissionDenied
    pending = payload.state in (State.RECEIVED, State.PROCESSING)
    return _page(
        request,
        model_admin,
        "result.html",
        f"Import of {payload.filename or f'payload {payload.pk}'}",
        4,
        payload=payload,
        pending=pending,
        payload_url=reverse("admin:reports_inboundpayload_change", args=[payload.pk]),
    )

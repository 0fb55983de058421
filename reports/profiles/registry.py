"""Finding a profile: by name (the database first, then the shipped files), or from a file.

A payload keeps the profile it was imported with (``params["profile_spec"]``), so editing a
profile later never changes how a stored payload reads.
"""

from pathlib import Path
from typing import Any

from reports.profiles.spec import ProfileProblem, ProfileSpec, from_mapping, from_yaml

SHIPPED = Path(__file__).resolve().parent / "shipped"


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def shipped_profile(name: str) -> ProfileSpec | None:
    path = SHIPPED / f"{name}.yaml"
    if name not in shipped_names():
        return None
    return from_yaml(path.read_text(encoding="utf-8"), code=name)


def profile_named(name: str, *, mission_code: str | None = None) -> ProfileSpec:
    """The profile called ``name``: an ImportProfile (of every mission, or of this one), else a
    shipped profile; ProfileProblem naming the choices when there is none."""
    from reports.models import ImportProfile

    stored = ImportProfile.objects.filter(code=name).select_related("mission").first()
    if stored is not None:
        if stored.mission and mission_code not in (None, stored.mission.code):
            raise ProfileProblem(f'profile "{name}" belongs to another mission')
        return from_yaml(stored.definition, code=name)
    spec = shipped_profile(name)
    if spec is None:
        names = sorted({*shipped_names(), *ImportProfile.objects.values_list("code", flat=True)})
        raise ProfileProblem(f'unknown profile "{name}" (known: {", ".join(names)})')
    return spec


def profile_from_file(path: Path) -> ProfileSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileProblem(f"{path}: cannot be read ({exc})") from None
    return from_yaml(text, code=path.stem)


def profile_resolve(value: str, *, mission_code: str | None = None) -> ProfileSpec:
    """``--profile NAME|FILE``: a path to a YAML file when it is one, else a name."""
    if value.endswith((".yaml", ".yml")) or "/" in value:
        return profile_from_file(Path(value))
    return profile_named(value, mission_code=mission_code)


def profile_of_params(params: dict[str, Any]) -> ProfileSpec | None:
    """The profile a payload was imported with: the stored spec, else (payloads stored before
    specs were kept) the profile named, as it is now."""
    if isinstance(params.get("profile_spec"), dict):
        return from_mapping(params["profile_spec"], code=str(params.get("profile") or ""))
    if params.get("profile"):
        return profile_named(str(params["profile"]), mission_code=params.get("mission"))
    return None


def profile_params(
    params: dict[str, Any],
    spec: ProfileSpec | None,
    *,
    sheet: str = "",
    constants: dict[str, Any] | None = None,
    zone: str = "",
) -> dict[str, Any]:
    """``params`` of a payload about to be stored, with the profile it is to be read with
    (after this import's ``--sheet``, ``--set`` and zone) kept whole under ``profile_spec``.
    Without a profile, a sheet, constants or a zone still make one (an unnamed profile)."""
    if spec is None and not (sheet or constants or zone):
        return dict(params)
    base = spec or from_mapping({})
    chosen = base.with_overrides(sheet=sheet, constants=constants, zone=zone)
    out = dict(params)
    if spec is not None and spec.code:
        out["profile"] = spec.code
    out["profile_spec"] = chosen.as_params()
    return out

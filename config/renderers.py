"""Renderers for the export formats. The views build the body themselves (streaming, or CAP
XML from model objects); these make DRF's content negotiation accept ``?format=...`` and
render errors in those formats as JSON."""

import json

from rest_framework.renderers import BaseRenderer


class _PassThrough(BaseRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, default=str).encode()


class CSVRenderer(_PassThrough):
    media_type = "text/csv"
    format = "csv"


class GeoJSONRenderer(_PassThrough):
    media_type = "application/geo+json"
    format = "geojson"


class CAPRenderer(_PassThrough):
    media_type = "application/cap+xml"
    format = "cap"

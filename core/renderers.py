"""Renderers for the export formats. The views build the body themselves (streaming, or CAP
XML from model objects); these make DRF's content negotiation accept ``?format=...`` and
render errors in those formats as JSON."""

import json
from collections.abc import Mapping
from typing import Any

import orjson
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()


class FastJSONRenderer(JSONRenderer):
    """JSON written by orjson, for the hot endpoints whose bodies are plain values.

    The same JSON as DRF's renderer (UTF-8, compact); whatever orjson does not know (lazy
    strings, decimals, UUIDs) goes through DRF's encoder. An ``indent`` asked for in the
    Accept header is honoured by falling back to DRF's renderer.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            indented: bytes = super().render(data, accepted_media_type, renderer_context)
            return indented
        body: bytes = orjson.dumps(data, default=_encoder.default)
        return body


class _PassThrough(BaseRenderer):
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes | str:
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


# For the OpenAPI schema: what a ?format=geojson answer looks like.
class GeoJSONFeatureSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text='"Feature"')
    id = serializers.IntegerField()
    geometry = serializers.JSONField(
        allow_null=True, help_text="A GeoJSON geometry, longitude first; null when unplaced."
    )
    properties = serializers.DictField()


@extend_schema_serializer(many=False, component_name="FeatureCollection")
class FeatureCollectionSerializer(serializers.Serializer[Any]):
    """RFC 7946: WGS84, coordinates [longitude, latitude]."""

    type = serializers.CharField(help_text='"FeatureCollection"')
    features = GeoJSONFeatureSerializer(many=True)

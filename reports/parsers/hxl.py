"""HXL-tagged CSV: the row of hashtags under the header says what each column is."""

from reports.parsers.base import ParsedPayload, PayloadProblem, register
from reports.parsers.csv_profile import _csv_cells, tabular_payload
from reports.parsers.source import as_source, is_blank


@register("hxl")
def parse_hxl(body, params: dict) -> ParsedPayload:
    """CSV whose second row holds HXL hashtags; unknown tags are kept as attributes."""
    source = as_source(body)
    if is_blank(source):
        raise PayloadProblem("the file is empty: expected a header row and an HXL hashtag row")
    return tabular_payload(_csv_cells(source), params, require_hxl=True)

"""A corpus of malformed payloads, each with the message a sender must get back.

Every case is ``(name, format, body, params, expected)``: ``body`` is bytes or a function
that builds them, ``params`` is what came with the body (an upload's form fields), and
``expected`` is a substring of the payload's errors. Every case must end ``rejected`` and
store nothing. The corpus test creates agreement ``other-accord`` (clause "1"), which
mission A does not watch, on top of the shared ``world``.
"""

from tests.reports.malformed import files, rows
from tests.reports.malformed.builders import Case

CORPUS: list[Case] = [*rows.CASES, *files.CASES]

"""What loading an agreement file returns, or raises when the file is bad."""

from dataclasses import dataclass, field


class AgreementFileError(ValueError):
    """A file that cannot be loaded; each line of the message names file, line and problem."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [message]


@dataclass
class LoadResult:
    """What loading one file did."""

    agreement: str
    created: bool = False
    agreement_updated: bool = False
    clauses_created: int = 0
    clauses_updated: int = 0
    clauses_unchanged: int = 0
    mechanisms_created: int = 0
    mechanisms_updated: int = 0
    mechanisms_unchanged: int = 0
    parties_created: int = 0
    parties_updated: int = 0
    areas_created: int = 0
    areas_updated: int = 0
    control_areas_changed: int = 0  # created, updated or no longer in the file
    revisions: int = 0
    # Rows the file no longer lists are kept (observations may refer to them), only reported.
    missing_from_file: list[str] = field(default_factory=list)
    mechanisms_missing_from_file: list[str] = field(default_factory=list)

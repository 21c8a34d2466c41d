"""Problems found in agency files, in frictionless's vocabulary, as FILE:ROW:COLUMN: TYPE: message."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    type: str
    message: str
    message_th: str = ""
    severity: str = "error"  # error | warning | info

    @classmethod
    def of_file(cls, file: str, message: str, message_th: str) -> Problem:
        """A file that cannot be read at all (a source-error): no row, no column to name."""
        return cls(file, None, None, "source-error", message, message_th)

    def line(self) -> str:
        row = "" if self.row is None else self.row
        text = f"{self.file}:{row}:{self.column or ''}: {self.type}: {self.message}"
        return f"{text} / {self.message_th}" if self.message_th else text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """Everything a validation or build found: errors stop the build, warnings and info do not."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems) -> None:
        self.problems.extend(problems)

    def of(self, severity: str) -> list[Problem]:
        return [p for p in self.problems if p.severity == severity]

    @property
    def errors(self) -> list[Problem]:
        return self.of("error")

    @property
    def ok(self) -> bool:
        return not self.errors


class Refused(Exception):
    """A file (or a cell of it) that cannot be read as a table; carries the problem to report, but
    for the file's name: Problem(display, *refused.details)."""

    def __init__(self, row, column, kind, message, message_th):
        super().__init__(message)
        self.details = (row, column, kind, message, message_th)


def limited(problems: list[Problem], per_file_and_type: int | None) -> tuple[list[Problem], list[str]]:
    """At most N problems per file and type, and a line for each group that was cut."""
    if not per_file_and_type:
        return problems, []
    seen: Counter = Counter()
    shown = []
    for problem in problems:
        key = (problem.file, problem.type, problem.severity)
        seen[key] += 1
        if seen[key] <= per_file_and_type:
            shown.append(problem)
    notes = [
        f"{file}: {count - per_file_and_type} more {type} {severity}s not shown"
        for (file, type, severity), count in seen.items()
        if count > per_file_and_type
    ]
    return shown, notes


def as_json(problems: list[Problem]) -> str:
    return json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2)

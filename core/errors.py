"""One exception hierarchy for the whole product, so process boundaries can tell causes apart."""

from __future__ import annotations

from dataclasses import dataclass


class YuqingError(Exception):
    """Base class of every error yuqing raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in one configuration file: which file, which key path, what is wrong."""

    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        key = self.key or "(top level)"
        return f"{self.file}: {key}: {self.problem}"


class ConfigError(YuqingError):
    """The configuration is broken; carries every problem found, not just the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SourceError(YuqingError):
    """A source could not be fetched or parsed."""


class NotifyError(YuqingError):
    """A notification could not be delivered."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class InputError(YuqingError):
    """User-supplied input (a file to import or analyse) is malformed."""


class PermissionDenied(YuqingError):
    """The acting user's role does not allow the action."""


class StateError(YuqingError):
    """An action is not allowed in the object's current state (e.g. acknowledging a resolved alert)."""


class LockHeld(YuqingError):
    """Another process holds the lock this process asked for."""

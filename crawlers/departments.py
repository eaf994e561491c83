"""Map the department or addressee a source names (承办单位, 留言对象) to a departments row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Department


class DepartmentMatcher:
    """Exact name or alias first; else the longest name or alias contained in the text."""

    def __init__(self, names: dict[str, int]) -> None:
        self._exact = {self._key(name): dept_id for name, dept_id in names.items() if name.strip()}
        # longest first, so "市生态环境局" wins over "生态环境局" when both are configured
        self._contained = sorted(self._exact.items(), key=lambda kv: -len(kv[0]))
        self._cache: dict[str, int | None] = {}

    @staticmethod
    def _key(text: str) -> str:
        return "".join(text.split())

    @classmethod
    def load(cls, session: Session) -> DepartmentMatcher:
        names: dict[str, int] = {}
        for dept_id, name, aliases in session.execute(
            select(Department.id, Department.name, Department.aliases)
        ):
            names.setdefault(name, dept_id)
            for alias in aliases or []:
                if isinstance(alias, str):
                    names.setdefault(alias, dept_id)
        return cls(names)

    def match(self, *texts: str | None) -> int | None:
        for text in texts:
            if not text:
                continue
            key = self._key(text)
            if key in self._cache:
                found = self._cache[key]
            else:
                found = self._exact.get(key)
                if found is None:
                    found = next(
                        (dept_id for name, dept_id in self._contained if len(name) >= 2 and name in key), None
                    )
                self._cache[key] = found
            if found is not None:
                return found
        return None

"""Risk and alert levels. Stored as a severity integer so that 'at least level III' is a comparison."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    NONE = 0
    IV = 1  # 蓝色 (blue), lowest
    III = 2  # 黄色 (yellow)
    II = 3  # 橙色 (orange)
    I = 4  # noqa: E741  红色 (red), highest

    @property
    def roman(self) -> str:
        return "" if self is Level.NONE else self.name

    @property
    def colour_name(self) -> str:
        return _COLOUR_NAMES[self]

    @property
    def colour(self) -> str:
        return _COLOURS[self]

    @property
    def label(self) -> str:
        """E.g. 'I级(红色)'; '无' for no level."""
        if self is Level.NONE:
            return "无"
        return f"{self.name}级({self.colour_name})"

    @property
    def alert_title(self) -> str:
        """The bracketed prefix used in alert mail subjects, e.g. '[红色预警]'."""
        if self is Level.NONE:
            return "[提示]"
        return f"[{self.colour_name}预警]"

    @classmethod
    def parse(cls, value: str | int) -> Level:
        """Accept 'I'..'IV', 'none', colour names (红/橙/黄/蓝, red/orange/yellow/blue) or the integer."""
        if isinstance(value, int):
            return cls(value)
        text = value.strip()
        key = text.upper()
        if key in cls.__members__:
            return cls[key]
        for level, names in _ALIASES.items():
            if text.lower() in names:
                return level
        raise ValueError(f"unknown level {value!r}; use one of I, II, III, IV, none")


_COLOUR_NAMES = {Level.NONE: "无", Level.IV: "蓝色", Level.III: "黄色", Level.II: "橙色", Level.I: "红色"}
_COLOURS = {
    Level.NONE: "#8c8c8c",
    Level.IV: "#1677ff",
    Level.III: "#fadb14",
    Level.II: "#fa8c16",
    Level.I: "#f5222d",
}
_ALIASES = {
    Level.NONE: {"none", "无"},
    Level.IV: {"blue", "蓝", "蓝色"},
    Level.III: {"yellow", "黄", "黄色"},
    Level.II: {"orange", "橙", "橙色"},
    Level.I: {"red", "红", "红色"},
}

"""Chinese and machine date strings -> aware UTC datetimes, at the crawler boundary.

`parse_datetime` is pure: relative forms ("3分钟前", "昨天 10:00", "今天") are resolved against an injected
`now`; naive wall times are Asia/Shanghai. The raw string is kept by the caller (Item.published_raw).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_EPOCH = re.compile(r"^\d{9,10}(\.\d+)?$")
_EPOCH_MS = re.compile(r"^\d{12,13}$")
_RELATIVE = re.compile(
    r"^(\d+|半|一|两|几)\s*(秒|秒钟|分|分钟|小时|个小时|钟头|天|日|周|星期|个月|月)\s*(前|之前|以前)$"
)
_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_TIME = r"(\d{1,2})[:时点](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?分?"
_DAY_WORD_TIME = re.compile(r"^(今天|今日|昨天|昨日|前天)\s*(?:" + _TIME + r")?$")
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]*" + _TIME + r")?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*" + _TIME + r")?$")
_TIME_ONLY = re.compile(r"^" + _TIME + r"$")
_UNIT_SECONDS = {
    "秒": 1,
    "秒钟": 1,
    "分": 60,
    "分钟": 60,
    "小时": 3600,
    "个小时": 3600,
    "钟头": 3600,
    "天": 86400,
    "日": 86400,
    "周": 7 * 86400,
    "星期": 7 * 86400,
    "个月": 30 * 86400,
    "月": 30 * 86400,
}
_NUMBER_WORDS = {"半": 0.5, "一": 1, "两": 2, "几": 3}


def parse_datetime(
    value: str | int | float | None, now: datetime, tz: ZoneInfo = SHANGHAI
) -> datetime | None:
    """Parse `value` into an aware UTC datetime, or None when it is empty or not a date we understand.

    `now` (aware) anchors relative forms and the year of "11-21 14:05"; naive times are wall time in `tz`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = _clean(value)
    if not text:
        return None
    local_now = now.astimezone(tz)
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    if _EPOCH_MS.match(text):
        return _from_epoch(int(text) / 1000)
    if text in ("刚刚", "刚才", "just now"):
        return now.astimezone(UTC)
    match = _RELATIVE.match(text)
    if match:
        amount = _NUMBER_WORDS.get(match.group(1))
        number = float(amount) if amount is not None else float(match.group(1))
        return (now - timedelta(seconds=number * _UNIT_SECONDS[match.group(2)])).astimezone(UTC)
    match = _DAY_WORD_TIME.match(text)
    if match:
        day = local_now.date() - timedelta(days=_DAY_WORDS[match.group(1)])
        return _local(day, match.group(2), match.group(3), match.group(4), tz)
    match = _FULL.match(text)
    if match:
        year, month, day_of_month = int(match.group(1)), int(match.group(2)), int(match.group(3))
        return _local(_date(year, month, day_of_month), match.group(4), match.group(5), match.group(6), tz)
    match = _MONTH_DAY.match(text)
    if match:
        month, day_of_month = int(match.group(1)), int(match.group(2))
        candidate = _local(
            _date(local_now.year, month, day_of_month), match.group(3), match.group(4), match.group(5), tz
        )
        # A year-less date in the future (beyond a day of clock skew) belongs to last year: "12-31" read
        # on 1 January.
        if candidate is not None and candidate > now + timedelta(days=1):
            candidate = _local(
                _date(local_now.year - 1, month, day_of_month),
                match.group(3),
                match.group(4),
                match.group(5),
                tz,
            )
        return candidate
    match = _TIME_ONLY.match(text)
    if match:
        candidate = _local(local_now.date(), match.group(1), match.group(2), match.group(3), tz)
        if candidate is not None and candidate > now + timedelta(minutes=5):
            candidate -= timedelta(days=1)
        return candidate
    return _iso_or_rfc822(text, tz)


def _clean(value: str) -> str:
    # Full-width digits and colons ("１４：０５") and odd spaces are common on Chinese sites.
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"^(发布时间|发表时间|留言时间|回复时间|时间|日期|发布于|更新时间)\s*[:：]?\s*", "", text)
    return re.sub(r"\s+", " ", text)


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds passed as a number
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _local(
    day: date | None, hour: str | None, minute: str | None, second: str | None, tz: ZoneInfo
) -> datetime | None:
    if day is None:
        return None
    try:
        wall = time(int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _iso_or_rfc822(text: str, tz: ZoneInfo) -> datetime | None:
    iso = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)

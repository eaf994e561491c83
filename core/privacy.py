"""Masking of personal data in citizen text: phone numbers, ID numbers, bank cards, e-mail addresses and
complainants' names after cue words; salted pseudonyms (HMAC) where the same person must stay recognisable.

Pure and fast: every pattern is compiled once at import; a text without digits, '@' or a cue word costs a
few microseconds. Precision matters as much as recall: dates, amounts and work-order numbers stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# Replacement labels shown to users (简体中文) per kind of personal data.
KIND_LABELS = {
    "email": "邮箱",
    "id_card": "身份证号",
    "bank_card": "银行卡号",
    "mobile": "手机号",
    "landline": "电话",
    "name": "姓名",
}
# When two candidate spans overlap, the kind listed first wins (an 18-digit ID beats a bank card).
_PRIORITY = {kind: i for i, kind in enumerate(KIND_LABELS)}

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_ID18 = re.compile(_NOT_ALNUM_BEFORE + r"\d{17}[\dXx]" + _NOT_ALNUM_AFTER)
_ID15 = re.compile(_NOT_ALNUM_BEFORE + r"\d{15}" + _NOT_ALNUM_AFTER)
# 16-19 digits, contiguous or in groups of four separated by a space or a dash.
_CARD = re.compile(_NOT_ALNUM_BEFORE + r"[3-6]\d{3}(?:[ \-]?\d{4}){3}(?:[ \-]?\d{1,3})?" + _NOT_ALNUM_AFTER)
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}" + _NOT_ALNUM_AFTER)
# Landlines need an area code with a separator or brackets; a bare 10-12 digit run is too ambiguous.
_LANDLINE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:[(（]0\d{2,3}[)）][ \-]?|0\d{2,3}[ \-－])[2-9]\d{6,7}(?:[\-转]\d{1,4})?"
    + _NOT_ALNUM_AFTER
)
# A local number without area code only counts right after a phone cue (电话：8888 6666).
_PHONE_CUE_LOCAL = re.compile(
    r"(?:电话|座机|固话|联系方式|来电号码|手机)(?:号码?)?[是为:：\s]{0,3}([2-9]\d{6,7})" + _NOT_ALNUM_AFTER
)
_ID_CUE = re.compile(r"身份证|证件号|公民身份")
_CARD_CUE = re.compile(r"银行卡|卡号|账号|帐号|银行账户")
# Every number pattern has at least seven digits, contiguous or split by single spaces or dashes; dates,
# amounts and counts usually do not, so most texts skip the number patterns after this one scan.
_LONG_NUMBER = re.compile(r"\d(?:[ \-]?\d){6}")

# Province codes that can start a mainland ID number.
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Common surnames (single and compound). Deliberately without 和, 都, 老, 小 and similar characters that
# are far more often words than names.
_COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "尉迟",
    "公孙",
    "司徒",
    "夏侯",
    "长孙",
    "宇文",
    "慕容",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "呼延",
    "轩辕",
]
_SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
) - frozenset("和都老小大公元由来平国海花明时文成安全位")
# The hundred commonest surnames: a two-character candidate 居杜 before 女士 is 杜 after a word, because 杜
# is common and 居 is not.
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Characters that practically never occur in a given name but often follow a surname-like character.
_NOT_GIVEN = frozenset(
    "的了在是于年月日号时分和与及或等被把将也都就还要会能有无不没很更最已曾对向从到以为因所这那其之个们"
    "市区县镇乡村街路道省楼栋单元室户家人员部门局委办处所站院校厂司店百千万元"
    "先女士生同志师傅老板反映投诉电话手机联系身份证住址请求希望我你他她它"
)
# Surname characters that, first in a candidate before 先生/女士, are far more often a preposition or verb.
_FUNCTION_FIRST = frozenset("向于应将以但时位给对让请叫找跟被把")
# Cue words after which a complainant's name follows. Strong cues accept any two or three Han characters
# whose first is a surname; weak cues (本人, 我叫) additionally need a boundary after the name.
_NAME_CUES = re.compile(
    r"(我叫|他叫|她叫|我姓|(?<![百])姓(?=[\u4e00-\u9fff][的，,。先女])|本人|联系人|姓名|投诉人|来电人|反映人|报案人|当事人|户主)(?:是|为)?[:：\s]{0,2}"
)
_NAME_TITLE = re.compile(r"(先生|女士)")
_NAME_BOUNDARY = re.compile(
    r"$|[\s，,。.；;：:！!？?、（(）)\]】\"”'/]|电话|手机|联系|身份证|住址|家住|现住|住在|系|来电|反映|投诉|称|，"
)


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data found in a text: its kind, its character span and the text itself."""

    kind: str
    start: int
    end: int
    value: str


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2099


def id18_checksum_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check character of a GB 11643 citizen ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _id18_shape_ok(number: str) -> bool:
    return number[:2] in _PROVINCES and _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _id15_ok(number: str) -> bool:
    return number[:2] in _PROVINCES and _valid_date(
        1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    )


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _cue_before(text: str, start: int, cue: re.Pattern[str], width: int = 12) -> bool:
    return cue.search(text, max(0, start - width), start) is not None


def _digit_spans(text: str) -> Iterable[PiiSpan]:
    for m in _ID18.finditer(text):
        number = m.group()
        if _id18_shape_ok(number) and (id18_checksum_ok(number) or _cue_before(text, m.start(), _ID_CUE)):
            yield PiiSpan("id_card", m.start(), m.end(), number)
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ \-]", "", m.group())
        if 16 <= len(digits) <= 19 and (luhn_ok(digits) or _cue_before(text, m.start(), _CARD_CUE)):
            yield PiiSpan("bank_card", m.start(), m.end(), m.group())
    for m in _ID15.finditer(text):
        if _id15_ok(m.group()):
            yield PiiSpan("id_card", m.start(), m.end(), m.group())
    for m in _MOBILE.finditer(text):
        yield PiiSpan("mobile", m.start(), m.end(), m.group())
    for m in _LANDLINE.finditer(text):
        yield PiiSpan("landline", m.start(), m.end(), m.group())
    for m in _PHONE_CUE_LOCAL.finditer(text):
        yield PiiSpan("landline", m.start(1), m.end(1), m.group(1))


def _name_after(text: str, pos: int, strong: bool) -> int:
    """Length of a personal name starting at `pos` (0 if none): surname + one or two given characters."""
    surname_len = 0
    if text.startswith(tuple(_COMPOUND_SURNAMES), pos):
        surname_len = 2
    elif pos < len(text) and text[pos] in _SINGLE_SURNAMES:
        surname_len = 1
    if not surname_len:
        return 0
    # Prefer the longest name followed by a boundary; a weak cue never accepts a name without one.
    for given in (2, 1):
        end = pos + surname_len + given
        if end > len(text):
            continue
        chunk = text[pos + surname_len : end]
        if not all("\u4e00" <= c <= "\u9fff" and c not in _NOT_GIVEN for c in chunk):
            continue
        if _NAME_BOUNDARY.match(text, end) or text.startswith(("先生", "女士"), end):
            return surname_len + given
    if strong:
        # 联系人王、姓名：张 — a lone surname is still a name after a strong cue when a boundary follows.
        end = pos + surname_len
        if _NAME_BOUNDARY.match(text, end) or text.startswith(("先生", "女士"), end):
            return surname_len
    return 0


def _name_spans(text: str) -> Iterable[PiiSpan]:
    for m in _NAME_CUES.finditer(text):
        cue = m.group(1)
        pos = m.end()
        if cue in ("我姓", "姓"):
            length = 1 if pos < len(text) and text[pos] in _SINGLE_SURNAMES else 0
            if text.startswith(tuple(_COMPOUND_SURNAMES), pos):
                length = 2
        else:
            length = _name_after(text, pos, strong=cue not in ("本人", "我叫", "他叫", "她叫"))
        if length:
            yield PiiSpan("name", pos, pos + length, text[pos : pos + length])
    for m in _NAME_TITLE.finditer(text):
        length = _name_before(text, m.start())
        if length:
            yield PiiSpan("name", m.start() - length, m.start(), text[m.start() - length : m.start()])


def _name_before(text: str, end: int) -> int:
    """Length of the name directly before 先生/女士 (张先生, 张伟女士, 欧阳先生, 王建国先生); 0 if none."""
    if end >= 2 and text[end - 2 : end] in _COMPOUND_SURNAMES:
        return 2
    # A two-character name first (the commonest); three only when its middle is not another surname,
    # since 向张伟先生 is 张伟 addressed, not a person named 向张伟.
    for length in (2, 3, 1):
        start = end - length
        if start < 0:
            continue
        chunk = text[start:end]
        if chunk[0] not in _SINGLE_SURNAMES or (length > 1 and chunk[0] in _FUNCTION_FIRST):
            continue
        if not all("\u4e00" <= c <= "\u9fff" and c not in _NOT_GIVEN for c in chunk[1:]):
            continue
        if length > 1 and chunk[0] not in _COMMON_SURNAMES:
            continue
        if length == 3 and chunk[1] in _SINGLE_SURNAMES:
            continue
        if length == 2 and chunk[1] in _COMMON_SURNAMES and chunk[0] not in _COMMON_SURNAMES:
            continue
        return length
    return 0


def find_pii(text: str) -> list[PiiSpan]:
    """Every piece of personal data in `text`, ordered by position, without overlaps."""
    candidates: list[PiiSpan] = []
    if _LONG_NUMBER.search(text):
        candidates.extend(_digit_spans(text))
    if "@" in text:
        candidates.extend(PiiSpan("email", m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text))
    candidates.extend(_name_spans(text))
    if not candidates:
        return []
    # Longer spans and higher-priority kinds first; then keep only those that do not overlap a kept one.
    candidates.sort(key=lambda s: (_PRIORITY[s.kind], -(s.end - s.start), s.start))
    kept: list[PiiSpan] = []
    for span in candidates:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: s.start)
    return kept


def _normalise_value(kind: str, value: str) -> str:
    if kind in ("mobile", "landline", "bank_card", "id_card"):
        digits = re.sub(r"[^0-9Xx]", "", value).upper()
        if kind == "mobile" and len(digits) > 11:
            digits = digits[-11:]  # +86 / 0086 prefixes name the same phone
        return digits
    return value.strip().lower()


def pseudonym(kind: str, value: str, salt: bytes) -> str:
    """A stable, non-reversible token for one person's datum: HMAC-SHA256 under a secret salt, 8 hex digits.

    Unsalted hashes of phone or ID numbers are reversible by enumeration, so there is no unsalted variant.
    """
    message = f"{kind}:{_normalise_value(kind, value)}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:8]


class Masker:
    """Replaces personal data with labels such as [手机号]; with a salt, with [手机号#1a2b3c4d] pseudonyms so
    the same phone number or name is recognisable across items without being readable."""

    def __init__(self, salt: bytes | str | None = None) -> None:
        if isinstance(salt, str):
            salt = salt.encode()
        self._salt = salt or None

    def replacement(self, span: PiiSpan) -> str:
        label = KIND_LABELS[span.kind]
        if self._salt is None:
            return f"[{label}]"
        return f"[{label}#{pseudonym(span.kind, span.value, self._salt)}]"

    def mask_with_spans(self, text: str) -> tuple[str, list[PiiSpan]]:
        spans = find_pii(text)
        if not spans:
            return text, spans
        parts: list[str] = []
        last = 0
        for span in spans:
            parts.append(text[last : span.start])
            parts.append(self.replacement(span))
            last = span.end
        parts.append(text[last:])
        return "".join(parts), spans

    def mask(self, text: str) -> str:
        return self.mask_with_spans(text)[0]


_DEFAULT = Masker()


def mask(text: str, salt: bytes | str | None = None) -> str:
    """Mask personal data in `text` (labels only, or salted pseudonyms when a salt is given)."""
    return (_DEFAULT if salt is None else Masker(salt)).mask(text)

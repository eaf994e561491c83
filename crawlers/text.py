"""Text normalisation for crawled fields: whitespace, invisible characters, full-width letters and digits.

Full-width ASCII letters, digits and symbols become half-width (NFKC), but the punctuation Chinese text
is written with (，。！？：；（）“”《》、…) stays as it is.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Chinese punctuation that NFKC would turn into ASCII; keep it, it is correct in Chinese prose.
KEEP_FULL_WIDTH = frozenset("，！？：；（）［］｛｝～＂＇")


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):
        char = chr(code)
        if char not in KEEP_FULL_WIDTH:
            table[code] = unicodedata.normalize("NFKC", char)
    table[0x3000] = " "  # ideographic space
    for invisible in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD):
        table[invisible] = ""
    for space in (0x00A0, 0x2002, 0x2003, 0x2009, 0x202F):
        table[space] = " "
    table[0x0D] = "\n"
    return table


_TABLE = _build_table()
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{2,}")


def half_width(text: str) -> str:
    """Full-width letters/digits/ASCII symbols -> half-width; Chinese punctuation kept; invisibles removed."""
    return text.translate(_TABLE)


def clean_line(text: str | None) -> str | None:
    """One-line fields (title, author, department): every run of whitespace becomes one space."""
    if text is None:
        return None
    return " ".join(half_width(text).split())


def clean_block(text: str | None) -> str | None:
    """Multi-line fields (content, reply): trim each line, collapse spaces, one paragraph per line."""
    if text is None:
        return None
    text = half_width(text).replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def content_hash(*parts: str | None) -> str:
    """A stable fingerprint of the citizen-visible text, to notice edits between visits."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()

"""Decode HTML whose declared charset may be missing or wrong (UTF-8, GBK, GB18030 boards).

Strict UTF-8 first (GBK text almost never passes it), then the configured charset, then GB18030 (a superset
of GBK and GB2312), then the declared charset with replacement characters, so a wrong header (or a site that
switched encodings under its configuration) never stops the crawl.
"""

from __future__ import annotations

import codecs
import re

from scrapy.http import Response, TextResponse

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# GBK and GB2312 are subsets of GB18030: decoding with the superset loses nothing.
_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
}


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        normal = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _ALIASES.get(normal, _ALIASES.get(name.strip().lower(), normal))


def declared_charset(response: Response) -> str | None:
    header = response.headers.get(b"Content-Type") or b""
    match = re.search(rb"charset\s*=\s*([A-Za-z0-9_\-]+)", header, re.I)
    if match:
        return match.group(1).decode("ascii", "ignore")
    meta = _META_CHARSET.search(response.body[:4096])
    return meta.group(1).decode("ascii", "ignore") if meta else None


def detect_encoding(body: bytes, declared: str | None = None, configured: str = "auto") -> str:
    """The codec to decode `body` with: valid UTF-8 is UTF-8; otherwise the configured charset (an office
    knows its site), else GB18030, if the bytes decode cleanly; else the declared one, lossy."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    preferred = canonical(configured) if configured and configured != "auto" else None
    for candidate in dict.fromkeys(c for c in ("utf-8", preferred, "gb18030") if c):
        try:
            body.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    return canonical(declared) or preferred or "utf-8"


def looks_truncated(body: bytes) -> bool:
    """An HTML page cut off in transfer: no closing </html> or </body> near its end."""
    tail = body[-2048:].lower()
    return b"</html" not in tail and b"</body" not in tail


def decoded(response: Response, configured: str = "auto") -> TextResponse:
    """`response` as a TextResponse decoded with the detected encoding (the body bytes are unchanged)."""
    encoding = detect_encoding(response.body, declared_charset(response), configured)
    if isinstance(response, TextResponse) and response.encoding == encoding:
        return response
    cls = type(response) if isinstance(response, TextResponse) else TextResponse
    return cls(
        url=response.url,
        status=response.status,
        headers=response.headers,
        body=response.body,
        encoding=encoding,
        request=response.request,
        flags=response.flags,
    )

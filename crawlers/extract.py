"""Pull fields out of HTML with the CSS/XPath selectors an office writes in config/sources.yaml.

Element text keeps paragraph breaks (block elements and <br> become newlines) so post content reads as
written; scripts and styles are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import lxml.html
from lxml import etree
from parsel import Selector, SelectorList

from core.settings import FieldSelector

BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th",
    }
)  # fmt: skip
SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


def element_text(element: Any) -> str:
    """Readable text of an lxml element: block boundaries become newlines, inline text runs together."""
    parts: list[str] = []

    def walk(node: Any, root: bool = False) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if tag in SKIP_TAGS or node.tag is etree.Comment or node.tag is etree.ProcessingInstruction:
            if node.tail and not root:
                parts.append(node.tail)
            return
        block = tag in BLOCK_TAGS and not root  # the selected element's own edges add no newline
        if block or tag == "br":
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append("\n")
        if node.tail and not root:
            parts.append(node.tail)

    walk(element, root=True)
    return "".join(parts)


def _values(selected: SelectorList[Selector], attr: str | None) -> list[str]:
    values: list[str] = []
    for node in selected:
        root = node.root
        if isinstance(root, str):  # ::text, ::attr(), text(), @href
            values.append(root)
        elif attr:
            value = node.attrib.get(attr)
            if value is not None:
                values.append(value)
        elif hasattr(root, "tag"):
            values.append(element_text(root))
        else:
            values.append(str(node.get()))
    return values


def select_values(sel: Selector, spec: FieldSelector) -> list[str]:
    """Every value the selector finds (regex and default applied to each)."""
    selected = sel.css(spec.css) if spec.css else sel.xpath(spec.xpath) if spec.xpath else None
    values = _values(selected, spec.attr) if selected is not None else []
    if spec.regex:
        pattern = re.compile(spec.regex, re.S)
        matched = []
        for value in values:
            found = pattern.search(value)
            if found:
                matched.append(found.group(1) if found.groups() else found.group(0))
        values = matched
    return values


def extract_field(sel: Selector, spec: FieldSelector) -> str | None:
    """One field: every match joined with `join`; the default when nothing (non-blank) is found."""
    values = [v for v in select_values(sel, spec) if v.strip()]
    if not values:
        return spec.default
    return spec.join.join(values)


def extract_fields(sel: Selector, specs: Mapping[str, FieldSelector]) -> dict[str, str | None]:
    return {name: extract_field(sel, spec) for name, spec in specs.items()}


def extract_links(sel: Selector, spec: FieldSelector) -> list[str]:
    """Links from a list page: the `attr` given, else href of the selected elements (or their text)."""
    selected = sel.css(spec.css) if spec.css else sel.xpath(spec.xpath) if spec.xpath else None
    if selected is None:
        return []
    values = _values(selected, spec.attr or "href")
    if spec.regex:
        pattern = re.compile(spec.regex)
        values = [m.group(1) if m.groups() else m.group(0) for v in values if (m := pattern.search(v))]
    return [v.strip() for v in values if v and v.strip()]


def html_to_text(fragment: str | None) -> str | None:
    """Text of an HTML fragment (a feed summary); plain text passes through."""
    if not fragment or not fragment.strip():
        return None
    if "<" not in fragment:
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment
    return element_text(root)

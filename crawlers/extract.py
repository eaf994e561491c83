"""Pull fields out of HTML with the CSS/XPath selectors an office writes in config/sources.yaml.

Element text keeps paragraph breaks (block elements and <br> become newlines) so post content reads as
written; scripts and styles are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import lxml.html
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

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


# EXSLT namespaces, as parsel registers them, so an office's XPath may use re:test() and set:distinct().
NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}
_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=2048)
def compiled(css: str | None, xpath: str | None) -> etree.XPath | None:
    """The selector as a compiled XPath (CSS translated the way parsel does, ::text and ::attr() included).

    Compiled once per selector: evaluating a string XPath through parsel recompiled it for every page and
    wrapped every result in a Selector (about a third of a board crawl's parse time, measured).
    """
    query = _TRANSLATOR.css_to_xpath(css) if css else xpath
    if not query:
        return None
    return etree.XPath(query, namespaces=NAMESPACES, smart_strings=False)


def _root(sel: Selector | Any) -> Any:
    return sel.root if isinstance(sel, Selector) else sel


def _evaluate(sel: Selector | Any, spec: FieldSelector) -> list[Any]:
    query = compiled(spec.css, spec.xpath)
    if query is None:
        return []
    result = query(_root(sel))
    return result if isinstance(result, list) else [result]


def _values(results: list[Any], attr: str | None) -> list[str]:
    values: list[str] = []
    for node in results:
        if isinstance(node, str):  # ::text, ::attr(), text(), @href
            values.append(node)
        elif isinstance(node, bool | int | float):  # count(), boolean() expressions
            values.append(str(node))
        elif attr:
            value = node.get(attr)
            if value is not None:
                values.append(value)
        elif hasattr(node, "tag"):
            values.append(element_text(node))
    return values


def select_values(sel: Selector | Any, spec: FieldSelector) -> list[str]:
    """Every value the selector finds on a page (a parsel Selector or an lxml root), regex applied to each."""
    values = _values(_evaluate(sel, spec), spec.attr)
    if spec.regex:
        pattern = _pattern(spec.regex)
        matched = []
        for value in values:
            found = pattern.search(value)
            if found:
                matched.append(found.group(1) if found.groups() else found.group(0))
        values = matched
    return values


@lru_cache(maxsize=1024)
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.S)


def extract_field(sel: Selector | Any, spec: FieldSelector) -> str | None:
    """One field: every match joined with `join`; the default when nothing (non-blank) is found."""
    values = [v for v in select_values(sel, spec) if v.strip()]
    if not values:
        return spec.default
    return spec.join.join(values)


def extract_fields(sel: Selector | Any, specs: Mapping[str, FieldSelector]) -> dict[str, str | None]:
    return {name: extract_field(sel, spec) for name, spec in specs.items()}


def extract_links(sel: Selector | Any, spec: FieldSelector) -> list[str]:
    """Links from a list page: the `attr` given, else href of the selected elements (or their text)."""
    values = _values(_evaluate(sel, spec), spec.attr or "href")
    if spec.regex:
        pattern = _pattern(spec.regex)
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

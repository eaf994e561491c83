"""Which generic spider crawls which source kind/type: the explicit registry of extension points."""

from __future__ import annotations

from core.settings import SourceConfig
from crawlers.spiders.base import ConfiguredSpider
from crawlers.spiders.board import BoardSpider
from crawlers.spiders.hotline import HotlineApiSpider
from crawlers.spiders.news import NewsSpider

SPIDERS: dict[tuple[str, str], type[ConfiguredSpider]] = {
    ("hotline", "json_api"): HotlineApiSpider,
    ("hotline", "open311"): HotlineApiSpider,
    ("board", "html"): BoardSpider,
    ("news", "feed"): NewsSpider,
    ("news", "html"): NewsSpider,
}


def spider_for(source: SourceConfig) -> type[ConfiguredSpider]:
    try:
        return SPIDERS[(source.kind, source.type)]
    except KeyError:
        raise ValueError(
            f"no spider crawls {source.kind}/{source.type} (file sources are imported)"
        ) from None

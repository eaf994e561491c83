"""The news site: RSS 2.0 (local news of 云江新闻网 and partners), Atom (云江日报 时政/经济), an HTML list and
article pages whose body sits among navigation, ads, related links, a hot list and reader comments.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from demo.model import NewsArticle
from demo.newsbank import AD_SLOGANS, NAV_ITEMS
from demo.render_common import esc, http_date, iso_local, rfc822_local, wall, wall_minutes

FEED_SIZE = 50
LIST_PAGE_SIZE = 20


def _x(text: str) -> str:
    """XML text escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def article_path(article: NewsArticle) -> str:
    return f"/news/article/{article.public_id}.html"


def rss_feed(articles: Sequence[NewsArticle], base_url: str, built: datetime) -> str:
    items = []
    for a in articles:
        link = base_url + article_path(a)
        items.append(
            "<item>"
            f"<title>{_x(a.title)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{rfc822_local(a.publish_at)}</pubDate>"
            f"<dc:creator>{_x(a.author)}</dc:creator>"
            f"<category>{_x(a.category)}</category>"
            f'<source url="{base_url}/news/rss.xml">{_x(a.media)}</source>'
            f"<description>{_x(a.paragraphs[0])}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "<channel>\n"
        "<title>云江新闻网 - 本地新闻</title>\n"
        f"<link>{base_url}/news/list</link>\n"
        f'<atom:link href="{base_url}/news/rss.xml" rel="self" type="application/rss+xml"/>\n'
        "<description>云江新闻网本地民生、社会新闻</description>\n"
        "<language>zh-cn</language>\n"
        f"<lastBuildDate>{rfc822_local(built)}</lastBuildDate>\n"
        "<ttl>10</ttl>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    )


def atom_feed(articles: Sequence[NewsArticle], base_url: str, updated: datetime) -> str:
    entries = []
    for a in articles:
        link = base_url + article_path(a)
        entries.append(
            "<entry>"
            f"<title>{_x(a.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{link}"/>'
            f"<id>tag:news.yunjiang.example,{a.publish_at:%Y}:article-{a.public_id}</id>"
            f"<published>{iso_local(a.publish_at)}</published>"
            f"<updated>{iso_local(a.updated_at or a.publish_at)}</updated>"
            f"<author><name>{_x(a.author)}</name></author>"
            f'<category term="{_x(a.category)}"/>'
            f"<summary>{_x(a.paragraphs[0])}</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
        "<title>云江日报 · 时政经济</title>\n"
        "<subtitle>云江日报时政、经济新闻</subtitle>\n"
        "<id>tag:news.yunjiang.example,2026:atom</id>\n"
        f'<link rel="self" type="application/atom+xml" href="{base_url}/news/atom.xml"/>\n'
        f'<link rel="alternate" type="text/html" href="{base_url}/news/list"/>\n'
        f"<updated>{iso_local(updated)}</updated>\n"
        "<generator>YunjiangCMS</generator>\n" + "\n".join(entries) + "\n</feed>\n"
    )


_PAGE_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="description" content="{description}">
{meta}<style>.ad-banner{{background:#f5f5f5;text-align:center}}.sidebar{{float:right;width:300px}}</style>
</head>
<body>
<div id="top-nav" class="site-nav"><a class="logo" href="/news/list">云江新闻网</a><ul>{nav}</ul>
<form class="search" action="/news/list"><input name="q" placeholder="搜索新闻"></form></div>
<div class="ad-banner ad-top"><a href="/news/list" rel="nofollow sponsored">{ad}</a><span class="ad-mark">广告</span></div>
"""
_PAGE_FOOT = """<div class="site-footer">
<p><a href="/news/list">关于我们</a> | <a href="/news/list">联系我们</a> | <a href="/news/list">版权声明</a> | 违法和不良信息举报电话：0571-88000000</p>
<p>云江新闻网 版权所有 互联网新闻信息服务许可证编号：33120170001</p>
</div>
</body>
</html>
"""


def _nav() -> str:
    return "".join(f'<li><a href="/news/list">{item}</a></li>' for item in NAV_ITEMS)


def article_page(article: NewsArticle, related: Sequence[NewsArticle], hot: Sequence[NewsArticle]) -> str:
    # Ads rotate by article id so that a page never changes between two fetches of the same version.
    rng = random.Random(article.public_id)
    ad_top, ad_side = rng.sample(AD_SLOGANS, 2)
    meta = (
        f'<meta property="og:title" content="{esc(article.title)}">\n'
        f'<meta name="author" content="{esc(article.author)}">\n'
        f'<meta property="article:published_time" content="{iso_local(article.publish_at)}">\n'
        f'<meta name="source" content="{esc(article.media)}">\n'
    )
    body = "\n".join(f"<p>{esc(p)}</p>" for p in article.paragraphs)
    related_html = "".join(
        f'<li><a href="{article_path(r)}">{esc(r.title)}</a><span class="date">{wall_minutes(r.publish_at)[:10]}</span></li>'
        for r in related
    )
    hot_html = "".join(
        f'<li><em>{n}</em><a href="{article_path(h)}">{esc(h.title)}</a></li>' for n, h in enumerate(hot, 1)
    )
    comments_html = (
        "".join(
            f'<li class="comment"><span class="comment-user">{esc(user)}</span>'
            f'<p class="comment-text">{esc(text)}</p></li>'
            for user, text in article.comments
        )
        or '<li class="comment-empty">暂无评论，快来抢沙发！</li>'
    )
    page = (
        '<div class="breadcrumb"><a href="/news/list">首页</a> &gt; '
        f'<a href="/news/list">{esc(article.category)}</a> &gt; 正文</div>\n'
        '<div class="main-container">\n'
        '<div class="sidebar">\n'
        f'<div class="ad-banner ad-side"><a href="/news/list" rel="nofollow sponsored">{esc(ad_side)}</a>'
        '<span class="ad-mark">广告</span></div>\n'
        f'<div class="hot-list"><h3>热点排行</h3><ol>{hot_html}</ol></div>\n'
        "</div>\n"
        '<div class="article" id="article">\n'
        f'<h1 class="article-title">{esc(article.title)}</h1>\n'
        '<div class="article-meta">'
        f'<span class="pub-time">{wall(article.publish_at)}</span>'
        f'<span class="source">来源：{esc(article.media)}</span>'
        f'<span class="author">{esc(article.author)}</span>'
        f'<span class="category">{esc(article.category)}</span></div>\n'
        f'<div class="article-content">\n{body}\n</div>\n'
        f'<div class="editor">（责任编辑：{esc(article.author.split()[-1])}）</div>\n'
        '<div class="share">分享到：<a href="/news/list">微信</a> <a href="/news/list">微博</a></div>\n'
        "</div>\n"
        f'<div class="related-news"><h3>相关阅读</h3><ul>{related_html}</ul></div>\n'
        f'<div class="comments"><h3>网友评论（{len(article.comments)}）</h3><ul>{comments_html}</ul></div>\n'
        "</div>\n"
    )
    head = _PAGE_HEAD.format(
        title=f"{esc(article.title)}_{esc(article.media)}",
        description=esc(article.paragraphs[0][:80]),
        meta=meta,
        nav=_nav(),
        ad=esc(ad_top),
    )
    return head + page + _PAGE_FOOT


def news_list_page(articles: Sequence[NewsArticle], page: int, total: int) -> str:
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    rows = "\n".join(
        f'<li class="news-item"><a class="news-title" href="{article_path(a)}">{esc(a.title)}</a>'
        f'<span class="news-source">{esc(a.media)}</span><span class="news-time">{wall_minutes(a.publish_at)}</span></li>'
        for a in articles
    )
    links = [
        f'<a class="page-num" href="/news/list?page={n}">{n}</a>'
        if n != page
        else f'<span class="page-num current">{n}</span>'
        for n in range(max(1, page - 4), min(pages, page + 4) + 1)
    ]
    if page < pages:
        links.append(f'<a class="page-next" href="/news/list?page={page + 1}">下一页</a>')
    head = _PAGE_HEAD.format(
        title=f"新闻列表_云江新闻网（第{page}页）",
        description="云江新闻网新闻列表",
        meta="",
        nav=_nav(),
        ad=esc(AD_SLOGANS[page % len(AD_SLOGANS)]),
    )
    return (
        head
        + f'<ul class="news-list">\n{rows}\n</ul>\n<div class="pagination">{" ".join(links)}</div>\n'
        + _PAGE_FOOT
    )


def last_modified(article: NewsArticle) -> str:
    return http_date(article.updated_at or article.publish_at)

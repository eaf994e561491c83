"""HTML of the two message boards: the city's 网民留言板 (UTF-8, list markup) and the counties' 领导留言板
(served as GBK, old table markup), each with list pages (newest first, numbered page links and 下一页) and
detail pages. Class names are stable so configured selectors keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

from demo.model import BOARD_REPLIED, BoardPost
from demo.render_common import esc, paragraphs_html, wall, wall_minutes

PAGE_SIZE = 20


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def page_slice(live: Sequence[BoardPost], page: int, size: int = PAGE_SIZE) -> list[BoardPost]:
    """Page `page` (1-based) of `live` (publication order), newest first."""
    end = len(live) - (page - 1) * size
    begin = max(0, end - size)
    if end <= 0:
        return []
    return list(reversed(live[begin:end]))


def _page_window(page: int, pages: int, width: int = 9) -> list[int]:
    first = max(1, min(page - width // 2, pages - width + 1))
    return list(range(first, min(pages, first + width - 1) + 1))


# --- UTF-8 city board --------------------------------------------------------------------------------------

_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="keywords" content="云江市,网民留言板,领导留言,12345">
<style>body{{font-family:"Microsoft YaHei",sans-serif;margin:0}}.wrap{{width:1100px;margin:0 auto}}
.msg-item span{{margin-left:12px;color:#666}}.status-open{{color:#c00}}.status-replied{{color:#080}}</style>
</head>
<body>
<div class="top-bar"><div class="wrap">云江市人民政府门户网站 | <a href="/board/list">无障碍浏览</a> | <a href="/board/list">长者模式</a></div></div>
<div class="header"><div class="wrap"><h1 class="site-title">云江市网民留言板</h1>
<ul class="nav"><li><a href="/board/list">留言列表</a></li><li><a href="/board/list?page=1">我要留言</a></li>
<li><a href="/board/list">办理公开</a></li><li><a href="/board/list">部门回复排行</a></li></ul></div></div>
<div class="wrap main">
"""
_FOOT = """</div>
<div class="footer"><div class="wrap">
<p>主办：云江市人民政府办公室　承办：云江市大数据发展管理局</p>
<p>网站标识码：3301000099　<a href="/board/list">云ICP备12003456号-1</a>　云公网安备 33010202000123号</p>
</div></div>
</body>
</html>
"""


def _status_span(post: BoardPost, css: str = "msg-status") -> str:
    state = "status-replied" if post.status == BOARD_REPLIED else "status-open"
    return f'<span class="{css} {state}">{esc(post.status)}</span>'


def board_list_page(posts: Sequence[BoardPost], page: int, total: int) -> str:
    pages = page_count(total)
    rows = []
    for post in posts:
        rows.append(
            f'<li class="msg-item" data-id="{post.public_id}">'
            f'<span class="msg-id">{post.public_id}</span>'
            f'<a class="msg-title" href="/board/post/{post.public_id}" title="{esc(post.title)}">{esc(post.title)}</a>'
            f'<span class="msg-target">{esc(post.target)}</span>'
            f'<span class="msg-author">{esc(post.author)}</span>'
            f'<span class="msg-time">{wall_minutes(post.publish_at)}</span>'
            f"{_status_span(post)}</li>"
        )
    links = []
    if page > 1:
        links.append(f'<a class="page-prev" href="/board/list?page={page - 1}">上一页</a>')
    for n in _page_window(page, pages):
        if n == page:
            links.append(f'<span class="page-num current">{n}</span>')
        else:
            links.append(f'<a class="page-num" href="/board/list?page={n}">{n}</a>')
    if page < pages:
        links.append(f'<a class="page-next" href="/board/list?page={page + 1}">下一页</a>')
        links.append(f'<a class="page-last" href="/board/list?page={pages}">尾页</a>')
    body = (
        '<div class="crumbs">当前位置：<a href="/board/list">首页</a> &gt; 网民留言板 &gt; 留言列表</div>\n'
        f'<div class="board-stats">共 <span class="total-count">{total}</span> 条留言，'
        f"每页 {PAGE_SIZE} 条</div>\n"
        '<ul class="msg-list">\n' + "\n".join(rows) + "\n</ul>\n"
        f'<div class="pagination">{" ".join(links)} '
        f'<span class="page-info">第{page}页/共{pages}页</span></div>\n'
    )
    return _HEAD.format(title=f"留言列表（第{page}页）- 云江市网民留言板") + body + _FOOT


def board_post_page(post: BoardPost) -> str:
    if post.status == BOARD_REPLIED and post.reply_at is not None:
        reply = (
            '<div class="reply-box">\n<h3 class="reply-heading">回复内容</h3>\n'
            f'<p><span class="label">回复单位：</span><span class="reply-unit">{esc(post.reply_unit)}</span></p>\n'
            f'<p><span class="label">回复时间：</span><span class="reply-time">{wall(post.reply_at)}</span></p>\n'
            f'<div class="reply-content">{paragraphs_html(post.reply_text or "")}</div>\n</div>\n'
        )
    else:
        reply = '<div class="reply-box reply-pending">该留言已转交相关单位办理，请耐心等待回复。</div>\n'
    body = (
        f'<div class="crumbs">当前位置：<a href="/board/list">首页</a> &gt; 网民留言板 &gt; 留言详情</div>\n'
        f'<div class="msg-detail" id="msg-{post.public_id}" data-id="{post.public_id}">\n'
        f'<h1 class="msg-title">{esc(post.title)}</h1>\n'
        '<div class="msg-info">\n'
        f'<p><span class="label">留言编号：</span><span class="msg-id">{post.public_id}</span></p>\n'
        f'<p><span class="label">留言人：</span><span class="msg-author">{esc(post.author)}</span></p>\n'
        f'<p><span class="label">留言时间：</span><span class="msg-time">{wall(post.publish_at)}</span></p>\n'
        f'<p><span class="label">留言对象：</span><span class="msg-target">{esc(post.target)}</span></p>\n'
        f'<p><span class="label">办理状态：</span>{_status_span(post)}</p>\n'
        "</div>\n"
        f'<div class="msg-content">{paragraphs_html(post.content)}</div>\n'
        f"{reply}</div>\n"
        '<div class="side-links"><h4>相关链接</h4><ul><li><a href="/board/list">返回留言列表</a></li>'
        '<li><a href="/news/list">云江新闻</a></li></ul></div>\n'
    )
    return _HEAD.format(title=f"{esc(post.title)} - 云江市网民留言板") + body + _FOOT


# --- GBK county leaders' board -----------------------------------------------------------------------------

_GBK_HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<meta charset="gbk">
<title>{title}</title>
<style type="text/css">.lb-list td{{border-bottom:1px dashed #ccc;font-size:12px}}.red{{color:#f00}}.green{{color:#090}}</style>
</head>
<body bgcolor="#FFFFFF">
<table width="960" border="0" align="center" cellpadding="0" cellspacing="0" class="top">
<tr><td class="logo"><b>云江市县（区）领导留言板</b></td><td align="right">西山县 | 青石县 | <a href="/gbk-board/list">进入留言板</a></td></tr>
</table>
<table width="960" border="0" align="center" cellpadding="0" cellspacing="0"><tr><td>
"""
_GBK_FOOT = """</td></tr></table>
<table width="960" border="0" align="center" class="bottom"><tr><td align="center">
版权所有：云江市西山县人民政府办公室　青石县人民政府办公室　技术支持：县融媒体中心<br>
建议使用1024*768分辨率浏览
</td></tr></table>
</body>
</html>
"""


def _gbk_time(post: BoardPost) -> str:
    return wall_minutes(post.publish_at).replace("-", "年", 1).replace("-", "月", 1).replace(" ", "日 ", 1)


def _gbk_status(post: BoardPost) -> str:
    color = "green" if post.status == BOARD_REPLIED else "red"
    return f'<font class="{color}">{esc(post.status)}</font>'


def gbk_list_page(posts: Sequence[BoardPost], page: int, total: int) -> str:
    pages = page_count(total)
    rows = [
        '<TR class="lb-head" bgcolor="#E8F1FA"><TD width="70">编号</TD><TD>留言标题</TD><TD width="140">留言对象</TD>'
        '<TD width="150">留言时间</TD><TD width="60">状态</TD></TR>'
    ]
    for post in posts:
        rows.append(
            f'<TR class="lb-row"><TD class="lb-id">{post.public_id}</TD>'
            f'<TD class="lb-title"><a href="/gbk-board/post/{post.public_id}" target="_blank">{esc(post.title)}</a></TD>'
            f'<TD class="lb-target">{esc(post.target)}</TD><TD class="lb-time">{_gbk_time(post)}</TD>'
            f'<TD class="lb-status">{_gbk_status(post)}</TD></TR>'
        )
    pager = [f"共 {total} 条 第 {page}/{pages} 页 "]
    pager.append('<a href="/gbk-board/list?page=1">首页</a>')
    if page > 1:
        pager.append(f'<a href="/gbk-board/list?page={page - 1}">上一页</a>')
    for n in _page_window(page, pages, 7):
        pager.append(f"<b>[{n}]</b>" if n == page else f'<a href="/gbk-board/list?page={n}">[{n}]</a>')
    if page < pages:
        pager.append(f'<a href="/gbk-board/list?page={page + 1}">下一页</a>')
    pager.append(f'<a href="/gbk-board/list?page={pages}">尾页</a>')
    body = (
        '<TABLE class="lb-list" width="100%" border="0" cellspacing="1" cellpadding="4">\n'
        + "\n".join(rows)
        + "\n</TABLE>\n"
        + f'<div class="pager" align="center">{" ".join(pager)}</div>\n'
    )
    return _GBK_HEAD.format(title="领导留言板 - 留言列表") + body + _GBK_FOOT


def gbk_post_page(post: BoardPost) -> str:
    content = esc(post.content).replace("\n", "<br>")
    rows = [
        f'<tr><th width="100">留言标题</th><td class="lb-title">{esc(post.title)}</td></tr>',
        f'<tr><th>留言编号</th><td class="lb-id">{post.public_id}</td></tr>',
        f'<tr><th>留言人</th><td class="lb-author">{esc(post.author)}</td></tr>',
        f'<tr><th>留言时间</th><td class="lb-time">{_gbk_time(post)}</td></tr>',
        f'<tr><th>留言对象</th><td class="lb-target">{esc(post.target)}</td></tr>',
        f'<tr><th>办理状态</th><td class="lb-status">{_gbk_status(post)}</td></tr>',
        f'<tr><th>留言内容</th><td class="lb-content">{content}</td></tr>',
    ]
    detail = (
        '<table class="lb-detail" width="100%" border="1" cellspacing="0" cellpadding="6">\n'
        + "\n".join(rows)
    )
    detail += "\n</table>\n"
    if post.status == BOARD_REPLIED and post.reply_at is not None:
        reply_text = esc(post.reply_text).replace("\n", "<br>")
        reply_time = (
            wall_minutes(post.reply_at).replace("-", "年", 1).replace("-", "月", 1).replace(" ", "日 ", 1)
        )
        detail += (
            '<table class="lb-reply" width="100%" border="1" cellspacing="0" cellpadding="6">\n'
            f'<tr><th width="100">回复单位</th><td class="lb-reply-unit">{esc(post.reply_unit)}</td></tr>\n'
            f'<tr><th>回复时间</th><td class="lb-reply-time">{reply_time}</td></tr>\n'
            f'<tr><th>回复内容</th><td class="lb-reply-content">{reply_text}</td></tr>\n</table>\n'
        )
    else:
        detail += '<p class="lb-wait">此留言尚未回复。</p>\n'
    detail += '<p align="center"><a href="javascript:window.close()">【关闭窗口】</a> <a href="/gbk-board/list">【返回列表】</a></p>\n'
    return _GBK_HEAD.format(title=f"{esc(post.title)} - 领导留言板") + detail + _GBK_FOOT

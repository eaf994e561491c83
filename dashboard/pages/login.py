"""The sign-in page (/login) and the refusal page, served as plain HTML by Flask on purpose: nothing of Dash
(layout, callbacks, bundles) is reachable before sign-in, so this page needs no script and inlines its CSS."""

from __future__ import annotations

from markupsafe import escape

_STYLE = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
 font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;background:#0b2545;color:#1f2933}
.card{background:#fff;border-radius:10px;box-shadow:0 10px 40px rgba(0,0,0,.35);padding:40px 44px;width:min(440px,92vw)}
h1{font-size:24px;margin:0 0 4px;color:#0b2545}
.sub{color:#52606d;margin:0 0 28px;font-size:15px}
label{display:block;font-size:15px;margin:14px 0 6px;color:#323f4b}
input[type=text],input[type=password]{width:100%;padding:11px 12px;font-size:17px;border:1px solid #9aa5b1;
 border-radius:6px}
input:focus{outline:2px solid #1677ff;border-color:#1677ff}
button{margin-top:26px;width:100%;padding:12px;font-size:18px;background:#c8102e;color:#fff;border:0;
 border-radius:6px;cursor:pointer;letter-spacing:4px}
button:hover{background:#a50d25}
.error{background:#fff1f0;border:1px solid #ffa39e;color:#a8071a;padding:10px 12px;border-radius:6px;margin-bottom:8px}
.info{background:#e6f4ff;border:1px solid #91caff;color:#0958d9;padding:10px 12px;border-radius:6px;margin-bottom:8px}
.foot{margin-top:22px;color:#7b8794;font-size:13px;text-align:center}
"""


def render_login(*, error: str, info: str, next_url: str, csrf: str, username: str, office: str) -> str:
    """The sign-in form; every value is escaped."""
    notice = ""
    if error:
        notice = f'<div class="error" role="alert" id="login-error">{escape(error)}</div>'
    elif info:
        notice = f'<div class="info" id="login-info">{escape(info)}</div>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 - 舆情监测与回应平台</title><style>{_STYLE}</style></head>
<body><form class="card" method="post" action="/login" autocomplete="off">
<h1>舆情监测与回应平台</h1><p class="sub">{escape(office)}</p>
{notice}
<input type="hidden" name="csrf_token" value="{escape(csrf)}">
<input type="hidden" name="next" value="{escape(next_url)}">
<label for="username">用户名</label>
<input type="text" id="username" name="username" value="{escape(username)}" required autofocus maxlength="64">
<label for="password">密码</label>
<input type="password" id="password" name="password" required maxlength="200">
<button type="submit" id="login-submit">登 录</button>
<p class="foot">仅限授权人员使用，所有操作均留有记录</p>
</form></body></html>"""


def render_forbidden() -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问</title><style>{_STYLE}</style></head>
<body><div class="card"><h1>无权访问</h1><p class="sub">当前账户的角色不能打开此页面。</p>
<p><a href="/">返回总览</a></p></div></body></html>"""

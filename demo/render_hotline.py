"""The 12345 hotline's open data: JSON records (Chinese keys, Asia/Shanghai wall time), Open311 GeoReport v2
records (ISO 8601 with +08:00), and the daily export a hotline centre hands over (CSV with BOM, Excel).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from openpyxl import Workbook

from demo.model import HOTLINE_CLOSED, HotlineOrder, local_midnight
from demo.render_common import iso_local, wall
from demo.vocab import SERVICE_CODES

EXPORT_HEADERS = (
    "工单编号",
    "来电时间",
    "诉求类型",
    "诉求标题",
    "诉求内容",
    "所属区域",
    "承办单位",
    "状态",
    "办结时间",
    "答复内容",
    "更新时间",
)


def hotline_record(order: HotlineOrder) -> dict[str, Any]:
    cached = order.cached("json")
    if cached is not None:
        return cached
    return order.remember(
        "json",
        {
            "工单编号": order.public_id,
            "来电时间": wall(order.publish_at),
            "诉求类型": order.request_type,
            "诉求标题": order.title,
            "诉求内容": order.content,
            "所属区域": order.region,
            "承办单位": order.dept,
            "状态": order.status,
            "办结时间": wall(order.closed_at),
            "答复内容": order.reply,
            "更新时间": wall(order.updated_at),
        },
    )


def open311_record(order: HotlineOrder) -> dict[str, Any]:
    cached = order.cached("open311")
    if cached is not None:
        return cached
    closed = order.status == HOTLINE_CLOSED
    return order.remember(
        "open311",
        {
            "service_request_id": order.public_id,
            "status": "closed" if closed else "open",
            "status_notes": order.reply if closed else f"{order.status}：已转{order.dept}办理",
            "service_name": order.truth.topic,
            "service_code": order.service_code,
            "description": f"【{order.request_type}】{order.title}：{order.content}",
            "agency_responsible": order.dept,
            "service_notice": "",
            "requested_datetime": iso_local(order.publish_at),
            "updated_datetime": iso_local(order.updated_at),
            "expected_datetime": iso_local(order.expected_at),
            "address": order.address,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        },
    )


def open311_services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": code,
            "service_name": name,
            "description": f"12345热线{name}类诉求",
            "metadata": False,
            "type": "realtime",
            "keywords": name,
            "group": "12345政务服务便民热线",
        }
        for name, code in SERVICE_CODES.items()
    ]


def _export_row(order: HotlineOrder) -> list[str]:
    record = hotline_record(order)
    return ["" if record[h] is None else str(record[h]) for h in EXPORT_HEADERS]


def export_csv(orders: Sequence[HotlineOrder]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for order in orders:
        writer.writerow(_export_row(order))
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(orders: Sequence[HotlineOrder], day: date) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "工单明细"
    sheet.append(list(EXPORT_HEADERS))
    for order in orders:
        sheet.append(_export_row(order))
    # a fixed document date keeps the bytes identical for the same data
    props = workbook.properties
    props.creator = "云江市12345政务服务便民热线"
    props.title = f"12345工单日报 {day.isoformat()}"
    created = local_midnight(day).astimezone(UTC).replace(tzinfo=None)
    latest = max((o.updated_at for o in orders if o.updated_at is not None), default=None)
    props.created = created
    props.modified = latest.astimezone(UTC).replace(tzinfo=None, microsecond=0) if latest else created
    out = io.BytesIO()
    workbook.save(out)
    return _fixed_zip_times(out.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """openpyxl stamps each zip member with the wall clock; rewrite them so equal data gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()

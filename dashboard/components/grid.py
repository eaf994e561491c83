"""dash-ag-grid tables with the house defaults: Chinese locale, sortable/resizable columns, rows keyed by id.
Cells show values as text (no HTML renderers for crawled text)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

# The Theming API (AG Grid 33+): Quartz with larger type for wall screens.
THEME = (
    "themeQuartz.withParams({fontSize: 15, headerFontSize: 15, rowHeight: 38, headerHeight: 40, "
    "fontFamily: ['Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'sans-serif'], "
    "headerBackgroundColor: '#eef2f7', accentColor: '#1f5fbf'})"
)

LOCALE_TEXT = {
    "noRowsToShow": "暂无数据",
    "loadingOoo": "加载中…",
    "page": "页",
    "of": "共",
    "to": "至",
    "more": "更多",
    "next": "下一页",
    "last": "末页",
    "first": "首页",
    "previous": "上一页",
    "pageSizeSelectorLabel": "每页条数：",
    "filterOoo": "筛选…",
    "contains": "包含",
    "notContains": "不包含",
    "equals": "等于",
    "notEqual": "不等于",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "andCondition": "且",
    "orCondition": "或",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "searchOoo": "搜索…",
    "selectAll": "全选",
    "ariaRowSelect": "选择行",
}


def grid(
    grid_id: str,
    column_defs: list[dict[str, Any]],
    *,
    row_data: list[dict[str, Any]] | None = None,
    height: str = "420px",
    pagination: bool = False,
    page_size: int = 50,
    row_id: str = "params.data.id + ''",  # dash-ag-grid's safe parser has no String()
    extra_options: dict[str, Any] | None = None,
    row_class_rules: dict[str, str] | None = None,
) -> dag.AgGrid:
    options: dict[str, Any] = {
        "localeText": LOCALE_TEXT,
        "animateRows": False,
        "suppressCellFocus": False,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
        "tooltipShowDelay": 300,
        "theme": {"function": THEME},
    }
    if pagination:
        options.update(pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False)
    options.update(extra_options or {})
    # Wide text columns keep a readable minimum; narrow panels scroll sideways rather than cut every cell.
    column_defs = [{**c, "minWidth": c.get("minWidth", 180 if "flex" in c else 100)} for c in column_defs]
    kwargs: dict[str, Any] = {}
    if row_class_rules:
        kwargs["rowClassRules"] = row_class_rules
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs,
        rowData=row_data or [],
        defaultColDef={"sortable": True, "resizable": True, "filter": False},
        dashGridOptions=options,
        getRowId=row_id,
        columnSize="responsiveSizeToFit",
        style={"height": height, "width": "100%"},
        className="yq-grid",
        **kwargs,
    )

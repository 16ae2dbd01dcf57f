"""The import page's column-mapping step: each column of the file, a few of its values, the field proposed
for it (changeable, or “不导入”), why it was proposed, and a name to save the confirmed mapping under."""

from __future__ import annotations

from dash import dcc, html

from etl.ledger_mapping import METHODS, SKIP, Proposal
from etl.ledger_rules import FIELDS
from geo.models import ImportKind


def mapping_panel(kind: ImportKind | str, proposals: list[Proposal], name: str, note: str = "") -> html.Div:
    """The step as a form: one dropdown per column (``{"type": "imp-map", "index": position}``)."""
    kind = ImportKind(kind)
    options = [{"label": f"（{SKIP}）", "value": ""}] + [
        {"label": spec.label + ("（必填）" if spec.required else ""), "value": spec.name} for spec in FIELDS[kind].values()]
    rows = [html.Tr([
        html.Td(p.header, className="map-header"),
        html.Td("、".join(p.samples) or "（空）", className="hint map-samples"),
        html.Td(dcc.Dropdown(id={"type": "imp-map", "index": p.position}, options=options, value=p.field or "",
                             clearable=False, searchable=True, className="map-choice")),
        html.Td(f"{METHODS[p.method]}（{p.score:.0%}）" if p.method else "未找到对应字段", className="hint"),
    ]) for p in proposals if p.header.strip()]
    return html.Div([
        html.H3("列对应：请确认每一列对应的台账字段"),
        html.P(note or "文件的部分列名与导入模板不同。下表按列名和取值给出了建议：请逐列核对，改正不对的，"
                       f"不需要的列选“{SKIP}”。保存后，表头相同的文件再次导入时会自动使用这套列对应。",
               className="hint"),
        html.Table([html.Thead(html.Tr([html.Th(t) for t in ("文件中的列", "样例", "对应字段", "依据")])),
                    html.Tbody(rows)], className="table mapping-table", id="imp-mapping-table"),
        html.Div([
            html.Label("列对应名称", htmlFor="imp-map-name"),
            dcc.Input(id="imp-map-name", type="text", value=name, maxLength=60, className="text-input"),
            html.Button("保存列对应并检查", id="imp-map-apply", n_clicks=0, className="button"),
        ], className="import-actions"),
        html.Div(id="imp-map-error", role="alert"),
    ], id="imp-mapping", className="mapping-step")

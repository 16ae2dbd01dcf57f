"""Revealing one personal field of one record (查看个人信息), as every page shows it: the value or the reason."""

from __future__ import annotations

from dash import html

from dashboard.database import write_session
from geo import access
from geo.errors import FengqiaoError
from geo.reveal import reveal


def failure(exc: FengqiaoError) -> html.Span:
    """A refusal or an invalid request, as a sentence."""
    return html.Span(str(exc), className="error")


def revealed(kind: str, record_id, field: str, label: str, subject: str) -> list | html.Span:
    """Reveal ``field`` of record ``kind/record_id`` to the signed-in user; what to show of it.

    Success reads "{subject} 的{label}：<value>（本次查看已记录）", ``subject`` naming the record by its number
    ("住户 123"); a refusal is its reason. ``record_id`` and ``field`` may come straight from a request:
    ``geo.reveal`` checks the role, the area and the field, and logs the reveal or the refusal in this
    function's own transaction, which commits either way.
    """
    with write_session() as session:
        try:
            value = reveal(session, access.current(), kind, record_id, field)
        except FengqiaoError as exc:
            return failure(exc)
    return [f"{subject} 的{label}：", html.Strong(value or "（空）"), html.Span("（本次查看已记录）", className="hint")]

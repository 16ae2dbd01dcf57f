"""The audit log: one row for every write, every reveal of personal data, every sign-in and every refusal."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.kpis import LOCAL_TIMEZONE
from geo.models import AuditLog

LOCAL = ZoneInfo(LOCAL_TIMEZONE)
"""Days in the filters are days in China."""

ACTION_LABELS = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "sign_in_refused": "拒绝登录", "sign_out": "退出",
    "user_add": "新增用户", "user_disable": "停用用户", "refused": "越权请求被拒绝",
    "reveal": "查看个人信息", "link": "联户：建立", "unlink": "联户：解除", "move": "联户：调整",
    "accept_suggestion": "联户：采纳建议", "undo": "联户：撤销", "set_link_cap": "设置联户上限",
    "declare_sensitive_period": "发布敏感时期", "enter_screening_report": "录入排查报告",
    "acknowledge_signal": "确认预警", "import": "导入文件", "catalogue": "导入评价指标",
}
"""Action code → what the audit page calls it."""


INSERT = text("INSERT INTO audit_log (username, action, target, detail)"
              " VALUES (:username, :action, :target, CAST(:detail AS jsonb))")


def record(session: Session, username: str, action: str, target: str | None, detail: dict | None) -> None:
    """Add one entry; it is written with the caller's transaction (a rolled-back write leaves no entry).

    A plain INSERT without RETURNING: only administrators may read the log back (row-level security), and
    PostgreSQL checks the read policy on returned rows.
    """
    session.execute(INSERT, {"username": username or "", "action": action, "target": target,
                             "detail": None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)})


def entries(session: Session, *, username: str | None = None, action: str | None = None,
            since: date | None = None, until: date | None = None, limit: int = 500) -> pd.DataFrame:
    """The newest entries first, filtered by user (exact), action and day range (inclusive, China time)."""
    query = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.target, AuditLog.detail)
    if username:
        query = query.where(AuditLog.username == username)
    if action:
        query = query.where(AuditLog.action == action)
    if since:
        query = query.where(AuditLog.at >= datetime.combine(since, time(), LOCAL))
    if until:
        query = query.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time(), LOCAL))
    rows = session.execute(query.order_by(AuditLog.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["at", "username", "action", "target", "detail"])

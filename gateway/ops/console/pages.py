"""Rendering for the console: one Jinja2 environment (autoescaped), template helpers, and the
security headers every console response carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

__all__ = ["SECURITY_HEADERS", "Pages"]

#: Only our own script and stylesheet, no framing, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin (not no-referrer): browsers then send a real Origin on form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(value: str | datetime | None) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("T", " ")[:19]


class Pages:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("gateway.ops.console", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["when"] = _when

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self._env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

"""``tradewatch web``: a small server-rendered review site (Starlette + Jinja2)."""

from tradewatch.web.app import create_app, is_loopback

__all__ = ["create_app", "is_loopback"]

"""Fetching: HTTP with conditional requests, size caps and typed errors (httpx)."""

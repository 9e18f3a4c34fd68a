"""Digest rendering (Markdown, HTML, text) and delivery through Apprise.

`notify.content` holds the values, `notify.render` the templates, `notify.channels` delivery.
"""

"""Turning tables into reader-facing prose and HTML: every corpus string is escaped on the way."""
from __future__ import annotations

import html
import re

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def esc(value: object) -> str:
    """Corpus text made inert for both HTML and Markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(str(value), quote=True))


def md(template: str, **values: object):
    """A Markdown display whose placeholders are filled with escaped values (numbers pass through)."""
    from IPython.display import Markdown

    safe = {k: (v if isinstance(v, (int, float)) else esc(v)) for k, v in values.items()}
    return Markdown(template.format(**safe))

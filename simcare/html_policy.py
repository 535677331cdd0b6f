"""The Content-Security-Policy of every HTML page simcare writes (issue 16).

A report is opened from disk or an e-mail attachment, so the page itself must say what the
browser may do with it: no script, no request to anywhere (fonts, frames, forms, links to load),
images only embedded as ``data:`` PNG, and style only from the page's own style sheet, allowed by
its sha256 hash (so a ``<style>`` that got in some other way would not apply either).
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["content_security_policy", "csp_meta"]


def content_security_policy(style_sheet: str) -> str:
    """The policy of a page whose one ``<style>`` element holds exactly ``style_sheet``."""
    digest = base64.b64encode(hashlib.sha256(style_sheet.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; img-src data:; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def csp_meta(style_sheet: str) -> str:
    """The policy as a ``<meta>`` tag for the page's ``<head>`` (before anything else in it but the
    charset). The policy holds no ``"``, ``<`` or ``&``: it needs no escaping."""
    return f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(style_sheet)}">'

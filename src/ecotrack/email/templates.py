"""Email templates: a subject, a plain-text body and a simple HTML body per template.

Context values are substituted with `string.Template` (`$name`); in the HTML body every value is
HTML-escaped first. A template names the context keys it needs; a missing key is an error, never
an empty hole in a sent message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template
from typing import Any


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    text: str
    html: str
    required: frozenset[str]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class TemplateError(ValueError):
    pass


_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$subject</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em; margin: auto;">
$content
<p style="color: #666; font-size: 0.9em;">EcoTrack</p>
</body></html>
"""

TEMPLATES: dict[str, EmailTemplate] = {
    "verify_email": EmailTemplate(
        subject="Confirm your EcoTrack email address",
        text=(
            "Hello,\n\nconfirm your email address for EcoTrack by opening this link:\n\n$url\n\n"
            "The link works for $ttl_hours hours. If you did not create an account, ignore this "
            "message.\n"
        ),
        html=(
            "<p>Hello,</p><p>confirm your email address for EcoTrack:</p>"
            '<p><a href="$url">Confirm my address</a></p>'
            "<p>The link works for $ttl_hours hours. If you did not create an account, ignore "
            "this message.</p>"
        ),
        required=frozenset({"url", "ttl_hours"}),
    ),
    "password_reset": EmailTemplate(
        subject="Reset your EcoTrack password",
        text=(
            "Hello,\n\nsomeone (hopefully you) asked to reset the password of your EcoTrack "
            "account. Choose a new password here:\n\n$url\n\nThe link works for $ttl_minutes "
            "minutes and only once. If you did not ask, ignore this message: your password "
            "stays as it is.\n"
        ),
        html=(
            "<p>Hello,</p><p>someone (hopefully you) asked to reset the password of your "
            'EcoTrack account.</p><p><a href="$url">Choose a new password</a></p>'
            "<p>The link works for $ttl_minutes minutes and only once. If you did not ask, "
            "ignore this message: your password stays as it is.</p>"
        ),
        required=frozenset({"url", "ttl_minutes"}),
    ),
    "existing_account": EmailTemplate(
        subject="You already have an EcoTrack account",
        text=(
            "Hello,\n\nsomeone tried to create an EcoTrack account with this email address, "
            "which already has one. If it was you, log in, or reset your password here:\n\n"
            "$reset_url\n\n$extra\nIf it was not you, ignore this message.\n"
        ),
        html=(
            "<p>Hello,</p><p>someone tried to create an EcoTrack account with this email "
            "address, which already has one. If it was you, log in, or "
            '<a href="$reset_url">reset your password</a>.</p><p>$extra</p>'
            "<p>If it was not you, ignore this message.</p>"
        ),
        required=frozenset({"reset_url", "extra"}),
    ),
    "data_export_ready": EmailTemplate(
        subject="Your EcoTrack data export is ready",
        text=(
            "Hello,\n\nthe export of your EcoTrack data is ready. Download it here:\n\n$url\n\n"
            "The link works until $expires_at (UTC). If you did not ask for it, change your "
            "password.\n"
        ),
        html=(
            "<p>Hello,</p><p>the export of your EcoTrack data is ready.</p>"
            '<p><a href="$url">Download my data</a></p><p>The link works until $expires_at '
            "(UTC). If you did not ask for it, change your password.</p>"
        ),
        required=frozenset({"url", "expires_at"}),
    ),
    "notice": EmailTemplate(
        subject="$title",
        text="Hello,\n\n$message\n",
        html="<p>Hello,</p><p>$message</p>",
        required=frozenset({"title", "message"}),
    ),
}


def _stringify(context: dict[str, Any]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in context.items()}


def render(name: str, context: dict[str, Any]) -> Rendered:
    template = TEMPLATES.get(name)
    if template is None:
        raise TemplateError(f"unknown email template {name!r}")
    missing = template.required - set(context)
    if missing:
        raise TemplateError(f"template {name!r} needs {sorted(missing)}")
    values = _stringify(context)
    subject = Template(template.subject).substitute(values).replace("\n", " ").strip()[:300]
    text = Template(template.text).substitute(values)
    escaped = {key: html.escape(value) for key, value in values.items()}
    content = Template(template.html).substitute(escaped)
    body_html = Template(_LAYOUT).substitute(subject=html.escape(subject), content=content)
    return Rendered(subject=subject, text=text, html=body_html)

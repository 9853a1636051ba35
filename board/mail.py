"""Email: building one message and sending it over SMTP, or writing it to instance/outbox/ when SMTP_URL is unset.

Nothing else in Board knows SMTP. Callers (the outbox's handlers, board/outbox/, never a web request) pass plain
text and HTML; this module adds the envelope headers. SMTP_URL forms: `smtps://user:pass@host:465` (implicit TLS),
`smtp://user:pass@host:587` (STARTTLS, required), `smtp://127.0.0.1:1025` (plain, only to a loopback address: nothing crosses a network).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

# Per socket operation; a stalled server fails the job (which the queue retries) instead of holding a worker.
SMTP_TIMEOUT_SECONDS = 30

# A display name is cut to this many characters: past Board's own limit (80), and short enough that quoting and
# escaping every character still fits one line with any address (a name in other than ASCII is encoded instead).
MAX_DISPLAY_NAME = 200
_MAX_URL = 900  # an unsubscribe URL, within one header line
_LONGEST_LINE = 998  # RFC 5322's limit (78 is its advice)


class _MailPolicy(EmailPolicy):
    """policy.SMTP, except that the address and unsubscribe headers are written on one line, never folded.

    Python's folding is where they go wrong: folding a long display name can drop its quotes (so "x…, <m@evil>"
    becomes a second recipient), and a long List-Unsubscribe URL comes out as an encoded-word, which no mail client
    reads as a URL (RFC 8058). A name that is not ASCII then stays one encoded-word, longer than RFC 2047's 75
    characters if it must: mail clients read those, while split ones come back from Python's parser with spaces.
    Other headers (Subject) fold as usual, and bodies are encoded with 78-character lines (RFC 2045)."""

    def fold(self, name, value):
        return super(_MailPolicy, self._for(name)).fold(name, value)

    def fold_binary(self, name, value):
        return super(_MailPolicy, self._for(name)).fold_binary(name, value)

    def _for(self, name: str) -> EmailPolicy:
        return self.clone(max_line_length=_LONGEST_LINE) if name.lower() in _UNFOLDED else self


_UNFOLDED = frozenset(("from", "to", "list-unsubscribe", "list-unsubscribe-post"))
_POLICY = _MailPolicy(linesep="\r\n")  # policy.SMTP's one difference from the default

# Headers this module builds itself, and those that would add recipients; extra headers may not set them.
_OWN_HEADERS = frozenset(
    name.lower()
    for name in (
        "Cc",
        "Bcc",
        "Sender",
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    )
)
_FIELD_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field name: printable ASCII except the colon
# Every character Python's email package (or a mail client) may treat as a line break, and the other controls.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class MailError(Exception):
    """A message that cannot be built (a malformed address or URL) or a mail setting that cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect, parsed from SMTP_URL."""

    host: str
    port: int
    security: str  # "tls" (implicit), "starttls" or "plain"
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    """Read SMTP_URL: smtps:// is implicit TLS; smtp:// is STARTTLS, or plain when the host is a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465.")
    try:
        port = parts.port
    except ValueError as error:
        raise MailError(f"SMTP_URL has a bad port: {error}") from error
    if parts.scheme == "smtps":
        security, default_port = "tls", 465
    elif _is_loopback(parts.hostname):
        security, default_port = "plain", 25
    else:
        security, default_port = "starttls", 587
    return SmtpSettings(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_delivery() -> str:
    """Say where mail goes with the current settings (for the demo and the worker), without the password."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        return f"written as .eml files to {outbox_dir()} (SMTP_URL is not set; nothing is sent)"
    settings = parse_smtp_url(url)
    return f"sent through {settings.host}:{settings.port} ({settings.security})"


def outbox_dir() -> Path:
    """The folder messages are written to when SMTP_URL is unset."""
    return Path(current_app.instance_path) / "outbox"


def new_message_id() -> str:
    """A fresh Message-ID in the sender's domain (not the machine's name: make_msgid() would look up its FQDN)."""
    return make_msgid(domain=_address(current_app.config["MAIL_FROM"]).domain or "localhost")


def build_message(
    to: str | tuple[str, str],
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Build a multipart/alternative message (plain text, then HTML) with Message-ID (`message_id`, else a new one),
    Date and List-Unsubscribe."""
    sender = _address(current_app.config["MAIL_FROM"])
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = _address(to)
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = _one_line(message_id) if message_id else new_message_id()
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{_web_url(unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: one POST, no page to click
    for name, value in (headers or {}).items():
        if not _FIELD_NAME.fullmatch(name) or name.lower() in _OWN_HEADERS:
            raise MailError(f"Cannot set the header {name!r}.")
        message[name] = _one_line(value)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_message(
    to: str | tuple[str, str],
    subject: str,
    text: str,
    html: str,
    *,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> str:
    """Build one message and send it over SMTP_URL, or write it to instance/outbox/; return its Message-ID."""
    message = build_message(
        to, subject, text, html, unsubscribe_url=unsubscribe_url, headers=headers, message_id=message_id
    )
    url = current_app.config.get("SMTP_URL")
    if url:
        _send_smtp(parse_smtp_url(url), message)
    else:
        _write_outbox(message)
    return message["Message-ID"]


def _send_smtp(settings: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if settings.security == "tls":
        connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    with connection as smtp:
        if settings.security == "starttls":
            # Raises SMTPNotSupportedError when the server does not offer STARTTLS: never fall back to plain text.
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        # The envelope names exactly the one recipient, whatever the headers say.
        smtp.send_message(message, from_addr=_addr_spec(message, "From"), to_addrs=[_addr_spec(message, "To")])


def _write_outbox(message: EmailMessage) -> Path:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{secrets.token_hex(4)}.eml"
    # Written under a temporary name and renamed, so whoever reads the folder never sees half a message.
    partial = path.with_suffix(".part")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)
    return path


def _addr_spec(message: EmailMessage, header: str) -> str:
    return message[header].addresses[0].addr_spec


def _one_line(value: str) -> str:
    """A header value with every line break and control character turned into a space, so it cannot split."""
    return _LINE_BREAKS.sub(" ", value).strip()


def _address(value: str | tuple[str, str]) -> Address:
    """An Address from "Name <a@b>", "a@b" or (name, address); the name may hold anything, the address may not."""
    if isinstance(value, tuple):
        name, addr_spec = value
    elif _LINE_BREAKS.search(value):
        raise MailError(f"Not an email address: {value!r}.")  # parseaddr() would quietly keep the first line
    else:
        name, addr_spec = parseaddr(value)
    if not addr_spec or _LINE_BREAKS.search(addr_spec) or addr_spec.count("@") != 1:
        raise MailError(f"Not an email address: {addr_spec!r}.")
    username, domain = addr_spec.split("@")
    name = _one_line(name)
    if len(name) > MAX_DISPLAY_NAME:
        name = name[: MAX_DISPLAY_NAME - 1] + "…"
    try:
        # Address quotes and escapes the name (or encodes it, when it is not ASCII): no character in it is syntax.
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError) as error:
        raise MailError(f"Not an email address: {addr_spec!r}.") from error


def _web_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"[\s<>]", url) or len(url) > _MAX_URL:
        raise MailError(f"Not an unsubscribe URL: {url!r}.")
    return url

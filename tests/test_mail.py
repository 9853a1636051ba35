"""Email (board/mail.py): messages sent to a real SMTP server on loopback, and written to the outbox without one."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from board import mail

UNSUBSCRIBE = "https://board.example.edu/unsubscribe/abc123"


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    url, received = smtp_server
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Board <noreply@board.example.edu>")
    return received


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "outbox"


def test_message_arrives_over_smtp_with_both_parts_and_one_click_unsubscribe(smtp):
    message_id = mail.send_message(
        ("Ada Lovelace", "ada@example.edu"),
        "New reply to “Gulag memoirs”",
        "Boris replied: see https://board.example.edu/c/hist/p/1#comment-7",
        '<p>Boris replied: <a href="https://board.example.edu/c/hist/p/1#comment-7">read it</a></p>',
        unsubscribe_url=UNSUBSCRIBE,
        headers={"X-Board-Kind": "reply"},
    )

    [(sender, recipients, message)] = smtp.messages
    assert sender == "noreply@board.example.edu" and recipients == ["ada@example.edu"]
    assert message["From"] == "Board <noreply@board.example.edu>"
    assert message["To"] == "Ada Lovelace <ada@example.edu>"
    assert message["Subject"] == "New reply to “Gulag memoirs”"
    assert message["Message-ID"] == message_id and re.fullmatch(r"<[^<>@\s]+@board\.example\.edu>", message_id)
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Board-Kind"] == "reply"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain" and "#comment-7" in text.get_content()
    assert html.get_content_type() == "text/html" and '<a href="https://board.example.edu/c/hist/p/1#comment-7">' in (
        html.get_content()
    )


def test_message_without_unsubscribe_url_has_no_list_unsubscribe_headers(smtp):
    mail.send_message("bo@example.edu", "Hello", "text", "<p>html</p>")
    [(_, _, message)] = smtp.messages
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert message["To"] == "bo@example.edu"


@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\r", "\u2028", "\x85"])
def test_line_breaks_in_subject_names_and_extra_headers_never_split_headers(smtp, line_break):
    mail.send_message(
        (f"Eve{line_break}Bcc: victim@example.org", "eve@example.edu"),
        f"Hi{line_break}Bcc: victim@example.org{line_break}{line_break}<b>forged body</b>",
        "text",
        "<p>html</p>",
        headers={"X-Board-Kind": f"reply{line_break}X-Injected: yes"},
    )
    [(_, recipients, message)] = smtp.messages
    assert recipients == ["eve@example.edu"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"] == "Hi Bcc: victim@example.org <b>forged body</b>"
    assert message["X-Board-Kind"] == "reply X-Injected: yes"
    assert "forged body" not in message.get_body(("plain",)).get_content()


# Display names a person could choose: each must stay one name of one recipient, however the header is folded.
_NAMES = {
    "angle brackets": "Mallory <mallory@attacker.example>",
    "comma": "Lovelace, Ada",
    "comma and address": "Ada, mallory@attacker.example",
    "quotes": 'Ada "The Countess" Lovelace',
    "backslash and quote": 'Ada\\" <mallory@attacker.example>, "',
    "200 characters": ("x" * 120 + " <mallory@attacker.example>, " + "y" * 100)[:200],
    "200 with quotes": ('Ada "L", <mallory@attacker.example> ' * 10)[:200],
    "200 with a quote early": ("x" * 70 + ' "' + "y" * 20 + ",mallory@attacker.example " + "z" * 100)[:200],
    "200 not ascii": ("Ünïcode, <mallory@attacker.example> " + "é" * 200)[:200],
}


def _unfolded(raw: bytes, name: str) -> str:
    """A header's value exactly as sent, its folding undone and nothing decoded (what a mail client first sees)."""
    return BytesParser(policy=policy.compat32).parsebytes(raw)[name].replace("\r\n", "").replace("\n", "")


@pytest.mark.parametrize("name", _NAMES.values(), ids=_NAMES.keys())
def test_a_display_name_is_one_recipient_with_that_name_whatever_it_holds(smtp, name):
    mail.send_message((name, "ada@example.edu"), "Hello", "text", "<p>html</p>")

    [(_, recipients, message)] = smtp.messages
    assert recipients == ["ada@example.edu"]
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "ada@example.edu")
    # A simpler reader of the raw header (reply-all in a mail client) finds the one address too.
    [(_, address)] = getaddresses([_unfolded(smtp.raw[0], "To")])
    assert address == "ada@example.edu"


def test_a_display_name_past_200_characters_is_cut_and_stays_one_recipient(smtp):
    name = ('Ada "L", <mallory@attacker.example> ' * 40)[:1000]
    mail.send_message((name, "ada@example.edu"), "Hello", "text", "<p>html</p>")
    [(_, _, message)] = smtp.messages
    [to] = message["To"].addresses
    assert to.addr_spec == "ada@example.edu"
    assert to.display_name == name[:199] + "…"


@pytest.mark.parametrize("length", [40, 120, 600])
def test_list_unsubscribe_is_sent_as_a_plain_url_however_long(smtp, length):
    # RFC 2369 and 8058: the header is "<URL>"; an encoded-word there (what folding a long URL made) is not a URL.
    url = "https://board.example.edu/unsubscribe/" + "A" * length
    mail.send_message(("Ada", "ada@example.edu"), "Hello", "text", "<p>html</p>", unsubscribe_url=url)

    [(_, _, message)] = smtp.messages
    assert _unfolded(smtp.raw[0], "List-Unsubscribe") == f"<{url}>"
    assert _unfolded(smtp.raw[0], "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "call",
    [
        {"to": "eve@example.edu\r\nBcc: victim@example.org"},
        {"to": "not an address"},
        {"unsubscribe_url": "https://board.example.edu/u>\r\nBcc: victim@example.org"},
        {"unsubscribe_url": "javascript:alert(1)"},
        {"unsubscribe_url": "https://board.example.edu/unsubscribe/" + "A" * 1000},  # past one header line
        {"headers": {"Bcc": "victim@example.org"}},
        {"headers": {"X-Bad\r\nBcc": "victim@example.org"}},
    ],
)
def test_malformed_addresses_urls_and_header_names_are_refused_and_nothing_is_sent(smtp, call):
    arguments = {"to": "bo@example.edu", "unsubscribe_url": None, "headers": None, **call}
    with pytest.raises(mail.MailError):
        mail.send_message(
            arguments["to"],
            "Hello",
            "text",
            "<p>html</p>",
            unsubscribe_url=arguments["unsubscribe_url"],
            headers=arguments["headers"],
        )
    assert smtp.messages == []


def test_without_smtp_url_the_message_is_written_to_the_outbox_as_a_parseable_eml(app, outbox):
    assert app.config["SMTP_URL"] is None
    message_id = mail.send_message(
        ("Ada", "ada@example.edu"), "Digest", "plain words", "<p>html words</p>", unsubscribe_url=UNSUBSCRIBE
    )

    [path] = outbox.iterdir()
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{8}\.eml", path.name)
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["Message-ID"] == message_id and message["To"] == "Ada <ada@example.edu>"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message.get_body(("plain",)).get_content().strip() == "plain words"
    assert message.get_body(("html",)).get_content().strip() == "<p>html words</p>"
    assert str(outbox) in mail.describe_delivery()


def test_unreachable_smtp_server_raises_so_the_job_is_retried(app, monkeypatch, outbox):
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(OSError):
        mail.send_message("bo@example.edu", "Hello", "text", "<p>html</p>")
    assert not outbox.exists()  # a configured server is never silently replaced by the outbox


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", mail.SmtpSettings("127.0.0.1", 1025, "plain", None, None)),
        ("smtp://localhost", mail.SmtpSettings("localhost", 25, "plain", None, None)),
        ("smtp://[::1]:2525", mail.SmtpSettings("::1", 2525, "plain", None, None)),
        (
            "smtp://user:p%40ss@mail.example.edu:587",
            mail.SmtpSettings("mail.example.edu", 587, "starttls", "user", "p@ss"),
        ),
        ("smtp://mail.example.edu", mail.SmtpSettings("mail.example.edu", 587, "starttls", None, None)),
        ("smtps://u:pw@mail.example.edu", mail.SmtpSettings("mail.example.edu", 465, "tls", "u", "pw")),
    ],
)
def test_smtp_url_chooses_tls_and_plain_text_only_to_loopback(url, expected):
    assert mail.parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.edu", "smtp://", "smtp://mail.example.edu:notaport"])
def test_unusable_smtp_url_is_refused(url):
    with pytest.raises(mail.MailError):
        mail.parse_smtp_url(url)


def test_description_of_smtp_delivery_never_shows_the_password(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "smtps://user:secret-pw@mail.example.edu")
    assert mail.describe_delivery() == "sent through mail.example.edu:465 (tls)"

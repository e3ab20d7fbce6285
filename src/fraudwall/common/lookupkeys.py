"""The one written form of what a risk check looks up: phone numbers, accounts, hosts,
links, apps and devices.

A citizen types ``+86 138-0000-0001`` or ``13800000001``, a bank ``6222 0200 1234``, a
link as it appeared in an SMS. Each is brought to one form (E.164 for numbers, the
lower-case host for links) both when an event is stored (`eventlog.event_row` fills the
events' lookup columns with these) and when a risk check asks, so the two meet in one
index. A value that cannot be brought to its form is refused naming it.

Shared ground (`common`): the service (its events' lookup columns, the risk check) and
the risk lists (`intel.risklists`) must write a value alike, or a listed value is never
found.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from fraudwall.errors import InputError

_E164: Final = re.compile(r"^\+[1-9][0-9]{4,14}$")
_NUMBER_SEPARATORS: Final = re.compile(r"[\s\-().·/]")
_HOST_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_APP_ID: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
CHINA: Final = "86"


def phone_number(raw: str, where: str = "value") -> str:
    """A phone number in E.164 (``+8613800000001``). Numbers without a country code are
    read as Chinese: an 11-digit mobile number, a landline with its trunk ``0``, a service
    number (95588, 96110); ``00`` is the international prefix."""
    text = _NUMBER_SEPARATORS.sub("", raw.strip()).replace("＋", "+")
    if text.startswith("+"):
        number = text
    elif text.startswith("00"):
        number = "+" + text[2:]
    elif not text.isascii() or not text.isdigit():
        number = text  # refused below
    elif len(text) == 11 and text.startswith("1"):
        number = f"+{CHINA}{text}"
    elif len(text) == 13 and text.startswith(CHINA + "1"):
        number = "+" + text
    elif text.startswith("0"):
        number = f"+{CHINA}{text[1:]}"
    else:
        number = f"+{CHINA}{text}"
    if not _E164.match(number):
        raise InputError(
            where,
            f"{raw!r} is not a phone number",
            hint="e.g. 13800000001, +86 138-0000-0001 or +8613800000001",
        )
    return number


def account_id(raw: str, where: str = "value") -> str:
    """An account number as institutions write it, without the spaces and dashes people
    put between its groups of digits."""
    text = re.sub(r"[\s\-]", "", raw)
    if not 1 <= len(text) <= 128 or not text.isprintable() or "/" in text:
        raise InputError(where, f"{raw!r} is not an account number", hint="1-128 characters")
    return text


def host(raw: str, where: str = "value") -> str:
    """The host a link points to, lower-case, without scheme, port, path or a final dot
    (``https://Pay.Example.COM:8443/login`` → ``pay.example.com``); internationalised
    names in their ASCII (punycode) form."""
    text = raw.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        name = urlsplit(text).hostname or ""
    except ValueError:
        name = ""
    name = name.rstrip(".")
    if name and not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            name = ""
    name = name.lower()
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(p) for p in labels):
        raise InputError(
            where, f"{raw!r} is not a link or domain", hint="e.g. https://example.com/login"
        )
    return name


def app_id(raw: str, where: str = "value") -> str:
    """An app's package name (``com.example.app``), as app-install records carry it."""
    text = raw.strip()
    if len(text) > 128 or not _APP_ID.match(text):
        raise InputError(
            where, f"{raw!r} is not an app's package name", hint="e.g. com.example.app"
        )
    return text


_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def url(raw: str, where: str = "value") -> str:
    """A link in one form: scheme and host lower-case (the host as `host` writes it),
    the scheme's default port and the fragment left out, the path ``/`` when empty
    (``HTTPS://Pay.Example.COM:443/a?b=1#top`` → ``https://pay.example.com/a?b=1``). A
    link without a scheme is read as ``http://``."""
    text = raw.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(
            where, f"{raw!r} is not a link", hint="e.g. https://example.com/login"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(
            where, f"{raw!r} is not an http(s) link", hint="e.g. https://example.com/login"
        )
    name = host(text, where)
    netloc = name if port is None or _DEFAULT_PORTS[scheme] == port else f"{name}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{parts.path or '/'}{query}"


def device_id(raw: str, where: str = "value") -> str:
    """A device id as its institution wrote it (an IMEI, an app's device fingerprint),
    without the spaces around it."""
    text = raw.strip()
    if not 1 <= len(text) <= 128 or not text.isprintable() or any(c.isspace() for c in text):
        raise InputError(where, f"{raw!r} is not a device id", hint="1-128 characters, no spaces")
    return text


def stored_host(domain: str) -> str | None:
    """The lookup form of a stored URL visit's domain, or None when it has none (a
    record's domain is stored whole either way; only the lookup column is left empty)."""
    try:
        return host(domain)
    except InputError:
        return None


__all__ = ["account_id", "app_id", "device_id", "host", "phone_number", "stored_host", "url"]

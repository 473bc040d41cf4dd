"""The workbench's guards: where it may listen, which Host names it answers, access tokens and CSRF
values compared safely, and request fields parsed strictly (a bad field is a 400, never a 500)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from mapping_review.errors import MappingReviewError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class BadRequest(MappingReviewError):
    """A request field is missing or malformed (answered with HTTP 400)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without an access token."""
    if not is_loopback(host) and not token:
        msg = f"listening on {host} lets other machines in: give an access token with --token (or use 127.0.0.1)"
        raise MappingReviewError(msg)


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names the app answers: the address it is bound to (and this machine's names when that
    is a loopback address) and the names given with ``--allow-host``. Anything else - a page on
    another site that resolved its own name to this address (DNS rebinding) - is refused."""
    names = {host.strip("[]").lower(), *(h.lower() for h in extra)}
    if is_loopback(host):
        names.update(LOOPBACK_NAMES)
    return frozenset(names)


def host_name(header: str) -> str:
    """The name in a Host header, without the port (``[::1]:8765`` -> ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def same_secret(given: object, expected: str) -> bool:
    """Constant-time comparison that takes any text (or none) without raising."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def token_digest(token: str, secret_key: str) -> str:
    """What the session cookie keeps to say "this browser gave the token": never the token itself."""
    return hmac.new(secret_key.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def json_object(body: Any) -> dict[str, Any]:
    """A request's JSON body, which must be an object."""
    if not isinstance(body, dict):
        msg = "send a JSON object"
        raise BadRequest(msg)
    return body


def text_field(body: Mapping[str, Any], name: str, *, default: str | None = None, limit: int = 2000) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    return value


def int_field(body: Mapping[str, Any], name: str, *, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number")
    return value


def bool_field(body: Mapping[str, Any], name: str) -> bool:
    """A JSON true/false; the text ``"false"`` is refused, not taken for true."""
    value = body.get(name)
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false")
    return value

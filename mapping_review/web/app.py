"""The reviewer workbench: a Flask app over the project's own files.

Security: it listens on 127.0.0.1 unless told otherwise, and any other
address needs an access token; every form and API call carries a CSRF token
tied to the session; text from PDFs is only ever rendered escaped; nothing
but page images of the corpus's guides (by key and number) is served from
the project.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for

from mapping_review.errors import MappingReviewError
from mapping_review.project.layout import Project
from mapping_review.web import routes
from mapping_review.web.store import Store

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# page-image boxes are placed with inline styles; scripts come only from the app's own file
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without an access token."""
    if not is_loopback(host) and not token:
        msg = f"listening on {host} lets other machines in: give an access token with --token (or use 127.0.0.1)"
        raise MappingReviewError(msg)


def create_app(project: Project, *, token: str | None = None, secret_key: str | None = None) -> Flask:
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(SECRET_KEY=secret_key or secrets.token_hex(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    app.extensions["store"] = Store(project)
    app.extensions["token"] = token

    @app.before_request
    def guard() -> Any:
        if token:
            given = request.args.get("token") or request.headers.get("X-Access-Token") or session.get("token")
            if not given or not hmac.compare_digest(str(given), token):
                abort(403, "an access token is needed")
            session["token"] = token
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
            if not hmac.compare_digest(str(sent), session["csrf"]):
                abort(400, "missing or wrong CSRF token; reload the page")
        g.reviewer = session.get("reviewer")
        open_paths = ("static", "login", "logout")
        if g.reviewer is None and request.endpoint not in open_paths:
            return redirect(url_for("login", next=request.path))
        return None

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"csrf": session.get("csrf", ""), "reviewer": g.get("reviewer")}

    @app.errorhandler(MappingReviewError)
    def library_error(error: MappingReviewError) -> Any:
        return ({"error": str(error)}, 404) if request.path.startswith("/api/") else (str(error), 404)

    routes.register(app)
    return app

"""The reviewer workbench: a Flask app over the project's own files.

Security: it listens on 127.0.0.1 unless told otherwise, and any other
address needs an access token (the session keeps a keyed digest of it, never
the token); it answers only the Host names it was bound to (no DNS
rebinding); every form and API call carries a CSRF token tied to the
session; text from PDFs is only ever rendered escaped; nothing but page
images of the corpus's guides (by key and number) is served from the project.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for

from mapping_review.errors import ConfigError, MappingReviewError, RoleError
from mapping_review.project.layout import Project
from mapping_review.web import codefirst_routes, page_view, review_routes, routes
from mapping_review.web.security import (
    BadRequest,
    allowed_hosts,
    check_binding,
    host_name,
    same_secret,
    token_digest,
)

__all__ = ["check_binding", "create_app"]
from mapping_review.web.store import Store

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# page-image boxes are placed with inline styles; scripts come only from the app's own file
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"


def create_app(project: Project, *, token: str | None = None, secret_key: str | None = None,
               host: str = "127.0.0.1", allow_hosts: Sequence[str] = ()) -> Flask:
    """The workbench for ``project``; ``host`` is the address it listens on (with ``allow_hosts``, the
    only Host names it answers)."""
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(SECRET_KEY=secret_key or secrets.token_hex(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    app.extensions["store"] = Store(project)
    hosts = allowed_hosts(host, allow_hosts)
    proof = token_digest(token, app.config["SECRET_KEY"]) if token else ""

    @app.before_request
    def guard() -> Any:
        if host_name(request.host) not in hosts:
            abort(403, "this server does not answer that host name; add it with --allow-host")
        if token:
            given = request.args.get("token") or request.headers.get("X-Access-Token")
            if not (same_secret(given, token) or same_secret(session.get("auth"), proof)):
                abort(403, "an access token is needed")
            session["auth"] = proof
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
            if not same_secret(sent, session["csrf"]):
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
        if request.endpoint != "static":  # a reviewer's pages: never kept for the next one at this browser's Back
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"csrf": session.get("csrf", ""), "reviewer": g.get("reviewer")}

    @app.errorhandler(MappingReviewError)
    def library_error(error: MappingReviewError) -> Any:
        status = 400 if isinstance(error, (BadRequest, ConfigError)) else 403 if isinstance(error, RoleError) else 404
        return ({"error": str(error)}, status) if request.path.startswith("/api/") else (str(error), status)

    routes.register(app)
    app.add_url_rule("/guide/<key>", "guide_view", page_view.guide_view)
    app.add_url_rule("/page/<key>/<int:number>.png", "page_image", page_view.page_image)
    codefirst_routes.register(app)
    review_routes.register(app)
    return app

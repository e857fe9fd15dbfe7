"""Observability of the web process: a request id on every log line and answer, request latency,
`/healthz` (alive: admin/api), `/readyz` (database reachable, migrations at head) and `/metrics` (Prometheus).

`/metrics` answers clients in `metrics_allow_ips` (the scraper's address; "*" for any) and requests
carrying an administrator's bearer token; others get 404, as if it were not there.
"""

from __future__ import annotations

import re
import time
import uuid
from ipaddress import ip_address, ip_network

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.auth import bearer_token, client_address, utc_now
from workflow import credentials
from workflow.health import readiness
from workflow.metrics import REQUEST_SECONDS, DatabaseCollector
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContext:
    """Binds a request id (the caller's X-Request-ID if it is plain, else a new one) to every log line of the
    request, returns it in X-Request-ID, logs one line per request and times it for /metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope)
                REQUEST_SECONDS.labels(scope["method"], route, f"{status // 100}xx").observe(seconds)
                log.info(
                    "http.request", method=scope["method"], route=route, status=status, ms=round(seconds * 1000, 1)
                )


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/dossiers/{dossier_id}`): a bounded label, never the raw path."""
    app, path = scope.get("app"), scope.get("path", "")
    if app is None:
        return "unmatched"
    templates = getattr(app.state, "route_templates", None)
    if templates is None:
        paths = {c.path for c in iter_route_contexts(app.routes) if c.path}
        templates = app.state.route_templates = [(compile_path(p)[0], p) for p in sorted(paths)]
    return next((template for regex, template in templates if regex.match(path)), "unmatched")


def _allowed(address: str, allowed: str) -> bool:
    if allowed.strip() == "*":
        return True
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in ip_network(part.strip(), strict=False) for part in allowed.split(",") if part.strip())


def observe_routes(app: FastAPI, rt: Runtime) -> None:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(DatabaseCollector(rt.db))

    @app.get("/readyz", include_in_schema=False)
    def ready() -> JSONResponse:
        state = readiness(rt.db)
        answer, ok = state.as_dict(), state.ok
        if rt.replica is not None:  # lists and search read it: a server without it is not ready
            copy = readiness(rt.replica)
            answer["replica"] = "ok" if copy.ok else copy.problem or "unreachable"
            ok = ok and copy.ok
        return JSONResponse(answer, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not _allowed(client_address(request), rt.settings.metrics_allow_ips) and not _admin_token(request, rt):
            return PlainTextResponse("Not Found", status_code=404)
        body = generate_latest(REGISTRY) + generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


def _admin_token(request: Request, rt: Runtime) -> bool:
    token = bearer_token(request.headers.get("authorization"))
    username = credentials.token_user(rt.db, token, utc_now()) if token else None
    user = request.app.state.auth.users.get(username) if username else None
    return bool(user and user.is_admin)


__all__ = ["RequestContext", "observe_routes"]

"""/login and /logout: CSRF-protected forms, throttled password checks, server-side sessions.

The login form is bound to a short-lived random cookie (`rehab_login`) and carries a keyed digest of it,
so a page on another site cannot sign a victim in to an account of the attacker's choosing. Logout
needs the session's own form token and revokes the session in the database: a copied cookie stops working.
"""

from __future__ import annotations

import secrets

import structlog
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from admin.auth import COOKIE, DEVICE_COOKIE, Auth, Throttled, client_address, safe_next

log = structlog.get_logger(__name__)

LOGIN_COOKIE = "rehab_login"
WRONG = "Sai tên đăng nhập hoặc mật khẩu"
STALE = "Trang đăng nhập đã hết hạn hoặc không đến từ trang này; hãy đăng nhập lại."


def too_many(seconds: int) -> str:
    wait = f"{seconds} giây" if seconds < 120 else f"{(seconds + 59) // 60} phút"
    return f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {wait}."


def login_routes(app: FastAPI, templates: Jinja2Templates, auth: Auth) -> None:
    def form_page(
        request: Request, status: int = 200, *, next: str = "/", username: str = "", error: str = ""
    ) -> Response:
        """The login form, bound to a fresh `rehab_login` cookie by its hidden token."""
        nonce = secrets.token_urlsafe(24)
        token = auth.signer.keyed("login", nonce)
        context = {"next": safe_next(next), "csrf": token, "username": username, "error": error}
        response = templates.TemplateResponse(request, "login.html", context, status_code=status)
        secure = auth.secure_cookies or request.url.scheme == "https"
        response.set_cookie(
            LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict", secure=secure, path="/login"
        )
        return response

    @app.get("/login", response_model=None)
    def login_form(request: Request, next: str = "/") -> Response:
        if auth.user_of(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return form_page(request, next=next)

    @app.post("/login", response_model=None)
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        next: str = Form("/"),
        csrf: str = Form(""),
    ) -> Response:
        nonce = request.cookies.get(LOGIN_COOKIE)
        if not nonce or not csrf.isascii() or not secrets.compare_digest(auth.signer.keyed("login", nonce), csrf):
            return form_page(request, 403, next=next, username=username, error=STALE)
        try:
            user = auth.authenticate(
                username, password, client_address(request), device=request.cookies.get(DEVICE_COOKIE)
            )
        except Throttled as err:
            response = form_page(request, 429, next=next, username=username, error=too_many(err.seconds))
            response.headers["Retry-After"] = str(err.seconds)
            return response
        if user is None:
            return form_page(request, 401, next=next, username=username, error=WRONG)
        response = RedirectResponse(safe_next(next), status_code=303)
        secure = auth.secure_cookies or request.url.scheme == "https"
        cookie = auth.open_session(user)
        response.set_cookie(
            COOKIE, cookie, max_age=auth.signer.max_age, httponly=True, samesite="lax", secure=secure, path="/"
        )
        device = auth.device_cookie(user)
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=auth.devices.max_age,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/login",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        log.info("auth.login", user=user.username, role=user.role)
        return response

    @app.post("/logout", response_model=None)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie and auth.session_user(cookie) is not None:
            if not auth.signer.csrf_ok(cookie, csrf):
                return RedirectResponse("/", status_code=303)  # a cross-site post: the session stays
            auth.close_session(cookie)
            log.info("auth.logout")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


__all__ = ["LOGIN_COOKIE", "login_routes"]

"""Sign-in cookies carry ``Secure`` when asked (``dbtl serve`` asks unless on loopback)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from datastore import Datastore
from lab.cli.serve import cookies_secure
from lab.review.accounts import add_user
from lab.web import create_app
from tests.lab.test_cli import dbtl
from tests.web.conftest import PASSWORD

COOKIES = ("dbtl_login_csrf", "dbtl_session")


def _set_cookies(store: Datastore, secure: bool) -> dict[str, str]:
    """Sign in (over https when ``secure``); every Set-Cookie header by cookie name."""
    add_user(store, "ana", "chemist", PASSWORD)
    base = "https://testserver" if secure else "http://testserver"
    client = TestClient(create_app(store, "test", secure_cookies=secure), base_url=base)
    form = client.get("/login")
    headers = form.headers.get_list("set-cookie")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    signed_in = client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "csrf": token, "next": "/"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    headers += signed_in.headers.get_list("set-cookie")
    home = client.get("/")
    assert home.status_code == 200 and "ana" in home.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
    out = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    headers += out.headers.get_list("set-cookie")
    return {h.split("=", 1)[0] + (":deleted" if '=""' in h else ""): h for h in headers}


def test_secure_cookies_carry_the_flag(store: Datastore) -> None:
    cookies = _set_cookies(store, secure=True)
    assert set(cookies) == {*COOKIES, "dbtl_login_csrf:deleted", "dbtl_session:deleted"}
    for header in cookies.values():
        attributes = [a.strip().lower() for a in header.split(";")]
        assert "secure" in attributes and "httponly" in attributes, header
        assert "samesite=lax" in attributes, header


def test_without_secure_cookies_local_http_signs_in(store: Datastore) -> None:
    cookies = _set_cookies(store, secure=False)
    assert set(cookies) >= set(COOKIES)
    for header in cookies.values():
        attributes = [a.strip().lower() for a in header.split(";")]
        assert "secure" not in attributes and "httponly" in attributes, header


def test_the_default_is_secure_unless_on_loopback() -> None:
    assert not cookies_secure("127.0.0.1", None) and not cookies_secure("localhost", None)
    assert not cookies_secure("::1", None)
    assert cookies_secure("0.0.0.0", None) and cookies_secure("lab-pc.example.org", None)
    assert cookies_secure("127.0.0.1", True) and not cookies_secure("0.0.0.0", False)


@pytest.mark.parametrize(
    ("args", "secure"),
    [
        ((), False),
        (("--host", "0.0.0.0"), True),
        (("--host", "0.0.0.0", "--no-secure-cookies"), False),
        (("--secure-cookies",), True),
    ],
)
def test_serve_passes_the_choice_to_the_app(
    sqlite_url: str, monkeypatch, capsys, args: tuple[str, ...], secure: bool
) -> None:
    import uvicorn

    served: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    code, out = dbtl(monkeypatch, capsys, "serve", "--db", sqlite_url, *args)
    assert code == 0, out
    assert served[0].state.secure_cookies is secure
    assert ("sign-in cookies are Secure" in out) is secure

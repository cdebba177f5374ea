"""Sign-in end to end in Chromium, against a real OpenID Connect provider on localhost
(oidc-provider-mock: discovery, a login form, tokens, userinfo): each user sees their own clients
and pages, signs out, and another signs in; the audit log records every sign-in and download."""
from __future__ import annotations

import secrets
import shutil

import pytest

import access
import store
from tests import browser_support

pytestmark = pytest.mark.browser

USERS = {  # the provider's subject -> the e-mail claim it sends (mixed case: stored lower-cased)
    "amy": "Amy@Acme.example",          # a viewer through her domain's grant: Acme Corp
    "jane": "jane@rpo.example",         # csm of Acme Corp and Globex UK
    "boss": "boss@rpo.example",         # admin
    "stranger": "someone@else.example",  # signed in, no grant
}


@pytest.fixture(scope="module")
def signed_in_server(sample_db, tmp_path_factory):
    from oidc_provider_mock import User, run_server_in_thread
    folder = tmp_path_factory.mktemp("sign-in")
    db = folder / "sample.duckdb"
    shutil.copy(sample_db, db)
    with store.connection(db) as con:
        access.grant(con, "@acme.example", "viewer", ["Acme Corp"], by="test")
        access.grant(con, "jane@rpo.example", "csm", ["Acme Corp", "Globex UK"], by="test")
        access.grant(con, "boss@rpo.example", "admin", by="test")
    users = [User(sub=sub, claims={"email": email, "name": sub.capitalize()}) for sub, email in USERS.items()]
    with run_server_in_thread(user_claims=users) as provider:
        def auth(port):
            return (f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
                    f'cookie_secret = "{secrets.token_hex(16)}"\nclient_id = "dashboard"\nclient_secret = "s3cret"\n'
                    f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n')
        with browser_support.Server(db, folder, secrets=auth, env={"AUTHLIB_INSECURE_TRANSPORT": "1"}) as srv:
            yield srv, db


def _sign_in(page, server, sub: str) -> None:
    page.goto(server.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(server.url + "/**", timeout=30_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as").wait_for(timeout=60_000)


def _sign_out(page, server) -> None:
    """Sign out: Streamlit ends the session at the provider too (its end-session form), which
    sends the browser back to the dashboard, signed out."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=30_000)
    page.wait_for_url(server.url + "/**", timeout=30_000)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)


def _nav(page) -> list[str]:
    """The page names in the sidebar's navigation (app.py lists them all, no "View more")."""
    return [t.strip().splitlines()[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def _client_choices(page) -> list[str]:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    options = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return options


def test_each_user_signs_in_sees_only_their_clients_and_pages_and_signs_out(signed_in_server, browser):
    server, db = signed_in_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        _sign_in(page, server, "amy")
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert "amy@acme.example" in sidebar.inner_text()
        assert _client_choices(page) == ["Acme Corp"]
        nav = _nav(page)
        assert "Overview" in nav and "Portfolio" in nav and "Glossary" in nav
        assert not {"Upload", "Data", "Settings", "Access", "Audit log"} & set(nav)
        body = page.locator("body").inner_text()
        assert "Globex" not in body and "Northwind" not in body
        # A page her role may not open, by URL: it says so.
        page.goto(server.url + "/settings?client=Acme%20Corp")
        page.get_by_text("is not available to you").wait_for(timeout=60_000)
        # Another client by URL: the same message as a client that does not exist.
        page.goto(server.url + "/?client=Northwind%20Health")
        page.get_by_text("There is no client named").wait_for(timeout=60_000)
        assert "Northwind Health" in page.locator('[data-testid="stAlert"]').inner_text()  # only the name she typed
        _sign_out(page, server)

        _sign_in(page, server, "jane")
        assert _client_choices(page) == ["Acme Corp", "Globex UK"]
        nav = _nav(page)
        assert {"Upload", "Data", "Settings"} <= set(nav) and not {"Access", "Audit log"} & set(nav)
        # A download is recorded with who, what and which client.
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="CSV").first.click()
        assert download.value.suggested_filename.startswith("acme_corp-")
        _sign_out(page, server)

        _sign_in(page, server, "boss")
        assert _client_choices(page) == ["Acme Corp", "Globex UK", "Northwind Health"]
        assert {"Access", "Audit log"} <= set(_nav(page))
        _sign_out(page, server)

        _sign_in(page, server, "stranger")
        page.get_by_text("No access yet").first.wait_for(timeout=60_000)
        body = page.locator("body").inner_text()
        assert "someone@else.example" in body
        assert not any(c in body for c in ("Acme", "Globex", "Northwind"))
    finally:
        context.close()
    server.warn_deprecations()
    with store.connection(db, read_only=True) as con:
        signed_in = {u for (u,) in con.execute("SELECT \"user\" FROM audit WHERE action = 'sign-in'").fetchall()}
    assert signed_in == {e.lower() for e in USERS.values()}
    with store.connection(db, read_only=True) as con:
        downloads = con.execute("SELECT \"user\", client, detail->>'file' FROM audit "
                                "WHERE action = 'download'").fetchall()
    assert [(u, c) for u, c, _ in downloads] == [("jane@rpo.example", "Acme Corp")]
    assert downloads[0][2] == download.value.suggested_filename

"""Accounts, roles and client isolation: grants and the audit log on the command line, scopes,
the data layer that reads only the user's clients, and every page opened by every role for every
client (AppTest, signed in as `st.user`), from which nothing of another client may reach them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import access
import store
from access.__main__ import main as access_cli
from exports import deck
from metrics import Filters, Report, UnknownClient, requisitions

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-20"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-secret",
        "client_id": "dashboard", "client_secret": "s3cret",
        "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}
# Everything of a sample client that would give it away: its name and its requisition ids' prefix
# (Acme Corp's ids are plain numbers, so Acme is only ever the client in scope below).
MARKS = {"Globex UK": ("Globex", "GX-1"), "Northwind Health": ("Northwind", "NW-1")}
USERS = {
    "viewer@acme.example": ("viewer", ["Acme Corp"]),
    "csm@rpo.example": ("csm", ["Acme Corp", "Globex UK"]),
}


@pytest.fixture(scope="module")
def granted_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "granted.duckdb"
    shutil.copy(sample_db, path)
    with store.connection(path) as con:
        for who, (role, clients) in USERS.items():
            access.grant(con, who, role, clients, by="test")
    return path


def _cli(capsys, db, *args) -> tuple[int, str, str]:
    code = access_cli(["--db", str(db), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the command line --------------------------------------------------------------------------

def test_grant_list_revoke_on_the_command_line_with_people_and_domains(sample_db_copy, capsys):
    assert _cli(capsys, sample_db_copy, "grant", "Jane@RPO.example", "--role", "csm", "--client", "acme corp",
                "--client", "Globex UK")[:2] == (0, "jane@rpo.example: csm of Acme Corp, Globex UK\n")
    assert _cli(capsys, sample_db_copy, "grant", "@Acme.example", "--role", "viewer", "--client", "Acme Corp")[0] == 0
    assert _cli(capsys, sample_db_copy, "grant", "boss@rpo.example", "--role", "admin")[0] == 0
    code, out, _ = _cli(capsys, sample_db_copy, "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["@acme.example", "viewer"], ["boss@rpo.example", "admin"],
                                                         ["jane@rpo.example", "csm"]]
    assert "Acme Corp, Globex UK" in lines[3] and "every client" in lines[2]
    assert _cli(capsys, sample_db_copy, "revoke", "jane@rpo.example", "--client", "Globex UK")[1] == \
        "jane@rpo.example: now csm of Acme Corp\n"
    with store.connection(sample_db_copy, read_only=True) as con:
        assert access.scope_for(con, "jane@rpo.example").clients == ("Acme Corp",)
        assert access.scope_for(con, "Someone@acme.example").clients == ("Acme Corp",)   # the domain's grant
        assert access.scope_for(con, "boss@rpo.example").clients is None                 # every client
        assert access.scope_for(con, "x@other.example").role is None


def test_bad_grants_are_refused_with_a_reason_and_change_nothing(sample_db_copy, capsys):
    cases = [
        (("grant", "jane", "--role", "csm", "--client", "Acme Corp"), "neither an e-mail address"),
        (("grant", "jane@rpo.example", "--role", "csm", "--client", "Acme"), "unknown client(s): 'Acme'"),
        (("grant", "jane@rpo.example", "--role", "viewer"), "name the client(s)"),
        (("grant", "jane@rpo.example", "--role", "admin", "--client", "Acme Corp"), "every client"),
        (("revoke", "nobody@rpo.example"), "has no grant"),
    ]
    for args, reason in cases:
        code, _, err = _cli(capsys, sample_db_copy, *args)
        assert code == 1 and reason in err, (args, err)
    with store.connection(sample_db_copy, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM grants").fetchone() == (0,)


def test_domain_and_personal_grants_combine_and_the_higher_role_wins(sample_db_copy):
    with store.connection(sample_db_copy) as con:
        access.grant(con, "@acme.example", "viewer", ["Acme Corp", "Globex UK"])
        access.grant(con, "lead@acme.example", "csm", ["Acme Corp"])
        scope = access.scope_for(con, "LEAD@acme.example")
    assert scope.roles == (("Acme Corp", "csm"), ("Globex UK", "viewer"))
    assert scope.editable == ("Acme Corp",) and scope.allows("csm", "Acme Corp")
    assert not scope.allows("csm", "Globex UK") and not scope.allows("viewer", "Northwind Health")


def test_grant_changes_are_in_the_audit_log_with_before_and_after(sample_db_copy, capsys):
    _cli(capsys, sample_db_copy, "grant", "jane@rpo.example", "--role", "viewer", "--client", "Acme Corp")
    _cli(capsys, sample_db_copy, "grant", "jane@rpo.example", "--role", "csm", "--client", "Acme Corp")
    code, out, _ = _cli(capsys, sample_db_copy, "audit", "--json", "--since", "2000-01-01")
    rows = json.loads(out)
    assert code == 0 and [r["action"] for r in rows] == ["grant", "grant"]
    assert rows[0]["user"] == access.local_user()
    assert rows[0]["detail"]["before"] == [{"role": "viewer", "clients": "Acme Corp"}]
    assert rows[0]["detail"]["after"] == [{"role": "csm", "clients": "Acme Corp"}]
    assert json.loads(_cli(capsys, sample_db_copy, "audit", "--json", "--user", "nobody")[1]) == []
    with pytest.raises(SystemExit):
        _cli(capsys, sample_db_copy, "audit", "--since", "2026-13-45")
    assert "'2026-13-45' is not a date (YYYY-MM-DD)" in capsys.readouterr().err


# -- the data layer ------------------------------------------------------------------------------

def _scoped(db, who):
    with store.connection(db, read_only=True) as con:
        scope = access.scope_for(con, who)
    return store.connect(db, read_only=True, scope=scope)


def test_a_scoped_connection_reads_only_the_users_clients_in_every_table(granted_db):
    con = _scoped(granted_db, "viewer@acme.example")
    try:
        for table in store.CLIENT_TABLES:
            clients = {c for (c,) in con.execute(f"SELECT DISTINCT client FROM {table}").fetchall()}
            assert clients <= {"Acme Corp"}, table
        assert con.execute("SELECT count(*) FROM requisitions").fetchone() == (200,)
        assert con.execute("SELECT count(*) FROM main.requisitions").fetchone() == (200,)  # main. is scoped too
        for table in store.ADMIN_TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    finally:
        con.close()


def _error(fn) -> str:
    with pytest.raises(UnknownClient) as info:
        fn()
    return str(info.value)


def test_a_client_outside_the_grants_fails_exactly_like_one_that_does_not_exist(granted_db):
    con = _scoped(granted_db, "viewer@acme.example")
    try:
        for build in (lambda f: Report(con, f), lambda f: requisitions(con, f), lambda f: deck.build(con, f)):
            hidden = _error(lambda: build(Filters(client="Northwind Health")))
            missing = _error(lambda: build(Filters(client="Nowhere Inc")))
            assert hidden == missing.replace("Nowhere Inc", "Northwind Health")
            assert "Globex" not in hidden
    finally:
        con.close()


def test_a_viewer_reads_no_rejected_rows_and_a_csm_reads_their_clients(granted_db):
    for who, expected in (("viewer@acme.example", set()), ("csm@rpo.example", {"Acme Corp", "Globex UK"})):
        con = _scoped(granted_db, who)
        try:
            visible = {c for (c,) in con.execute("SELECT DISTINCT client FROM rejected_rows").fetchall()}
            stored = {c for (c,) in con.execute(f'SELECT DISTINCT client FROM "{Path(granted_db).stem}".main.'
                                                 "rejected_rows").fetchall()}
            assert visible == expected & stored
        finally:
            con.close()


# -- every page, every role, every client ----------------------------------------------------------

PAGE_FILES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))


def _everything_shown(at: AppTest) -> str:
    """All the app drew: text, tables (their Arrow bytes hold strings as they are), chart specs."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    return "\n".join(out)


@pytest.mark.slow
@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("page", PAGE_FILES)
def test_no_page_shows_anything_of_a_client_outside_the_users_grants(granted_db, monkeypatch, who, page):
    monkeypatch.setenv("RECRUITING_DB", str(granted_db))
    role, mine = USERS[who]
    for client in ("Acme Corp", "Globex UK", "Northwind Health"):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": who, "name": "Test"}
        at.query_params.update({"client": client, "as_of": AS_OF, "period": "All time",
                                "req": {"Globex UK": "GX-1150", "Northwind Health": "NW-1150"}.get(client, "1150")})
        at.run()
        assert not at.exception, (page, client, at.exception)
        shown = _everything_shown(at)
        for other, marks in MARKS.items():
            if other not in mine:
                # The only trace allowed: the name the link itself carried, in the "no such client" message.
                leftover = shown.replace(f"There is no client named \\342\\200\\234{other}", "")
                leftover = leftover.replace(f"There is no client named “{other}", "")
                for mark in marks:
                    assert mark not in leftover, (page, client, mark)
        if client not in mine:
            assert "There is no client named" in shown or "This page is for" in shown, (page, client)

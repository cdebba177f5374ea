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
    code, out, _ = _cli(capsys, sample_db_copy, "audit", "--json", "--since", "2000-01-01", "--action", "grant")
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


# -- local mode, errors, the admin pages ------------------------------------------------------------

def _app(db, monkeypatch, user: str | None = None, address: str = "127.0.0.1", **params) -> AppTest:
    """app.py as the browser runs it; signed in as `user` (sign-in configured) or in local mode."""
    from streamlit import config
    monkeypatch.setenv("RECRUITING_DB", str(db))
    previous = config.get_option("server.address")
    config.set_option("server.address", address)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if user:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": user, "name": "Test"}
    at.query_params.update(params)
    try:
        return at.run()
    finally:
        config.set_option("server.address", previous)


@pytest.mark.slow
def test_local_mode_serves_this_computer_as_an_admin_and_says_so(sample_db, monkeypatch):
    at = _app(sample_db, monkeypatch, client="Globex UK", as_of=AS_OF)
    assert not at.exception
    assert "Local mode: only this computer can open the dashboard" in " ".join(c.value for c in at.sidebar.caption)
    assert at.sidebar.selectbox[0].options == ["Acme Corp", "Globex UK", "Northwind Health"]
    assert at.title[0].value == "Overview"


@pytest.mark.slow
@pytest.mark.parametrize("address", ["0.0.0.0", "", "192.168.1.20"])
def test_serving_other_computers_without_sign_in_is_refused_with_how_to_configure_it(sample_db, monkeypatch,
                                                                                    address):
    at = _app(sample_db, monkeypatch, address=address)
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "not served to other computers without sign-in" in text and "[auth]" in text
    assert "--server.address 127.0.0.1" in text
    shown = _everything_shown(at)
    assert not any(c in shown for c in ("Acme", "Globex", "Northwind"))


@pytest.mark.slow
def test_an_error_on_a_page_shows_a_reference_and_the_server_log_has_the_traceback(sample_db, monkeypatch, caplog):
    import dashboard

    def broken(filters):
        raise RuntimeError("/srv/secret/path/recruiting.duckdb exploded")
    monkeypatch.setattr(dashboard, "overview", broken)
    at = _app(sample_db, monkeypatch, client="Acme Corp", as_of=AS_OF)
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    ref = message.split("(reference ")[1][:8]
    assert "/srv/secret" not in _everything_shown(at) and "Traceback" not in _everything_shown(at)
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and "exploded" in logged[0].exc_text


@pytest.mark.slow
def test_an_admin_grants_and_revokes_on_the_access_page_and_reads_it_in_the_audit_log(sample_db_copy, monkeypatch):
    with store.connection(sample_db_copy) as con:
        access.grant(con, "boss@rpo.example", "admin", by="test")
    at = _app(sample_db_copy, monkeypatch, user="boss@rpo.example")
    at.switch_page("pages/grants.py").run()
    at.text_input[0].input("@Globex.example")
    at.selectbox[0].select("viewer")
    at.multiselect[0].select("Globex UK")
    at.button[0].click().run()
    assert not at.exception

    def said():
        return " ".join(s.value for s in at.success).replace("\\", "")
    assert said() == "@globex.example: viewer of Globex UK"
    with store.connection(sample_db_copy, read_only=True) as con:
        assert access.scope_for(con, "ceo@globex.example").clients == ("Globex UK",)
    at.selectbox[1].select("@globex.example")
    at.button[1].click().run()
    assert said() == "@globex.example: no access left"
    with store.connection(sample_db_copy, read_only=True) as con:
        assert access.scope_for(con, "ceo@globex.example").role is None
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    log = at.dataframe[0].value
    mine = log[log["user"] == "boss@rpo.example"]
    assert list(mine["action"]) == ["revoke", "grant", "sign-in"]   # newest first


@pytest.mark.slow
def test_a_csm_cannot_open_the_access_or_audit_page_even_alone(granted_db, monkeypatch):
    monkeypatch.setenv("RECRUITING_DB", str(granted_db))
    for page in ("grants", "audit"):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": "csm@rpo.example", "name": "Test"}
        at.run()
        assert [w.value for w in at.warning] == ["This page is for admins."]
        assert not at.dataframe


@pytest.mark.deck
def test_a_deck_made_on_the_command_line_is_in_the_audit_log_under_the_os_user(sample_db_copy, tmp_path):
    from exports.__main__ import main as exports_cli
    out = tmp_path / "q3.pptx"
    assert exports_cli(["deck", "--db", str(sample_db_copy), "--client", " globex uk", "--from", "2026-07-01",
                        "--to", "2026-09-30", "--as-of", AS_OF, "-o", str(out)]) == 0
    with store.connection(sample_db_copy, read_only=True) as con:
        rows = access.audit(con, action="download")
    assert len(rows) == 1 and rows["user"][0] == access.local_user() and rows["client"][0] == "Globex UK"
    detail = json.loads(rows["detail"][0])
    assert detail["what"] == "deck" and detail["file"] == str(out) and "2026-07-01 to 2026-09-30" in detail["filters"]


@pytest.mark.slow
def test_settings_and_loads_on_the_command_line_are_in_the_audit_log_with_file_sha256_and_rows(tmp_path, capsys):
    from loaders.__main__ import main as loaders_cli
    db = tmp_path / "fresh.duckdb"
    assert loaders_cli(["--db", str(db), "client", str(ROOT / "sample_data/clients/globex.toml")]) == 0
    assert loaders_cli(["--db", str(db), "ingest", str(ROOT / "sample_data/globex"), "--client", "Globex UK",
                        "--quiet"]) == 0
    capsys.readouterr()
    with store.connection(db, read_only=True) as con:
        log = access.audit(con)
        stored = {name: (sha, rows) for name, sha, rows in
                  con.execute("SELECT name, sha256, rows_loaded FROM files").fetchall()}
    assert set(log["user"]) == {access.local_user()} and set(log["client"]) == {"Globex UK"}
    settings, = [json.loads(d) for d in log[log["action"] == "settings"]["detail"]]
    assert settings["before"] is None and 'name = "Globex UK"' in settings["after"]
    loads = {Path(d["file"]).name: d for d in map(json.loads, log[log["action"] == "load"]["detail"])}
    assert set(loads) == set(stored) and len(loads) == 4
    for name, d in loads.items():
        assert (d["sha256"], d["rows_loaded"]) == stored[name] and d["clients"] == ["Globex UK"]


def test_an_action_recorded_while_a_load_holds_the_database_is_kept_and_written_with_the_next(sample_db_copy,
                                                                                               monkeypatch):
    import dashboard
    real = store.connection
    busy = [True]

    def connection(*args, **kwargs):
        if busy[0] and not kwargs.get("read_only"):
            raise store.DatabaseBusy("a load holds the database")
        return real(*args, **kwargs)
    monkeypatch.setattr(store, "connection", connection)
    dashboard.record_for("jane@rpo.example", "download", "Acme Corp", what="csv")
    pending = sample_db_copy.with_name(sample_db_copy.name + ".audit-pending")
    assert pending.exists()
    busy[0] = False
    dashboard.record_for("jane@rpo.example", "download", "Acme Corp", what="xlsx")
    assert not pending.exists()
    with store.connection(sample_db_copy, read_only=True) as con:
        rows = access.audit(con, action="download")
    assert [json.loads(d)["what"] for d in rows["detail"]] == ["xlsx", "csv"]


@pytest.mark.slow
def test_a_damaged_database_is_named_with_what_to_do_on_the_page_and_in_the_access_command(tmp_path, monkeypatch,
                                                                                            capsys):
    damaged = tmp_path / "recruiting.duckdb"
    damaged.write_bytes(b"not a database, just bytes " * 400)
    before = damaged.read_bytes()
    at = _app(damaged, monkeypatch)
    assert not at.exception
    said = " ".join(e.value for e in at.error).replace("\\", "")
    assert "recruiting.duckdb is damaged" in said and "restore it from a backup" in said
    code, _, err = _cli(capsys, damaged, "list")
    assert code == 1 and "is damaged" in err
    assert damaged.read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize("who, sees", [("viewer@acme.example", False), ("csm@rpo.example", True)])
def test_the_glossary_shows_how_exports_are_read_to_the_account_team_only(granted_db, monkeypatch, who, sees):
    from metrics import DATA_RULES
    monkeypatch.setenv("RECRUITING_DB", str(granted_db))
    at = AppTest.from_file(str(ROOT / "pages" / "glossary.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": who, "name": "Test"}
    at.query_params.update({"client": "Acme Corp"})
    at.run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)   # every text of the page, the expander's included
    for word in ("numpy", "busday", "DataLoader", "Bullhorn", "Greenhouse"):
        assert (word in shown) == sees, word
    assert all((rule in shown) == sees for rule in DATA_RULES)
    assert [e.label for e in at.expander] == (["How exports are read (for the account team)"] if sees else [])

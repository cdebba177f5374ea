"""Who may see and change what: grants, the user's scope, and the audit log.

A grant gives a person (a lower-cased e-mail address) or everyone at a domain (`@acme.com`) a role:
`admin` (every client, every page, grants and the audit log), `csm` (the granted clients: every
page, uploads and settings) or `viewer` (the granted clients, read-only; no Upload, Settings or Data).
A user's scope is the union of their own grants and their domain's; where both name a client the
higher role wins.

The scope is enforced in the data layer (`store.connect(..., scope=...)`): a scoped connection sees
only the scope's clients, so a page, an export or a deck cannot show another client's rows even if
it forgets to check. Writes (uploads, settings, grants) ask `Scope.require` first.

The audit log is append-only: every sign-in, load, settings change, grant change and download is
one row with the time, the user (the OS user for the command line) and what it was about.
"""
from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from store import transaction

ROLES = ("viewer", "csm", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
# A person: something@domain; a whole domain: @domain.
_WHO = re.compile(r"^([^@\s]+)?@([a-z0-9-]+(\.[a-z0-9-]+)+)$")


# What the audit log records, as its `action` column says it (the Audit log page and the command line
# offer these to filter by).
ACTIONS = ("sign-in", "load", "settings", "grant", "revoke", "download", "schedule created", "schedule saved",
           "schedule paused", "schedule resumed", "schedule deleted", "recipient approved", "digest sent",
           "digest send failed", "deck sent", "deck send failed")


class AccessError(ValueError):
    """A grant that cannot be made, or an action outside the user's scope."""


@dataclass(frozen=True)
class Scope:
    """What one user may see and change. `roles` maps each granted client to the user's role for it;
    `admin` sees every client (and `roles` is ignored)."""
    user: str
    admin: bool = False
    roles: tuple[tuple[str, str], ...] = field(default=())

    @property
    def clients(self) -> tuple[str, ...] | None:
        """The clients this user may see (None: every client)."""
        return None if self.admin else tuple(sorted(c for c, _ in self.roles))

    @property
    def editable(self) -> tuple[str, ...] | None:
        """The clients whose data this user may change and whose raw rejected rows they may read
        (None: every client)."""
        return None if self.admin else tuple(sorted(c for c, r in self.roles if _RANK[r] >= _RANK["csm"]))

    @property
    def role(self) -> str | None:
        """The user's highest role (None: no grant at all)."""
        if self.admin:
            return "admin"
        return max((r for _, r in self.roles), key=_RANK.get, default=None)

    def role_for(self, client: str) -> str | None:
        """The user's role for one client (None: the client is not theirs)."""
        return "admin" if self.admin else dict(self.roles).get(client)

    def allows(self, role: str, client: str | None = None) -> bool:
        """Whether the user has at least `role`: for `client`, or for any client when None."""
        have = self.role if client is None else self.role_for(client)
        return have is not None and _RANK[have] >= _RANK[role]

    def require(self, role: str, client: str | None = None) -> None:
        """Raise AccessError unless the user has at least `role` (for `client`)."""
        if not self.allows(role, client):
            where = f" for {client}" if client and self.role_for(client) else ""
            raise AccessError(f"{self.user} does not have the {role} role{where}")


@functools.cache
def local_user() -> str:
    """The person at this computer, for the command line and local mode: the OS user name. Asked
    once per process: without USER in the environment it is looked up in the user database, which
    every rerun of every session would otherwise read again."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return "local"


def local_admin() -> Scope:
    """The scope of the person at the machine (the command line, local mode): every client."""
    return Scope(user=local_user(), admin=True)


def normalise_who(who: str) -> str:
    """`Jane@Acme.com ` -> `jane@acme.com`; `@Acme.com` -> `@acme.com`; anything else is refused."""
    text = str(who).strip().lower()
    if not _WHO.match(text):
        raise AccessError(f"{who!r} is neither an e-mail address (name@company.com) nor a domain (@company.com)")
    return text


def scope_for(con, user: str) -> Scope:
    """The scope of `user` (an e-mail address) from the grants of the user and of their domain."""
    user = str(user).strip().lower()
    domain = "@" + user.rsplit("@", 1)[1] if "@" in user else None
    rows = con.execute("SELECT g.role, c.client FROM grants g LEFT JOIN clients c ON c.client = g.client "
                       "WHERE g.who = ? OR g.who = ?", [user, domain]).fetchall()
    if any(role == "admin" for role, _ in rows):
        return Scope(user=user, admin=True)
    best: dict[str, str] = {}
    for role, client in rows:
        if client is not None and _RANK[role] > _RANK.get(best.get(client), -1):
            best[client] = role
    return Scope(user=user, roles=tuple(sorted(best.items())))


def _client_names(con, names) -> list[str]:
    """The display names of `names` (matched as client names always are), or AccessError."""
    from loaders.settings import get_client, list_clients   # (loaders record their loads through access)
    found = [get_client(con, name) for name in names]
    unknown = [name for name, info in zip(names, found) if info is None]
    if unknown:
        raise AccessError(f"unknown client(s): {', '.join(map(repr, unknown))}; known clients: "
                          f"{', '.join(list_clients(con)) or 'none yet (load a client first)'}")
    return [info["client"] for info in found]


def grant(con, who: str, role: str, clients=(), by: str | None = None) -> str:
    """Give `who` the `role` for `clients` (admin: every client, no clients named). A person or
    domain has one role per client; granting again changes it. Returns a sentence saying what changed."""
    who = normalise_who(who)
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "admin" and clients:
        raise AccessError("an admin sees every client: grant the admin role without --client")
    if role != "admin" and not clients:
        raise AccessError(f"name the client(s) a {role} may see: --client NAME (repeat for several)")
    names = _client_names(con, clients)
    now, by = _now(), by or local_user()
    before = list_grants(con, who)
    with transaction(con):
        if role == "admin":
            con.execute("DELETE FROM grants WHERE who = ?", [who])
            con.execute("INSERT INTO grants VALUES (?, 'admin', NULL, ?, ?)", [who, by, now])
        else:
            con.execute("DELETE FROM grants WHERE who = ? AND role = 'admin'", [who])
            for client in names:
                con.execute("DELETE FROM grants WHERE who = ? AND client = ?", [who, client])
                con.execute("INSERT INTO grants VALUES (?, ?, ?, ?, ?)", [who, role, client, by, now])
        record(con, by, "grant", None, who=who, role=role, clients=names, before=before,
               after=list_grants(con, who))
    return f"{who}: {role}" + (f" of {', '.join(names)}" if names else " (every client)")


def revoke(con, who: str, clients=(), by: str | None = None) -> str:
    """Take away `who`'s grants for `clients`, or every grant when none are named."""
    who = normalise_who(who)
    before = list_grants(con, who)
    if before.empty:
        raise AccessError(f"{who} has no grant")
    names = _client_names(con, clients) if clients else []
    with transaction(con):
        if names:
            con.execute("DELETE FROM grants WHERE who = ? AND list_contains(?, client)", [who, names])
        else:
            con.execute("DELETE FROM grants WHERE who = ?", [who])
        after = list_grants(con, who)
        record(con, by or local_user(), "revoke", None, who=who, clients=names or "all", before=before,
               after=after)
    return f"{who}: " + ("no access left" if after.empty else "now " + _describe(after))


def _describe(table: pd.DataFrame) -> str:
    return "; ".join(f"{r.role} of {r.clients}" for r in table.itertuples())


def list_grants(con, who: str | None = None) -> pd.DataFrame:
    """One row per person or domain and role: who, role, clients (comma-separated; admins: every client)."""
    rows = con.execute(
        "SELECT who, role, CASE WHEN role = 'admin' THEN 'every client' ELSE string_agg(client, ', ' ORDER BY client) "
        "END AS clients, max(granted_at) AS granted_at FROM grants WHERE ? IS NULL OR who = ? "
        "GROUP BY who, role ORDER BY who, role", [who, who]).df()
    return rows[["role", "clients"]] if who is not None else rows


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _jsonable(value):
    if isinstance(value, pd.DataFrame):
        return value.to_dict("records")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def record(con, user: str, action: str, client: str | None = None, *, at: dt.datetime | None = None,
           **detail) -> None:
    """Append one row to the audit log (on a writing connection; inside the caller's transaction
    when there is one). `at`: when it happened, if not now (a row that waited to be written)."""
    con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?)",
                [at or _now(), user, action, client, json.dumps(detail, default=_jsonable, sort_keys=True)])


def audit(con, since: dt.date | None = None, user: str | None = None, client: str | None = None,
          action: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first, filtered by day (UTC, from `since`), user, client and action."""
    sql = ("SELECT at_utc, \"user\", action, client, detail FROM audit WHERE (?::DATE IS NULL OR at_utc >= ?::DATE) "
           "AND (?::VARCHAR IS NULL OR \"user\" = ?) AND (?::VARCHAR IS NULL OR client = ?) "
           "AND (?::VARCHAR IS NULL OR action = ?) ORDER BY at_utc DESC")
    params = [since, since, user, user, client, client, action, action]
    if limit:
        sql += f" LIMIT {int(limit)}"
    return con.execute(sql, params).df()

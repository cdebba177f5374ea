"""Sending mail: the `[smtp]` block of `.streamlit/secrets.toml`, and one message per recipient.

```toml
[smtp]
host = "smtp.example.com"
port = 587
security = "starttls"     # "starttls", "tls" (SMTPS, port 465) or "none"
user = "digest@rpo.example"   # optional, with password
password = "..."
from_address = "Recruiting dashboard <digest@rpo.example>"
```

Without the block, schedules can be made but nothing is sent (the Schedules page says so). No
Streamlit here: the command line and the scheduled job read the same file the app reads.
"""
from __future__ import annotations

import smtplib
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
TIMEOUT_S = 30


class MailError(ValueError):
    """The `[smtp]` settings cannot be used: says which key and what it should be."""


@dataclass(frozen=True)
class Smtp:
    """Where and how to send (`[smtp]`)."""
    host: str
    port: int
    security: str
    from_address: str
    user: str | None = None
    password: str | None = None


def secrets_files() -> list[Path]:
    """The files Streamlit reads its secrets from, in its order (a later one wins): the user's
    `~/.streamlit/secrets.toml`, then the project's, from the folder the command runs in."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def read_secrets(files=None) -> dict:
    """The secrets as Streamlit merges them (top-level blocks of later files win); a file that does
    not parse raises MailError naming it."""
    merged: dict = {}
    for path in files if files is not None else secrets_files():
        path = Path(path)
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MailError(f"{path}: not valid TOML ({exc})") from None
    return merged


def smtp_settings(secrets=None) -> Smtp | None:
    """The `[smtp]` settings from `secrets` (a mapping such as `st.secrets`; default: the secrets
    files), or None when there is no `[smtp]` block: sending is off. Raises MailError for a block
    that cannot work (no host, an unknown security, a port that is not a number)."""
    secrets = read_secrets() if secrets is None else secrets
    block = secrets.get("smtp") if hasattr(secrets, "get") else None
    if not block:
        return None
    block = dict(block)
    where = "[smtp] in .streamlit/secrets.toml"
    host = str(block.get("host") or "").strip()
    if not host:
        raise MailError(f"{where}: `host` is missing (the SMTP server's name, e.g. \"smtp.example.com\")")
    security = str(block.get("security") or "starttls").strip().lower()
    if security not in SECURITY:
        raise MailError(f"{where}: `security` is {block.get('security')!r}; use one of: {', '.join(SECURITY)}")
    try:
        port = int(block.get("port") or DEFAULT_PORTS[security])
    except (TypeError, ValueError):
        raise MailError(f"{where}: `port` is {block.get('port')!r}; it must be a number such as 587") from None
    sender = str(block.get("from_address") or "").strip()
    if "@" not in parseaddr(sender)[1]:
        raise MailError(f"{where}: `from_address` is {sender!r}; it must be an e-mail address, "
                        "e.g. \"Recruiting dashboard <digest@rpo.example>\"")
    user, password = block.get("user"), block.get("password")
    if bool(user) != bool(password):
        raise MailError(f"{where}: give both `user` and `password`, or neither")
    return Smtp(host=host, port=port, security=security, from_address=sender,
                user=str(user) if user else None, password=str(password) if password else None)


class Connection:
    """One SMTP session for many messages (`with Connection(smtp) as c: c.send(msg)`). Opening it
    raises `smtplib.SMTPException` or `OSError` when the server cannot be reached or refuses us."""

    def __init__(self, smtp: Smtp):
        self.smtp = smtp
        self.server: smtplib.SMTP | None = None

    def __enter__(self) -> "Connection":
        s = self.smtp
        if s.security == "tls":
            self.server = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT_S, context=ssl.create_default_context())
        else:
            self.server = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_S)
            if s.security == "starttls":
                self.server.starttls(context=ssl.create_default_context())
        if s.user:
            self.server.login(s.user, s.password)
        return self

    def send(self, msg: EmailMessage) -> None:
        """Send one message to its recipients; raises `smtplib.SMTPException` with the server's
        answer when it refuses the message or any recipient."""
        refused = self.server.send_message(msg)
        if refused:   # some recipients refused, others accepted: report the refused ones
            raise smtplib.SMTPRecipientsRefused(refused)

    def __exit__(self, *exc) -> None:
        try:
            self.server.quit()
        except (smtplib.SMTPException, OSError):
            pass


def answer(exc: BaseException) -> str:
    """The server's answer to a failed send, as a person reads it: `550 5.1.1 No such user`,
    `connection refused (smtp.example.com:587)`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{who}: {code} {_text(msg)}" for who, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: no SMTP server answers at that host and port"
    if isinstance(exc, TimeoutError):
        return "the SMTP server did not answer in time"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(msg) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)

"""exohop's own log: warnings and errors in ``<data dir>/exohop.log`` (rotating), or everything at DEBUG
in the file ``--log FILE`` / ``EXOHOP_LOG`` names. Every entry point calls ``setup`` once.

A password or token never reaches the log: the code that reads one registers it (``register_secret``)
and a Filter on exohop's handler replaces every registered value, in the message, its arguments and
the traceback, before anything is written. Third-party loggers (pypsrp, urllib3, requests, msal) stay
at INFO unless a debug log was asked for: at DEBUG they dump requests and responses.
"""

from __future__ import annotations

import base64
import logging
import logging.handlers
import os
import threading
from pathlib import Path

from tui.config import data_dir

LOG_NAME = "exohop.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
ENV_VAR = "EXOHOP_LOG"
REDACTED = "[redacted]"
THIRD_PARTY = ("pypsrp", "psrpcore", "urllib3", "requests", "requests_ntlm", "spnego", "msal", "keyring",
               "secretstorage", "asyncio")
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed: logging.Handler | None = None
_quieted: list[str] = []        # third-party loggers this module set to INFO (undone by a debug setup)


def register_secret(secret: str | None, *, user: str | None = None) -> None:
    """Never log ``secret``; with ``user``, nor the HTTP Basic credential built from both (base64)."""
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        if user:
            _secrets.add(base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))


def redact(text: str) -> str:
    """``text`` with every registered secret replaced (longest first, so no part of one survives)."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record in place so that no handler after it sees a registered secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a bad format string in someone's log call must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def default_path() -> Path:
    return data_dir() / LOG_NAME


def _private_file(path: Path) -> None:
    """Create the log owner-only before a handler opens it (it holds host names, accounts, tenants)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))


def setup(log_file: str | os.PathLike[str] | None = None) -> Path | None:
    """Install exohop's log handler on the root logger (replacing an earlier one); returns its file.

    ``log_file`` (else ``EXOHOP_LOG``): DEBUG, every logger, into that file; an unwritable file raises
    OSError (the user asked for it). Otherwise WARNING and above into the rotating default file; an
    unwritable data folder means no log rather than a face that cannot start (returns None).
    """
    global _installed
    chosen = log_file or os.environ.get(ENV_VAR) or None
    debug = chosen is not None
    path = Path(chosen).expanduser() if chosen is not None else default_path()
    handler: logging.Handler
    try:
        _private_file(path)
        if debug:
            handler = logging.FileHandler(path, encoding="utf-8")
        else:
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                           encoding="utf-8")
    except OSError:
        if debug:
            raise
        return None
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    with _lock:
        if _installed is not None:
            root.removeHandler(_installed)
            _installed.close()
        _installed = handler
    root.addHandler(handler)
    wanted = handler.level
    # Only ever lower the root level: a host that asked for more (pytest's caplog) keeps it.
    if root.level == logging.NOTSET or root.level > wanted:
        root.setLevel(wanted)
    _set_third_party(debug or root.level < logging.INFO)
    threading.excepthook = _thread_failed
    return path


def _thread_failed(args: threading.ExceptHookArgs) -> None:
    """A thread that dies of an exception: its traceback goes to the log (redacted), not to the terminal,
    where Python would print it with the exception's class and text in the middle of the engineer's output."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value is not None else None
    logging.getLogger("tui.threads").error("thread %s failed", name, exc_info=exc_info)


def _set_third_party(verbose: bool) -> None:
    if verbose:
        while _quieted:
            logging.getLogger(_quieted.pop()).setLevel(logging.NOTSET)
        return
    for name in THIRD_PARTY:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:   # one that someone configured on purpose stays as it is
            logger.setLevel(logging.INFO)
            _quieted.append(name)


def installed_path() -> Path | None:
    """The file exohop logs into (to name it in a message), or None when there is none."""
    handler = _installed
    name = getattr(handler, "baseFilename", None)
    return Path(name) if name else None


def uninstall() -> None:
    """Remove exohop's handler and undo its third-party levels (an embedding host, or a test, moves on)."""
    global _installed
    with _lock:
        handler, _installed = _installed, None
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
    _set_third_party(True)
    threading.excepthook = threading.__excepthook__

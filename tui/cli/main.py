"""Command line: ``exohop [--demo] [--read-only] | run | shell | tenants | login | logout | simulate``.

This module only parses arguments and dispatches; each face lives in its own module, imported
lazily so that ``exohop run`` never pays for Textual and ``exohop --demo`` paints fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from tui import __version__
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_CONNECTION, EXIT_USAGE

log = logging.getLogger(__name__)


def version_text() -> str:
    """exohop's version and those of the libraries whose private parts it leans on (no import of them)."""
    parts = [f"exohop {__version__}"]
    for dist in ("textual", "pypsrp", "psrpcore"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return "\n".join(parts)


class _Version(argparse.Action):
    """``--version``: looked up only when asked (metadata reads cost time on every other start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _add_top_level_flags(face: argparse.ArgumentParser) -> None:
    """``--account``, ``--demo`` and ``--read-only`` after the face's name too. SUPPRESS: `exohop --demo run …`
    and `exohop run --demo …` both work (a sub-parser default would otherwise overwrite the top-level flag)."""
    face.add_argument("--account", metavar="UPN", default=argparse.SUPPRESS, help="partner account to use")
    face.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                      help="run against the embedded simulator")
    face.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS,
                      help="refuse every command that changes a tenant (-WhatIf still runs)")


def _add_selection(face: argparse.ArgumentParser, what: str) -> None:
    """``-t``, ``--tag`` and ``--except``: the tenants ``what`` reaches (tui.tenant_selection)."""
    face.add_argument("-t", "--tenant", action="append", default=[], metavar="TENANT",
                      help=f"{what}: a tenant by domain, display name or unique prefix, 'all', @GROUP (a group of "
                           "tenants.toml's [groups]) or tag:TAG (repeatable)")
    face.add_argument("--tag", action="append", default=[], metavar="TAG",
                      help="every tenant with this tag (repeatable: tenants with any of them)")
    face.add_argument("--except", dest="excluded", action="append", default=[], metavar="TENANT",
                      help="leave out a tenant, @GROUP or tag:TAG (repeatable)")


def _needs_tenants(face: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    """A check for after parsing: -t or --tag, at least one of them (argparse cannot say "one or both")."""
    def check(args: argparse.Namespace) -> None:
        if not args.tenant and not args.tag:
            face.error("choose the tenants: -t TENANT (repeatable; 'all', @GROUP or tag:TAG) and/or --tag TAG")

    return check


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exohop",
        description="Hop between customer Exchange Online tenants through delegated remote PowerShell.",
    )
    parser.add_argument("--version", action=_Version, help="show the versions of exohop, Textual, pypsrp and psrpcore")
    parser.add_argument("--log", metavar="FILE", default=None,
                        help="write a debug log to FILE (also EXOHOP_LOG; default: warnings and errors "
                             "to exohop.log in the data folder)")
    parser.add_argument("--demo", action="store_true",
                        help="run on the embedded Exchange Online simulator (offline, no account needed)")
    parser.add_argument("--demo-transport", choices=("rest", "psrp"), default="rest",
                        help="with --demo: the REST InvokeCommand door with OAuth sign-in, as Exchange Online today "
                             "(default), or the remote-PowerShell door with Basic auth, as on-premises Exchange")
    parser.add_argument("--account", metavar="UPN", help="partner account to use (default: the configured default)")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every command that changes a tenant, before it is sent (-WhatIf still runs; "
                             "an account's read_only = true does the same for that account)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run one command line in one or more tenants and print the result")
    _add_selection(run, "the tenants to run in")
    run.set_defaults(check_usage=_needs_tenants(run))
    run.add_argument("line", metavar="COMMAND_LINE", help="the command line, e.g. 'Get-Mailbox -ResultSize 5'")
    run.add_argument("--no-wait", action="store_true",
                     help="fail at once when the account's sessions are all in use elsewhere (default: wait up to 60 s)")
    run.add_argument("--yes", action="store_true",
                     help="confirm a state-changing line (required when the confirm policy asks)")
    run.add_argument("--order", choices=("tenant", "arrival"), default="tenant",
                     help="across tenants: merged output by tenant (default), or each record as it arrives")
    run.add_argument("--concurrency", type=_positive_int, default=None, metavar="N",
                     help="across tenants: at most N at once (default: 3 remote PowerShell sessions per "
                          "account, the service's limit; 8 REST tenants)")
    run.add_argument("--format", choices=("table", "list", "json", "csv", "jsonl"), default=None,
                     help="output format (default: the view PowerShell would pick)")
    _add_top_level_flags(run)

    shell = sub.add_parser("shell", help="a line-mode REPL in one tenant (prompt_toolkit)")
    shell.add_argument("-t", "--tenant", required=True, metavar="TENANT")
    _add_top_level_flags(shell)

    tenants = sub.add_parser("tenants", help="list, add, remove or import customer tenants")
    tsub = tenants.add_subparsers(dest="tenants_command", metavar="ACTION", required=True)
    listing = tsub.add_parser("list", help="list the tenant directory, or the tenants a selection reaches",
                              description="List the tenant directory. With -t, --tag or --except: only the "
                                          "tenants `exohop run` would reach with the same options, in its order.")
    _add_selection(listing, "only the tenants a run with these options reaches")
    tsub.add_parser("groups", help="list the groups of tenants.toml and how many tenants each reaches")
    add = tsub.add_parser("add", help="add a tenant by its initial domain")
    add.add_argument("domain", metavar="DOMAIN")
    add.add_argument("--name", help="display name (default: derived from the domain)")
    add.add_argument("--account", metavar="UPN", help="partner account for this tenant (default: the default)")
    add.add_argument("--tag", action="append", default=[], metavar="TAG", help="a tag (repeatable)")
    add.add_argument("--favorite", action="store_true", help="pin the tenant to the top of the sidebar")
    remove = tsub.add_parser("remove", help="remove a tenant from the directory")
    remove.add_argument("domain", metavar="DOMAIN")
    imp = tsub.add_parser("import", help="import a Partner Center customer export (CSV)")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--account", metavar="UPN", help="partner account for the imported tenants")

    login = sub.add_parser(
        "login", help="sign a partner account in (OAuth: device code or browser), an app with its certificate, "
                      "or store a Basic password",
        description="Sign a partner account in with OAuth (msal; one sign-in reaches every customer tenant "
                    "that a GDAP relationship opens), an app with its certificate, or store a password for "
                    "Basic sign-in on a PSRP endpoint. Writes or updates the account in config.toml.",
        epilog="Without a flag: an account already in config.toml that signs in with a password (auth = "
               "\"basic\" or no auth) and whose endpoint is an explicit PSRP URL (on-premises Exchange, the "
               "simulator's PSRP door) is asked its password, hidden, as before; an app account (auth = "
               "\"app\") is verified again with its certificate; every other account (a new one, an OAuth "
               "one, one on an Exchange Online cloud endpoint) uses the device-code flow, because Exchange "
               "Online refuses Basic authentication. --authority, --cloud, --client-id or --home-tenant also "
               "mean the device-code flow. Ctrl+C cancels a sign-in (exit code 130, nothing written).")
    login.add_argument("upn", metavar="UPN", nargs="?",
                       help="the partner account, e.g. admin@partner.onmicrosoft.com (an app's is APP_ID@ORG)")
    flow = login.add_mutually_exclusive_group()
    flow.add_argument("--device", action="store_true",
                      help="OAuth device-code flow: open the page shown and enter the code (the default)")
    flow.add_argument("--browser", action="store_true",
                      help="OAuth in a web browser on this computer (msal's http://localhost redirect)")
    flow.add_argument("--basic", action="store_true",
                      help="store a password for Basic sign-in (asked hidden; see --password-stdin)")
    flow.add_argument("--app", metavar="APP_ID",
                      help="an app signs in with a certificate (app-only; needs --certificate and --organization)")
    login.add_argument("--password-stdin", action="store_true",
                       help="Basic: read the password from standard input (today's path for PSRP endpoints)")
    login.add_argument("--certificate", metavar="FILE.pem|FILE.pfx",
                       help="--app: the certificate with its private key (PEM, or PFX/P12)")
    login.add_argument("--organization", metavar="ORG.onmicrosoft.com",
                       help="--app: the organization's primary .onmicrosoft.com domain")
    login.add_argument("--passphrase-stdin", action="store_true",
                       help="--app: read the key's passphrase from standard input (else asked hidden when the "
                            "key is encrypted); it is kept in the OS keyring")
    login.add_argument("--endpoint", default=None,
                       help="worldwide, gcchigh, dod, germany, china or an https URL (default: the account's, "
                            "else the cloud's, else worldwide)")
    login.add_argument("--ca-file", default=None, help="CA bundle to verify the endpoint and the login host with")
    login.add_argument("--authority", metavar="URL", default=None,
                       help="a login host of its own, e.g. the simulator's https://127.0.0.1:PORT "
                            "(default: the cloud's)")
    login.add_argument("--cloud", choices=("worldwide", "gcchigh", "dod", "china"), default=None,
                       help="the Microsoft cloud: its login host and Exchange Online resource")
    login.add_argument("--client-id", metavar="ID", default=None,
                       help="the public client to sign in with (default: the ExchangeOnlineManagement module's)")
    login.add_argument("--home-tenant", metavar="TENANT", default=None,
                       help="the partner's own tenant, domain or id (default: the UPN's domain)")
    logout = sub.add_parser("logout", help="forget an account's password, sign-in (token cache) and app passphrase")
    logout.add_argument("upn", metavar="UPN")

    sim = sub.add_parser("simulate", help="serve the Exchange Online simulator (HTTPS, WS-Management, PSRP)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--no-tls", action="store_true", help="plain HTTP (loopback tests only)")
    sim.add_argument("--latency-ms", type=int, default=0, metavar="N", help="delay every response by N ms")
    sim.add_argument("--mailboxes", type=int, default=50, metavar="N", help="mailboxes per tenant")
    sim.add_argument("--catalog", metavar="FILE", help="serve the cmdlets of this catalog JSON too")
    sim.add_argument("--idle-timeout", type=float, default=900.0, metavar="SECONDS",
                     help="idle shells expire after this long")
    sim.add_argument("--write-config", metavar="DIR",
                     help="write an exohop configuration for this simulator into DIR")
    # SUPPRESS: the defaults live with the simulator (tui/sim/command.py) and the parser stays free of it.
    sim.add_argument("--token-lifetime", type=int, default=argparse.SUPPRESS, metavar="SECONDS",
                     help="access tokens expire after this long (default 3600; msal renews those with < 300 s left)")
    sim.add_argument("--tenants", type=int, default=argparse.SUPPRESS, metavar="N",
                     help="the first account manages N customer tenants: today's, then generated ones "
                          "(default: the fixed set, 11 of them its own)")
    sim.add_argument("--write-config-auth", choices=("oauth", "basic"), default=argparse.SUPPRESS,
                     help="accounts that --write-config writes sign in with OAuth (default) or Basic")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_usage: Callable[[argparse.Namespace], None] | None = getattr(args, "check_usage", None)
    if check_usage is not None:
        check_usage(args)   # a usage error exits 2 here, as argparse's own do
    if args.command == "simulate":   # the simulator is a server with its own logger and output
        from tui.sim.command import main as simulate

        return simulate(args)
    from tui.logs import setup

    try:
        setup(args.log)
    except OSError as exc:
        print(f"exohop: cannot write the log file {args.log}: {exc.strerror or 'unwritable'}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command in ("run", "shell", "tenants", "login", "logout"):
            return dispatch(args)
        from tui.console.startup import run

        transport = getattr(args, "demo_transport", "rest")
        return run(args, start_demo=lambda: _start_demo(transport))
    except KeyboardInterrupt:
        print("exohop: interrupted", file=sys.stderr)
        return 130


def _start_demo(transport: str = "rest") -> Any:
    from tui.cli.demo import start_demo

    return start_demo(transport=transport)


def dispatch(args: argparse.Namespace) -> int:
    """``run``, ``shell``, ``tenants``, ``login`` and ``logout``; the errors a user can fix become messages."""
    from tui.accounts import KeyringUnavailable, PasswordInputError
    from tui.cli.environment import print_error
    from tui.cli.signals import Terminated
    from tui.config import ConfigError
    from tui.files import FileBusy
    from tui.remoting.errors import RemotingError
    from tui.tenants import DirectoryError, InvalidDomain, TenantLookupError

    def handler(args: argparse.Namespace) -> int:
        if args.command == "run":
            from tui.cli.run import cmd_run

            return cmd_run(args)
        if args.command == "shell":
            from tui.cli.repl import cmd_shell

            return cmd_shell(args)
        from tui.cli import manage

        faces: dict[str, Callable[[argparse.Namespace], int]] = {
            "tenants": manage.cmd_tenants, "login": manage.cmd_login, "logout": manage.cmd_logout}
        return faces[args.command](args)

    try:
        return handler(args)
    except (ConfigError, TenantLookupError, InvalidDomain, DirectoryError, PasswordInputError) as exc:
        print_error(exc.message)
        return EXIT_USAGE
    except (KeyringUnavailable, RemotingError) as exc:
        print_error(exc.message)
        return EXIT_CONNECTION
    except FileBusy as exc:   # another exohop holds the file's lock: nothing was written, say so
        print_error(exc.message)
        return EXIT_COMMAND_ERRORS
    except Terminated as exc:
        return 128 + exc.signum
    except Exception:
        # A bug, not a condition the user can fix: the traceback goes to the log, the user gets a sentence.
        log.exception("exohop %s failed", args.command)
        print_error(f"an unexpected error stopped `exohop {args.command}`; {_where_logged()}")
        return EXIT_COMMAND_ERRORS


def _where_logged() -> str:
    from tui.logs import installed_path

    path = installed_path()
    return f"the details are in {path}" if path is not None else "run it again with --log FILE for the details"

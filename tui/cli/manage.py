"""``exohop tenants | login | logout``: the tenant directory and the keyring-held passwords."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from tui.cli.environment import print_error
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_OK, EXIT_USAGE
from tui.config import Account, ConfigError, load_config
from tui.tenants import Tenant, TenantDirectory


def cmd_tenants(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    directory = TenantDirectory.load()
    action = args.tenants_command
    if action == "list":
        if not len(directory):
            print("No tenants yet: add one with `exohop tenants add DOMAIN` or import a Partner Center CSV "
                  "with `exohop tenants import FILE.csv`.", file=out)
            return EXIT_OK
        width = max(len(t.display_name) for t in directory)
        for t in sorted(directory, key=lambda t: (not t.favorite, t.display_name.lower())):
            star = "*" if t.favorite else " "
            extra = "  ".join(x for x in (t.account or "", ",".join(t.tags)) if x)
            print(f"{star} {t.display_name.ljust(width)}  {t.domain}  {extra}".rstrip(), file=out)
        return EXIT_OK
    if action == "add":
        if args.account:
            load_config().resolve_account(args.account)   # a typo in the account fails now, not at connect
        tenant = directory.add(Tenant(domain=args.domain, name=args.name or "", account=args.account,
                                      tags=tuple(args.tag), favorite=bool(args.favorite)))
        path = directory.save()
        print(f"added {tenant.display_name} ({tenant.domain}) to {path}", file=out)
        return EXIT_OK
    if action == "remove":
        removed = directory.remove(args.domain)
        path = directory.save()
        print(f"removed {removed.display_name} ({removed.domain}) from {path}", file=out)
        return EXIT_OK
    if action == "import":
        report = directory.import_csv(Path(args.file), account=args.account)
        if report.added:
            directory.save()
        for text in report.lines():
            print(text, file=out)
        return EXIT_OK if not report.rejected else EXIT_COMMAND_ERRORS
    print_error(f"unknown tenants action {action!r}")
    return EXIT_USAGE


def cmd_login(args: argparse.Namespace) -> int:
    from tui.accounts import read_password, set_password
    from tui.config import resolve_endpoint, validate_upn

    upn = validate_upn(args.upn)
    config = load_config()
    existing = config.account(upn)
    endpoint = args.endpoint or (existing.endpoint if existing else "worldwide")
    resolve_endpoint(endpoint)
    ca_file = args.ca_file if args.ca_file is not None else (existing.ca_file if existing else None)
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise ConfigError(f"the CA file {ca_file} does not exist")
    password = read_password(upn, from_stdin=bool(args.password_stdin))
    set_password(upn, password)
    del password
    account = Account(upn=existing.upn if existing else upn, endpoint=endpoint, ca_file=ca_file,
                      default=existing.default if existing else not config.accounts)
    if account != existing:
        path = config.with_account(account).save()
        print(f"{'updated' if existing else 'added'} account {account.upn} in {path}")
    print(f"password for {account.upn} stored in the OS keyring (service 'exohop')")
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    from tui.accounts import delete_password

    if delete_password(args.upn):
        print(f"password for {args.upn} removed from the OS keyring")
    else:
        print(f"no password was stored for {args.upn}")
    return EXIT_OK

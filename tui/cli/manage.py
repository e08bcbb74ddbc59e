"""``exohop tenants | login | logout``: the tenant directory and the keyring-held passwords."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from tui.cli.environment import print_error
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_OK, EXIT_USAGE
from tui.config import Account, Config, ConfigError, edit_config, load_config
from tui.shell.safe_text import visible
from tui.tenants import Tenant, TenantDirectory, idn_warning, read_csv_text


def cmd_tenants(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    action = args.tenants_command
    if action == "list":
        directory = TenantDirectory.load()
        if not len(directory):
            print("No tenants yet: add one with `exohop tenants add DOMAIN` or import a Partner Center CSV "
                  "with `exohop tenants import FILE.csv`.", file=out)
            return EXIT_OK
        # Names and tags may come from a customer CSV: made visible (``safe_text``), never raw.
        width = max(len(visible(t.display_name)) for t in directory)
        for t in sorted(directory, key=lambda t: (not t.favorite, t.display_name.lower())):
            star = "*" if t.favorite else " "
            extra = "  ".join(x for x in (t.account or "", ",".join(t.tags)) if x)
            print(visible(f"{star} {visible(t.display_name).ljust(width)}  {t.domain}  {extra}".rstrip()), file=out)
        return EXIT_OK
    if action == "add":
        if args.account:
            load_config().resolve_account(args.account)   # a typo in the account fails now, not at connect
        wanted = Tenant(domain=args.domain, name=args.name or "", account=args.account,
                        tags=tuple(args.tag), favorite=bool(args.favorite))
        tenant, directory = TenantDirectory.update(None, lambda d: d.add(wanted))
        warning = idn_warning(args.domain, tenant.domain)
        if warning:
            print_error(f"warning: {warning}")
        print(visible(f"added {tenant.display_name} ({tenant.domain}) to {directory.path}"), file=out)
        return EXIT_OK
    if action == "remove":
        removed, directory = TenantDirectory.update(None, lambda d: d.remove(args.domain))
        print(visible(f"removed {removed.display_name} ({removed.domain}) from {directory.path}"), file=out)
        return EXIT_OK
    if action == "import":
        csv_text = read_csv_text(Path(args.file))   # read before taking the lock: it may be on a slow share
        report, _ = TenantDirectory.update(None, lambda d: d.import_csv_text(csv_text, account=args.account))
        for text in report.lines():
            print(visible(text), file=out)
        return EXIT_OK if not report.rejected else EXIT_COMMAND_ERRORS
    print_error(f"unknown tenants action {action!r}")
    return EXIT_USAGE


def cmd_login(args: argparse.Namespace) -> int:
    from tui.accounts import read_password, set_password
    from tui.config import resolve_endpoint, validate_upn
    from tui.logs import register_secret

    upn = validate_upn(args.upn)
    config = load_config()
    existing = config.account(upn)
    endpoint = args.endpoint or (existing.endpoint if existing else "worldwide")
    resolve_endpoint(endpoint)
    ca_file = args.ca_file if args.ca_file is not None else (existing.ca_file if existing else None)
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise ConfigError(f"the CA file {ca_file} does not exist")
    password = read_password(upn, from_stdin=bool(args.password_stdin))
    register_secret(password, user=upn)   # a keyring backend's debug output must not carry it into the log
    set_password(upn, password)
    del password

    def add_account(current: Config) -> Config:
        # Decided on the file as it is inside the lock: another login may have added accounts since.
        found = current.account(upn)
        if found is None:
            return current.with_account(Account(upn=upn, endpoint=endpoint, ca_file=ca_file,
                                                default=not current.accounts))
        account = replace(found, endpoint=endpoint, ca_file=ca_file)   # keeps its sign-in keys
        return current if account == found else current.with_account(account)

    edit = edit_config(add_account)
    if edit.changed:
        existed = edit.before.account(upn) is not None
        print(f"{'updated' if existed else 'added'} account {upn} in {edit.after.path}")
    print(f"password for {upn} stored in the OS keyring (service 'exohop')")
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    from tui.accounts import delete_password

    if delete_password(args.upn):
        print(f"password for {args.upn} removed from the OS keyring")
    else:
        print(f"no password was stored for {args.upn}")
    return EXIT_OK

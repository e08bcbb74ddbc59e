"""``exohop tenants | login | logout``: the tenant directory, and signing accounts in and out (OAuth with
msal, an app's certificate, or a Basic password in the OS keyring; the terminal side is tui.cli.sign_in)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from tui.cli.environment import print_error
from tui.cli.exit_codes import EXIT_COMMAND_ERRORS, EXIT_OK, EXIT_USAGE
from tui.config import Account, Config, ConfigEdit, ConfigError, edit_config, load_config
from tui.shell.safe_text import visible
from tui.tenant_ids import store_tenant_ids
from tui.tenant_selection import ALL, group_members, select_tenants
from tui.tenants import Tenant, TenantDirectory, TenantLookupError, idn_warning, read_csv_text


def cmd_tenants(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    action = args.tenants_command
    if action == "list":
        directory = TenantDirectory.load()
        if not len(directory):
            print("No tenants yet: add one with `exohop tenants add DOMAIN` or import a Partner Center CSV "
                  "with `exohop tenants import FILE.csv`.", file=out)
            return EXIT_OK
        tenants, excluded, tags = (getattr(args, key, None) or [] for key in ("tenant", "excluded", "tag"))
        if tenants or tags or excluded:
            # A preview of `exohop run` with the same options: its tenants, in its order.
            selected = select_tenants(directory, tenants or ([] if tags else [ALL]), tags, excluded)
            _print_tenants(selected, out)
            print(f"({len(selected)} of {len(directory)} tenants)", file=out)
            return EXIT_OK
        _print_tenants(sorted(directory, key=lambda t: (not t.favorite, t.display_name.lower())), out)
        return EXIT_OK
    if action == "groups":
        return _list_groups(TenantDirectory.load(), out)
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


def _print_tenants(tenants: list[Tenant], out: TextIO) -> None:
    # Names and tags may come from a customer CSV: made visible (``safe_text``), never raw.
    width = max(len(visible(t.display_name)) for t in tenants)
    for t in tenants:
        star = "*" if t.favorite else " "
        extra = "  ".join(x for x in (t.account or "", ",".join(t.tags)) if x)
        print(visible(f"{star} {visible(t.display_name).ljust(width)}  {t.domain}  {extra}".rstrip()), file=out)


def _list_groups(directory: TenantDirectory, out: TextIO) -> int:
    """Each group of ``[groups]``, how many tenants it reaches and its entries; a group that cannot be
    expanded says why on its own line (exit 2, as `exohop run -t @group` would)."""
    groups = directory.groups
    if not groups:
        print(f"No groups yet: add a [groups] table to {directory.path}, e.g.\n"
              '[groups]\nretail = ["contoso.onmicrosoft.com", "tag:eu", "@other-group"]', file=out)
        return EXIT_OK
    width = max(len(visible(name)) for name in groups)
    digits = len(str(len(directory)))
    code = EXIT_OK
    for name, entries in groups.items():
        label = visible(name).ljust(width)
        try:
            count = len(group_members(directory, name))
        except TenantLookupError as exc:
            print(visible(f"@{label}  error: {exc.message}"), file=out)
            code = EXIT_USAGE
            continue
        reached = f"{count:>{digits}} {'tenant' if count == 1 else 'tenants'}".ljust(digits + 8)
        print(visible(f"@{label}  {reached}  {', '.join(entries)}".rstrip()), file=out)
    return code


# -- exohop login / logout -------------------------------------------------------------------------------

DEVICE, BROWSER, BASIC_FLOW, APP_FLOW = "device", "browser", "basic", "app"

# Which sign-in ``exohop login`` uses when no flag picks one (also in the help text, tui/cli/main.py):
#   * an account already in config.toml that signs in with a password (auth = "basic", or no auth) and
#     whose endpoint is an explicit PSRP URL (on-premises Exchange, the simulator's PSRP door) is asked its
#     password, hidden, as before;
#   * an app account (auth = "app") is verified again with its certificate;
#   * every other account (a new one, an OAuth one, one on an Exchange Online cloud endpoint) gets the
#     device-code flow: Exchange Online has refused Basic authentication since 2022.
# An OAuth-only option (--authority, --cloud, --client-id, --home-tenant) also means the device flow.


def _exchange_online_hosts() -> frozenset[str]:
    from urllib.parse import urlsplit

    from tui.config import CLOUDS as ENDPOINTS
    from tui.remoting.auth.clouds import CLOUDS

    urls = [*ENDPOINTS.values(), *(c.resource for c in CLOUDS.values())]
    return frozenset((urlsplit(u).hostname or "").lower() for u in urls)


def is_explicit_psrp_url(endpoint: str) -> bool:
    """An endpoint written as a URL that is not one of Exchange Online's own hosts."""
    from urllib.parse import urlsplit

    from tui.config import CLOUDS as ENDPOINTS

    text = endpoint.strip()
    if text.lower() in ENDPOINTS:
        return False
    host = (urlsplit(text).hostname or "").lower()
    return bool(host) and host not in _exchange_online_hosts()


def choose_flow(args: argparse.Namespace, existing: Account | None, endpoint: str) -> str:
    """The sign-in this ``exohop login`` runs (the rule above)."""
    from tui.remoting.auth.account import APP, BASIC, auth_of

    if args.app:
        return APP_FLOW
    if args.browser:
        return BROWSER
    if args.device:
        return DEVICE
    if args.basic or args.password_stdin:
        return BASIC_FLOW
    if any((args.authority, args.cloud, args.client_id, args.home_tenant)):
        return DEVICE
    if existing is not None and auth_of(existing) == APP:
        return APP_FLOW
    if existing is not None and auth_of(existing) == BASIC and is_explicit_psrp_url(endpoint):
        return BASIC_FLOW
    return DEVICE


def _check_flags(args: argparse.Namespace, flow: str) -> None:
    wrong: list[str] = []
    if args.password_stdin and flow != BASIC_FLOW:
        wrong.append("--password-stdin (it stores a password for Basic sign-in)")
    if flow != APP_FLOW:
        wrong += [f"{flag} (it belongs to --app)" for flag, given in (
            ("--certificate", args.certificate), ("--organization", args.organization),
            ("--passphrase-stdin", args.passphrase_stdin)) if given]
    if flow in (BASIC_FLOW, APP_FLOW):
        wrong += [f"{flag} (it is for a user's OAuth sign-in)" for flag, given in (
            ("--client-id", args.client_id), ("--home-tenant", args.home_tenant)) if given]
    if flow == BASIC_FLOW:
        wrong += [f"{flag} (it is for OAuth sign-in)" for flag, given in (
            ("--authority", args.authority), ("--cloud", args.cloud)) if given]
    if wrong:
        raise ConfigError(f"this {_FLOW_NAMES[flow]} cannot take " + "; ".join(wrong))


_FLOW_NAMES = {DEVICE: "device-code sign-in", BROWSER: "browser sign-in", BASIC_FLOW: "password (Basic) sign-in",
               APP_FLOW: "app sign-in"}


def _authority(value: str | None) -> str | None:
    """``--authority URL``: an https login host (no tenant: exohop adds it), or ConfigError."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"--authority {value!r} must be an https URL of a login host, e.g. "
                          "https://login.microsoftonline.com (exohop adds the tenant)")
    return text


def _endpoint(args: argparse.Namespace, existing: Account | None) -> str:
    """--endpoint, else the account's, else --cloud, else worldwide; ConfigError when it is none of those."""
    from tui.config import resolve_endpoint

    endpoint = args.endpoint or (existing.endpoint if existing else None) or args.cloud or "worldwide"
    resolve_endpoint(endpoint)
    return endpoint


def _ca_file(args: argparse.Namespace, existing: Account | None) -> str | None:
    ca_file = args.ca_file if args.ca_file is not None else (existing.ca_file if existing else None)
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise ConfigError(f"the CA file {ca_file} does not exist")
    return ca_file


def _save_account(upn: str, new: Account, apply: Callable[[Account], Account]) -> ConfigEdit:
    """Add ``new`` (the default when it is the first account), or ``apply`` the sign-in keys to the entry as
    it is in the file inside the lock (another login may have changed the file since we read it)."""
    def change(current: Config) -> Config:
        found = current.account(upn)
        if found is None:
            return current.with_account(replace(new, default=not current.accounts))
        account = apply(found)
        return current if account == found else current.with_account(account)

    return edit_config(change)


def _say_saved(edit: ConfigEdit, upn: str, out: TextIO) -> None:
    if edit.changed:
        existed = edit.before.account(upn) is not None
        print(f"{'updated' if existed else 'added'} account {upn} in {edit.after.path}", file=out)


def cmd_login(args: argparse.Namespace) -> int:
    from tui.config import validate_upn

    out = sys.stdout
    config = load_config()
    if args.app:
        return _login_app(args, config, out)
    if not args.upn:
        raise ConfigError("give the account to sign in: `exohop login UPN` (or an app: `exohop login --app "
                          "APP_ID --certificate FILE --organization ORG.onmicrosoft.com`)")
    upn = validate_upn(args.upn)
    existing = config.account(upn)
    endpoint = _endpoint(args, existing)
    flow = choose_flow(args, existing, endpoint)
    if flow == APP_FLOW:
        return _login_app(args, config, out)
    _check_flags(args, flow)
    ca_file = _ca_file(args, existing)
    if flow == BASIC_FLOW:
        return _login_basic(args, upn, existing, endpoint, ca_file, out)
    return _login_oauth(args, upn, existing, endpoint, ca_file, flow, out)


def _login_basic(args: argparse.Namespace, upn: str, existing: Account | None, endpoint: str,
                 ca_file: str | None, out: TextIO) -> int:
    """Today's path: the password into the OS keyring, the account entry added or its endpoint updated."""
    from tui.accounts import read_password, set_password
    from tui.logs import register_secret
    from tui.remoting.auth.account import BASIC, auth_of

    if not is_explicit_psrp_url(endpoint):
        print_error("note: Exchange Online refuses Basic authentication; a password works only on a PSRP "
                    f"endpoint that still accepts it. `exohop login {upn}` signs in with OAuth instead.")
    password = read_password(upn, from_stdin=bool(args.password_stdin))
    register_secret(password, user=upn)   # a keyring backend's debug output must not carry it into the log
    set_password(upn, password)
    del password

    def apply(found: Account) -> Account:
        account = replace(found, endpoint=endpoint, ca_file=ca_file)   # keeps its other keys
        # Asked for a password explicitly: an OAuth or app entry now signs in with it.
        return account if auth_of(account) == BASIC else replace(account, auth=BASIC)

    edit = _save_account(upn, Account(upn=upn, endpoint=endpoint, ca_file=ca_file), apply)
    _say_saved(edit, upn, out)
    before = edit.before.account(upn)
    if before is not None and auth_of(before) != BASIC:
        print(f"account {upn} now signs in with its password (auth = \"basic\"; it was {auth_of(before)!r})",
              file=out)
    print(f"password for {upn} stored in the OS keyring (service 'exohop')", file=out)
    return EXIT_OK


def _login_oauth(args: argparse.Namespace, upn: str, existing: Account | None, endpoint: str,
                 ca_file: str | None, flow: str, out: TextIO) -> int:
    from tui.cli import sign_in
    from tui.remoting.auth.account import OAUTH, home_tenant_of, user_provider_for
    from tui.remoting.auth.clouds import EXO_PUBLIC_CLIENT_ID

    authority = _authority(args.authority)

    def apply(found: Account) -> Account:
        """The sign-in keys; every other key of the entry stays as the user wrote it."""
        client_id = found.client_id
        if args.client_id:
            client_id = None if args.client_id.strip().lower() == EXO_PUBLIC_CLIENT_ID else args.client_id.strip()
        return replace(found, endpoint=args.endpoint or found.endpoint, ca_file=ca_file, auth=OAUTH,
                       client_id=client_id,
                       home_tenant=(args.home_tenant or found.home_tenant or upn.partition("@")[2]).strip(),
                       cloud=args.cloud or found.cloud, authority=authority or found.authority)

    account = apply(existing or Account(upn=upn, endpoint=endpoint))
    provider = user_provider_for(account)
    try:
        if flow == BROWSER:
            user = sign_in.browser_sign_in(provider, sys.stderr)
        else:
            user = sign_in.device_code_sign_in(provider, sys.stderr)
    except sign_in.Cancelled:
        print_error("sign-in cancelled; nothing was written")
        return sign_in.EXIT_CANCELLED
    sign_in.register_cached_secrets(provider)

    edit = _save_account(upn, account, apply)
    saved = edit.after.account(upn) or account
    home = f"home tenant {home_tenant_of(saved)}" + (f", {user.home_tenant_id}" if user.home_tenant_id else "")
    who = f"signed in as {user.upn or upn} ({home})"
    _say_saved(edit, upn, out)
    return _report_reach(edit.after, saved, provider.token_for, provider.resolver, who, out)


def _login_app(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """An app with a certificate (msal's ConfidentialClientApplication): verified now with a token for its
    organization; the key's passphrase, if it has one, goes into the OS keyring for later runs."""
    from tui.accounts import set_certificate_passphrase
    from tui.cli import sign_in
    from tui.config import validate_upn
    from tui.remoting.auth.account import APP, app_provider_for, auth_of
    from tui.remoting.auth.tenants import is_tenant_id

    stored = config.account(args.upn) if args.upn and not args.app else None
    if stored is not None and auth_of(stored) != APP:
        stored = None
    app_id = (args.app or (stored.app_id if stored else None) or "").strip()
    certificate = args.certificate or (stored.certificate if stored else None)
    organization = (args.organization or (stored.organization if stored else None) or "").strip().lower()
    missing = [flag for flag, value in (("--app APP_ID", app_id), ("--certificate FILE", certificate),
                                        ("--organization ORG.onmicrosoft.com", organization)) if not value]
    if missing:
        raise ConfigError(f"an app sign-in needs {', '.join(missing)}")
    assert certificate is not None
    _check_flags(args, APP_FLOW)
    if is_tenant_id(organization) or "." not in organization:
        raise ConfigError(f"--organization {organization!r}: give the organization's primary domain, e.g. "
                          "contoso.onmicrosoft.com (not its tenant id)")
    upn = validate_upn(f"{app_id}@{organization}")
    if args.upn and args.upn.strip().lower() != upn.lower():
        raise ConfigError(f"an app's account is named APP_ID@ORGANIZATION ({upn}); leave out {args.upn!r} "
                          "or give that name")
    path = Path(certificate).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"the certificate file {certificate} does not exist")
    existing = config.account(upn)
    endpoint = _endpoint(args, existing)
    ca_file = _ca_file(args, existing)
    authority = _authority(args.authority)

    def apply(found: Account) -> Account:
        return replace(found, endpoint=args.endpoint or found.endpoint, ca_file=ca_file, auth=APP, app_id=app_id,
                       certificate=str(path), organization=organization, cloud=args.cloud or found.cloud,
                       authority=authority or found.authority)

    account = apply(existing or Account(upn=upn, endpoint=endpoint))
    passphrase = _certificate_passphrase(args, app_id, path)
    provider = app_provider_for(account, passphrase=passphrase)
    try:
        token = sign_in.run_blocking(provider.token_for)
    except sign_in.Cancelled:
        print_error("sign-in cancelled; nothing was written")
        return sign_in.EXIT_CANCELLED
    from tui.logs import register_secret

    register_secret(token.token)
    tenant_id = token.tenant_id
    del token
    if passphrase:
        set_certificate_passphrase(app_id, passphrase)
    edit = _save_account(upn, account, apply)
    _say_saved(edit, upn, out)
    if passphrase:
        print(f"the passphrase of {path} stored in the OS keyring (service 'exohop')", file=out)
    saved = edit.after.account(upn) or account
    who = f"signed in as the app {app_id} (organization {organization}, {tenant_id}) with the certificate {path}"
    return _report_reach(edit.after, saved, provider.token_for, provider.resolver, who, out)


def _certificate_passphrase(args: argparse.Namespace, app_id: str, path: Path) -> str | None:
    """The passphrase that opens the key: from stdin (--passphrase-stdin), else none if the key is not
    encrypted, else the one stored by an earlier login, else asked hidden. Each is registered as a secret
    before anything else sees it; a wrong one is a SignInError naming the file (never the passphrase)."""
    from tui.accounts import get_certificate_passphrase, read_passphrase
    from tui.logs import register_secret
    from tui.remoting.auth import CertificateCredential, SignInError

    def opens(passphrase: str | None) -> bool:
        try:
            CertificateCredential.from_file(path, passphrase)
        except SignInError:
            return False
        return True

    if args.passphrase_stdin:
        passphrase = read_passphrase(str(path), from_stdin=True)
        register_secret(passphrase)
        CertificateCredential.from_file(path, passphrase)    # a wrong one: the mapped error, now
        return passphrase
    if opens(None):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if b"-----BEGIN" in data and b"ENCRYPTED" not in data:
        CertificateCredential.from_file(path, None)          # not encrypted, just unusable: say why
    stored = get_certificate_passphrase(app_id)
    if stored:
        register_secret(stored)
        if opens(stored):
            return stored
    passphrase = read_passphrase(str(path), from_stdin=False)
    register_secret(passphrase)
    CertificateCredential.from_file(path, passphrase)
    return passphrase


def _report_reach(config: Config, account: Account, token_for: Callable[[str], object], resolver: Any,
                  who: str, out: TextIO) -> int:
    """The last line of a login: who signed in, and how many of the account's customer tenants in
    tenants.toml it reaches (a silent token for each, a few at a time); tenant ids learnt on the way are
    stored where tenants.toml has none."""
    from tui.cli import sign_in
    from tui.files import FileBusy
    from tui.tenants import DirectoryError

    try:
        directory = TenantDirectory.load()
    except (ConfigError, DirectoryError) as exc:
        print_error(f"warning: cannot read the tenant directory: {exc.message}")
        print(f"{who}; the customer tenants were not checked", file=out)
        return EXIT_OK
    default = config.default_account()
    is_default = default is not None and default.upn.lower() == account.upn.lower()
    mine = [t for t in directory
            if (t.account.lower() == account.upn.lower() if t.account else is_default)]
    if not mine:
        hint = "" if is_default else f" --account {account.upn}"
        print(f"{who}; no customer tenant in tenants.toml uses this account yet (add one with `exohop tenants "
              f"add DOMAIN{hint}`)", file=out)
        return EXIT_OK
    for t in mine:
        if t.tenant_id:
            resolver.remember(t.domain, t.tenant_id)
    try:
        report = sign_in.check_reach(token_for, mine, stream=sys.stderr)
    except sign_in.Cancelled:
        print_error(f"{who}; the check of the customer tenants was interrupted (the sign-in is kept)")
        return sign_in.EXIT_CANCELLED
    known: dict[str, str] = resolver.known()
    try:
        stored = store_tenant_ids({t.domain: known[t.domain] for t in mine if not t.tenant_id and t.domain in known})
    except FileBusy as exc:
        print_error(f"warning: the tenant ids were not stored: {exc.message}")
        stored = 0
    for line in sign_in.reach_details(report):
        print_error(line)
    if stored:
        print(f"stored the tenant id of {stored} tenant{'s' if stored > 1 else ''} in {directory.path}", file=out)
    print(f"{who}; {sign_in.reach_text(report)}", file=out)
    return EXIT_OK


def cmd_logout(args: argparse.Namespace) -> int:
    """Forget what lets an account sign in: its password, its part of the token cache, an app's passphrase.
    The config.toml entry stays."""
    from tui.accounts import delete_certificate_passphrase, delete_password
    from tui.remoting.auth.account import APP, auth_of
    from tui.remoting.auth.cache import default_path

    out = sys.stdout
    upn = args.upn.strip()
    try:
        config: Config | None = load_config()
    except ConfigError as exc:     # a broken config.toml must not keep a sign-in alive
        print_error(f"warning: {exc.message}")
        config = None
    account = config.account(upn) if config is not None else None
    removed: list[str] = []
    if delete_password(upn):
        removed.append(f"password for {upn} removed from the OS keyring")
    cache_path = default_path()
    if cache_path.exists():     # no cache yet: nothing to remove (and no key to create in the keyring)
        from tui.remoting.auth import PersistentTokenCache, logout

        if logout(PersistentTokenCache(cache_path), upn):
            removed.append(f"sign-in of {upn} removed from the token cache ({cache_path})")
    app_id = account.app_id if account is not None and auth_of(account) == APP else None
    if app_id and delete_certificate_passphrase(app_id):
        removed.append(f"passphrase of the certificate of the app {app_id} removed from the OS keyring")
    for line in removed:
        print(line, file=out)
    if not removed:
        print(f"nothing was stored for {upn} (no password, no sign-in)", file=out)
    if account is not None and config is not None:
        print(f"the account stays in {config.path}; `exohop login {upn}` signs it in again", file=out)
    return EXIT_OK

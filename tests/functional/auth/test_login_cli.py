"""``exohop login`` / ``exohop logout`` end to end: the real CLI in a subprocess, the real msal, the simulator's
Entra ID over verified HTTPS, the real Secret Service, isolated config/data/cache folders. A device code is
read from the CLI's stderr and approved through /devicelogin as a person does it in the browser."""

from __future__ import annotations

import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tui.cli.main import build_parser
from tui.cli.manage import BASIC_FLOW, DEVICE, choose_flow
from tui.config import Account
from tui.remoting.auth import PersistentTokenCache, SignInError
from tui.remoting.auth import errors as reasons
from tui.sim import SimAccount, Simulator

from .conftest import approve, provider_for

pytestmark = pytest.mark.keyring

ROOT = Path(__file__).resolve().parents[3]
CODE = re.compile(r"enter the code (\S+) to authenticate")
JWT = re.compile(rb"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")
CONTOSO, FABRIKAM = "contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"
NO_ROLE, NO_GDAP = "cohowinery.onmicrosoft.com", "fourthcoffee.onmicrosoft.com"   # for admin@fabrikampartner


class Login:
    """A running ``exohop …``: stderr collected by a thread, so a test can wait for a line without sleeping."""

    def __init__(self, args: list[str], env: dict[str, str], *, stdin: str | None = None,
                 stderr_fd: int | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tui", *args], env=env, cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=stderr_fd if stderr_fd is not None else subprocess.PIPE)
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()
        self.err = ""
        self._changed = threading.Condition()
        self._done = stderr_fd is not None       # on a terminal: the test reads the other side itself
        self._reader = threading.Thread(target=self._read, daemon=True)
        if stderr_fd is None:
            self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while chunk := os.read(fd, 4096):
            with self._changed:
                self.err += chunk.decode("utf-8", "replace")
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while (found := pattern.search(self.err)) is None:
                left = deadline - time.monotonic()
                if left <= 0 or self._done:
                    raise AssertionError(f"no {pattern.pattern!r} on stderr within {timeout}s: {self.err!r}")
                self._changed.wait(left)
        return found

    def code(self) -> str:
        return self.wait_for(CODE).group(1)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        assert self.proc.stdout is not None
        try:
            self.proc.wait(timeout)
            out = self.proc.stdout.read()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
        if self._reader.ident is not None:
            self._reader.join(5)
        with self._changed:
            return self.proc.returncode, out, self.err


def _write_tenants(dirs: dict[str, Path], sim: Simulator, entries: list[dict[str, Any]]) -> Path:
    path = dirs["config"] / "tenants.toml"
    lines = ["# customers of the partner (comments survive)"]
    for e in entries:
        lines.append("[[tenants]]")
        lines += [f'{k} = "{v}"' for k, v in e.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _login_args(sim: Simulator, upn: str, *extra: str) -> list[str]:
    assert sim.ca_file
    return ["login", upn, "--endpoint", sim.url, "--authority", sim.authority, "--ca-file", sim.ca_file, *extra]


def _device_login(sim: Simulator, account: SimAccount, env: dict[str, str], *extra: str) -> tuple[int, str, str]:
    login = Login(_login_args(sim, account.upn, *extra), env)
    assert approve(sim, login.code(), account.upn, account.password).status_code == 200
    return login.finish()


def _cache_secrets(path: Path) -> list[str]:
    """Every refresh/id token the persisted cache holds (read through its key in the Secret Service)."""
    cache = PersistentTokenCache(path)
    cache.sync()
    found = [str(e["secret"]) for kind in ("RefreshToken", "IdToken", "AccessToken")
             for e in cache.cache.search(kind)]
    assert found, "the cache holds the sign-in"
    return found


def _files(dirs: dict[str, Path], *extra: Path) -> list[Path]:
    return [p for d in (*dirs.values(), *extra) for p in d.rglob("*") if p.is_file()]


@pytest.fixture
def env(secret_service: Any, exohop_dirs: dict[str, Path]) -> dict[str, str]:
    """A child exohop's environment: the private Secret Service, and the EXOHOP_*_DIR folders that
    exohop_dirs has put into os.environ (as tests/functional/remoting's keyring_env does)."""
    return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": secret_service.address,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}


def test_device_login_signs_in_and_counts_the_customer_tenants_it_reaches(
        sim: Simulator, env: dict[str, str], exohop_dirs: dict[str, Path], tmp_path: Path) -> None:
    account = sim.accounts[0]                       # admin@fabrikampartner: no Exchange role in Coho, no GDAP in Fourth
    other = sim.accounts[1].upn
    ids = sim.tenant_ids
    tenants = _write_tenants(exohop_dirs, sim, [
        {"domain": CONTOSO, "name": "Contoso Ltd"},
        {"domain": FABRIKAM},
        {"domain": "northwindtraders.onmicrosoft.com", "tenant_id": ids["northwindtraders.onmicrosoft.com"]},
        {"domain": NO_ROLE},
        {"domain": NO_GDAP},
        {"domain": "litware.onmicrosoft.com", "account": other},       # another account's: not checked
    ])
    original = tenants.read_text()
    log = tmp_path / "debug.log"
    login = Login(["--log", str(log), *_login_args(sim, account.upn)], env)
    message = login.wait_for(re.compile(r"To sign in, use a web browser to open the page (\S+) and enter the code"))
    assert message.group(1) == f"{sim.authority}/devicelogin"
    assert approve(sim, login.code(), account.upn, account.password).status_code == 200
    code, out, err = login.finish()
    assert code == 0, err
    home = sim.home_tenant_of(account.upn)
    assert f"added account {account.upn} in {exohop_dirs['config'] / 'config.toml'}" in out
    assert (f"signed in as {account.upn} (home tenant {home}, {ids[home]}); reaches 3 of 5 customer tenants in "
            f"tenants.toml (2 refused — no GDAP relationship with an Exchange role: {NO_ROLE}, {NO_GDAP})") in out
    assert out.rstrip("\n").splitlines()[-1].startswith("signed in as "), "the summary is the last line"
    assert "waiting for the sign-in" not in err, "no progress line when stderr is not a terminal"
    # What to do about the refused ones, once per reason, on stderr.
    assert "Exchange Administrator" in err and "and 1 more tenant for the same reason" in err

    entry = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())["accounts"][0]
    assert entry == {"upn": account.upn, "endpoint": sim.url, "ca_file": sim.ca_file, "default": True,
                     "auth": "oauth", "home_tenant": home, "authority": sim.authority}   # default client_id: not written
    written = {t["domain"]: t for t in tomllib.loads(tenants.read_text())["tenants"]}
    for domain in (CONTOSO, FABRIKAM, NO_ROLE, NO_GDAP, "northwindtraders.onmicrosoft.com"):
        assert written[domain]["tenant_id"] == ids[domain]
    assert "tenant_id" not in written["litware.onmicrosoft.com"] and written[CONTOSO]["name"] == "Contoso Ltd"
    after = tenants.read_text().splitlines()          # the ids went in; nothing else moved or changed
    added = [line for line in after if line not in original.splitlines()]
    assert sorted(added) == sorted(f'tenant_id = "{ids[d]}"' for d in (CONTOSO, FABRIKAM, NO_ROLE, NO_GDAP))
    assert [line for line in after if line not in added] == original.splitlines()
    assert "stored the tenant id of 4 tenants in" in out

    cache_file = exohop_dirs["data"] / "token-cache.enc"
    raw = cache_file.read_text()          # base64 of AES-GCM ciphertext (it may hold "eyJ" by chance)
    assert account.upn not in raw and "refresh" not in raw.lower() and "secret" not in raw
    secrets = _cache_secrets(cache_file)
    for path in _files(exohop_dirs, tmp_path):
        data = path.read_bytes()
        assert path == cache_file or JWT.search(data) is None, f"a token-like text in {path}"
        for s in secrets:
            assert s.encode() not in data, f"a token leaked into {path}"
    assert "msal.token_cache" in log.read_text(), "the debug log had msal's own debug output too"
    for text in (out, err):
        assert all(s not in text for s in secrets)
    # The sign-in is the persisted one: a later process gets customer tokens from it silently.
    token = provider_for(sim, account, cache_file).token_for(CONTOSO)
    assert token.tenant_id == ids[CONTOSO]


def test_wrong_password_keeps_waiting_and_ctrl_c_cancels_at_once(
        sim: Simulator, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:
    account = sim.accounts[0]
    config = exohop_dirs["config"] / "config.toml"
    # A Basic account on the PSRP door: without a flag it would be asked its password; --device picks OAuth.
    config.write_text(f'# mine\n[[accounts]]\nupn = "{account.upn}"\nendpoint = "{sim.url}"\n'
                      f'ca_file = "{sim.ca_file}"\ndefault = true\n')
    before = config.read_text()
    master, slave = pty.openpty()                   # stderr on a terminal: the progress line shows
    try:
        login = Login(_login_args(sim, account.upn, "--device"), env, stderr_fd=slave)
        os.close(slave)
        terminal = _PtyReader(master)
        user_code = CODE.search(terminal.wait_for(CODE)).group(1)   # type: ignore[union-attr]
        polls = _device_polls(sim)
        wrong = approve(sim, user_code, account.upn, account.password + "x")
        assert wrong.status_code == 401 and "password is incorrect" in wrong.text
        _wait_until(lambda: _device_polls(sim) >= polls + 2, "the CLI went on polling after the refusal")
        assert login.proc.poll() is None
        progress = terminal.wait_for(re.compile(r"\rwaiting for the sign-in … 0:0\d \(the code is valid for "
                                                r"1?\d:\d\d; Ctrl\+C to cancel\)"))
        assert progress
        t0 = time.monotonic()
        login.proc.send_signal(signal.SIGINT)
        code = login.proc.wait(10)
        elapsed = time.monotonic() - t0
        text = terminal.wait_for(re.compile(r"sign-in cancelled"))
    finally:
        os.close(master)
    assert code == 130 and elapsed < 5, (code, elapsed)   # about 1 s here; slack for a loaded CI machine
    assert "exohop: sign-in cancelled; nothing was written" in text
    assert account.password not in text
    assert config.read_text() == before
    assert not (exohop_dirs["data"] / "token-cache.enc").exists()


class _PtyReader:
    """Everything written to a pseudo-terminal's slave side, read from the master by a thread."""

    def __init__(self, master: int) -> None:
        self.text = ""
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(master,), daemon=True).start()

    def _read(self, master: int) -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            with self._changed:
                self.text += chunk.decode("utf-8", "replace")
                self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while pattern.search(self.text) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern.pattern!r} on the terminal within {timeout}s: {self.text!r}")
                self._changed.wait(left)
            return self.text


def _device_polls(sim: Simulator) -> int:
    return int(sim.stats()["entra"]["token_requests"].get("urn:ietf:params:oauth:grant-type:device_code", 0))


def _wait_until(condition: Any, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_user_without_gdap_for_every_tenant_has_them_counted_as_refused(
        sim: Simulator, env: dict[str, str], exohop_dirs: dict[str, Path]) -> None:
    account = sim.accounts[1]                       # helpdesk@relecloudpartner: five customers only
    _write_tenants(exohop_dirs, sim, [{"domain": d, "account": account.upn}
                                      for d in ("contoso.onmicrosoft.com", "tailspintoys.onmicrosoft.com",
                                                "litware.onmicrosoft.com", "adatum.onmicrosoft.com")])
    code, out, err = _device_login(sim, account, env)
    assert code == 0, err
    assert ("reaches 2 of 4 customer tenants in tenants.toml (2 refused — no GDAP relationship with an Exchange "
            "role: tailspintoys.onmicrosoft.com, adatum.onmicrosoft.com)") in out
    assert account.upn in err and "GDAP" in err and "SignInError" not in err + out and "Traceback" not in err


def _encrypted_pem(sim: Simulator, path: Path, passphrase: bytes) -> Path:
    assert sim.app_key_file and sim.app_cert_file
    key = serialization.load_pem_private_key(Path(sim.app_key_file).read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(Path(sim.app_cert_file).read_bytes())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(passphrase))
                     + cert.public_bytes(serialization.Encoding.PEM))
    path.chmod(0o600)
    return path


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: SignInError redacts any run of 60+ path-like characters (a long path too)
    as if it were a token, and the test wants to see the file named."""
    path = Path(tempfile.mkdtemp(prefix="exo-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_app_login_with_an_encrypted_key_keeps_its_passphrase_for_later_runs(
        sim: Simulator, env: dict[str, str], exohop_dirs: dict[str, Path], short_dir: Path) -> None:
    from tui.accounts import get_certificate_passphrase

    passphrase = "app-key-passphrase-42"
    pem = _encrypted_pem(sim, short_dir / "app.pem", passphrase.encode())
    org = CONTOSO
    upn = f"{sim.app_client_id}@{org}"
    _write_tenants(exohop_dirs, sim, [{"domain": FABRIKAM, "account": upn},
                                      {"domain": "tailspintoys.onmicrosoft.com", "account": upn}])   # no consent
    assert sim.ca_file
    args = ["login", "--app", sim.app_client_id, "--certificate", str(pem), "--organization", org,
            "--authority", sim.authority, "--endpoint", sim.url, "--ca-file", sim.ca_file]
    wrong = Login([*args, "--passphrase-stdin"], env, stdin="not-it\n").finish()
    assert wrong[0] == 3 and str(pem) in wrong[2] and "wrong passphrase" in wrong[2] and "not-it" not in wrong[2]
    assert not (exohop_dirs["config"] / "config.toml").exists()

    code, out, err = Login([*args, "--passphrase-stdin"], env, stdin=passphrase + "\n").finish()
    assert code == 0, err
    assert (f"signed in as the app {sim.app_client_id} (organization {org}, {sim.tenant_ids[org]}) with the "
            f"certificate {pem}; reaches 1 of 2 customer tenants in tenants.toml (1 refused — consent missing: "
            "tailspintoys.onmicrosoft.com)") in out
    entry = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())["accounts"][0]
    assert entry["upn"] == upn and entry["auth"] == "app" and entry["app_id"] == sim.app_client_id
    assert entry["certificate"] == str(pem) and Path(entry["certificate"]).is_absolute()
    assert entry["organization"] == org and entry["authority"] == sim.authority
    assert get_certificate_passphrase(sim.app_client_id) == passphrase          # in the real Secret Service
    assert keyring.get_password("exohop", f"certificate:{sim.app_client_id}") == passphrase
    for path in _files(exohop_dirs):
        assert passphrase.encode() not in path.read_bytes() and JWT.search(path.read_bytes()) is None
    assert passphrase not in out + err

    # A later run reads the key with the stored passphrase: no flag, no terminal, nothing asked.
    again = Login(["login", upn], env).finish()
    assert again[0] == 0, again[2]
    assert f"signed in as the app {sim.app_client_id}" in again[1]

    logout = Login(["logout", upn], env).finish()
    assert logout[0] == 0 and f"passphrase of the certificate of the app {sim.app_client_id} removed" in logout[1]
    assert get_certificate_passphrase(sim.app_client_id) is None
    assert "the account stays in" in logout[1] and upn in (exohop_dirs["config"] / "config.toml").read_text()


def test_app_login_with_a_plain_pem_and_no_tenants(sim: Simulator, env: dict[str, str],
                                                    exohop_dirs: dict[str, Path]) -> None:
    assert sim.app_pem_file and sim.ca_file
    org = "northwindtraders.onmicrosoft.com"
    code, out, err = Login(["login", "--app", sim.app_client_id, "--certificate", sim.app_pem_file,
                            "--organization", org, "--authority", sim.authority, "--ca-file", sim.ca_file],
                           env).finish()
    assert code == 0, err
    assert "no customer tenant in tenants.toml uses this account yet" in out
    assert "passphrase" not in out
    entry = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())["accounts"][0]
    assert entry["auth"] == "app" and entry["endpoint"] == "worldwide"


def test_basic_password_stdin_is_unchanged_and_the_flow_rule(sim: Simulator, env: dict[str, str],
                                                             exohop_dirs: dict[str, Path]) -> None:
    from tui.accounts import delete_password

    account = sim.accounts[2]
    assert sim.ca_file
    try:
        code, out, err = Login(["login", account.upn, "--password-stdin", "--endpoint", sim.url, "--ca-file",
                                sim.ca_file], env, stdin=account.password + "\n").finish()
        assert code == 0, err
        assert f"password for {account.upn} stored in the OS keyring" in out and "note:" not in err
        assert keyring.get_password("exohop", account.upn.lower()) == account.password
        entry = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())["accounts"][0]
        assert "auth" not in entry and entry["endpoint"] == sim.url
        # No flag, an existing Basic account on an explicit PSRP URL: asked its password (no terminal here).
        code, out, err = Login(["login", account.upn], env).finish()
        assert code == 2 and "no terminal to ask for the password" in err
    finally:
        delete_password(account.upn)

    parse = build_parser().parse_args
    basic = Account(upn="a@p.onmicrosoft.com", endpoint="https://mail.example.org/powershell")
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com"]), basic, basic.endpoint) == BASIC_FLOW
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com", "--device"]), basic, basic.endpoint) == DEVICE
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com", "--authority", "https://x.example"]), basic,
                       basic.endpoint) == DEVICE
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com"]), None, "https://mail.example.org/ps") == DEVICE
    cloud = Account(upn="a@p.onmicrosoft.com", endpoint="https://outlook.office365.com/powershell-liveid/")
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com"]), cloud, cloud.endpoint) == DEVICE
    assert choose_flow(parse(["login", "a@p.onmicrosoft.com"]), Account(upn="a@p.onmicrosoft.com"),
                       "worldwide") == DEVICE


def test_login_on_a_simulate_write_config_setup_then_logout(sim: Simulator, env: dict[str, str],
                                                            exohop_dirs: dict[str, Path]) -> None:
    from tui.sim.config_writer import write_config

    account = sim.accounts[0]
    write_config(exohop_dirs["config"], url=sim.url, ca_file=sim.ca_file, account_upns=[a.upn for a in sim.accounts],
                 tenants=sim.tenants, auth="oauth", authority=sim.authority)
    config, tenants = exohop_dirs["config"] / "config.toml", exohop_dirs["config"] / "tenants.toml"
    before = config.read_text(), tenants.read_text()
    # No flag: the entry says auth = "oauth", so the device flow; every key it has stays as written.
    login = Login(["login", account.upn], env)
    assert approve(sim, login.code(), account.upn, account.password).status_code == 200
    code, out, err = login.finish()
    assert code == 0, err
    assert "reaches 11 of 13 customer tenants in tenants.toml (2 refused" in out
    assert "added account" not in out and "updated account" not in out and "stored the tenant id" not in out
    assert (config.read_text(), tenants.read_text()) == before

    cache_file = exohop_dirs["data"] / "token-cache.enc"
    code, out, err = Login(["logout", account.upn], env).finish()
    assert code == 0, err
    assert f"sign-in of {account.upn} removed from the token cache ({cache_file})" in out
    assert f"the account stays in {config}" in out
    with pytest.raises(SignInError) as caught:
        provider_for(sim, account, cache_file).token_for(CONTOSO)
    assert caught.value.reason == reasons.NOT_SIGNED_IN
    again = Login(["logout", account.upn], env).finish()
    assert again[0] == 0 and f"nothing was stored for {account.upn}" in again[1]
    assert config.read_text() == before[0]


def test_two_logins_at_once_both_end_signed_in(sim: Simulator, env: dict[str, str],
                                               exohop_dirs: dict[str, Path]) -> None:
    accounts = sim.accounts[:2]
    logins = [Login(_login_args(sim, a.upn), env) for a in accounts]
    try:
        codes = [login.code() for login in logins]                   # both are polling now
        for a, user_code in zip(accounts, codes, strict=True):
            assert approve(sim, user_code, a.upn, a.password).status_code == 200
        results = [login.finish() for login in logins]
    finally:
        for login in logins:
            if login.proc.poll() is None:
                login.proc.kill()
    for (code, out, err), a in zip(results, accounts, strict=True):
        assert code == 0, err
        assert f"signed in as {a.upn}" in out
    cache_file = exohop_dirs["data"] / "token-cache.enc"
    fresh = PersistentTokenCache(cache_file)
    fresh.sync()
    assert {x["username"] for x in fresh.cache.search("Account")} == {a.upn for a in accounts}
    for a in accounts:
        assert provider_for(sim, a, cache_file).token_for(a.tenants[0]).tenant_id == sim.tenant_ids[a.tenants[0]]
    config = tomllib.loads((exohop_dirs["config"] / "config.toml").read_text())["accounts"]
    assert sorted(e["upn"] for e in config) == sorted(a.upn for a in accounts)
    assert sum(e["default"] for e in config) == 1 and all(e["auth"] == "oauth" for e in config)


# What a person does in the browser msal opens: $BROWSER runs this with the URL; it detaches (webbrowser
# waits for the command) and then fills in the sign-in page and lets it post the code back to msal.
_BROWSER = '''#!{python}
import os, re, subprocess, sys
from html import unescape
if len(sys.argv) == 2:
    subprocess.Popen([sys.executable, __file__, sys.argv[1], "person"], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sys.exit(0)
import requests
INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
url, ca = sys.argv[1], os.environ["TEST_BROWSER_CA"]
with open(os.environ["TEST_BROWSER_LOG"], "a") as log:
    page = requests.get(url, verify=ca, timeout=10)
    fields = {{k: unescape(v) for k, v in INPUT.findall(page.text)}}
    signed = requests.post(url, data={{**fields, "username": os.environ["TEST_BROWSER_UPN"],
                                      "password": os.environ["TEST_BROWSER_PASSWORD"]}}, verify=ca, timeout=10)
    print(signed.status_code, file=log)
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', signed.text)[1])
    back = requests.post(action, data={{k: unescape(v) for k, v in INPUT.findall(signed.text)}}, timeout=10)
    print(back.status_code, file=log)
'''


def test_browser_login_through_msals_loopback_redirect(sim: Simulator, env: dict[str, str],
                                                       exohop_dirs: dict[str, Path], tmp_path: Path) -> None:
    account = sim.accounts[1]
    browser = tmp_path / "browser"
    browser.write_text(_BROWSER.format(python=sys.executable))
    browser.chmod(0o700)
    log = tmp_path / "browser.log"
    assert sim.ca_file
    env = {**env, "BROWSER": str(browser), "TEST_BROWSER_CA": sim.ca_file, "TEST_BROWSER_LOG": str(log),
           "TEST_BROWSER_UPN": account.upn, "TEST_BROWSER_PASSWORD": account.password}
    code, out, err = Login(_login_args(sim, account.upn, "--browser"), env).finish()
    assert code == 0, (err, log.read_text() if log.exists() else "")
    assert "opening a web browser to sign" in err
    home = sim.home_tenant_of(account.upn)
    assert f"signed in as {account.upn} (home tenant {home}, {sim.tenant_ids[home]})" in out
    assert log.read_text().split() == ["200", "200"]
    cache_file = exohop_dirs["data"] / "token-cache.enc"
    assert provider_for(sim, account, cache_file).token_for(account.tenants[0]).tenant_id == \
        sim.tenant_ids[account.tenants[0]]


def test_tenant_ids_go_into_the_entries_and_nothing_else_changes(exohop_dirs: dict[str, Path]) -> None:
    from tui.tenant_ids import store_tenant_ids
    from tui.tenants import TenantDirectory

    path = exohop_dirs["config"] / "tenants.toml"
    tables = ('# mine\n[[tenants]]\nname = "Contoso"   # hand-written\ndomain = "Contoso.onmicrosoft.com"\n\n'
              '# the next one has an id already\n[[tenants]]\ndomain = "fabrikam.onmicrosoft.com"\n'
              'tenant_id = "00000000-0000-0000-0000-000000000002"\n')
    path.write_text(tables)
    ids = {CONTOSO: "00000000-0000-0000-0000-000000000001", FABRIKAM: "00000000-0000-0000-0000-000000000009"}
    assert store_tenant_ids(ids) == 1
    assert path.read_text() == tables.replace('domain = "Contoso.onmicrosoft.com"\n', 'domain = "Contoso.onmicrosoft'
                                              '.com"\ntenant_id = "00000000-0000-0000-0000-000000000001"\n')
    assert store_tenant_ids(ids) == 0
    # A layout the line edit cannot handle (inline tables): tomlkit sets the key, nothing else changes.
    path.write_text('tenants = [{domain = "contoso.onmicrosoft.com", tags = ["a"]}, '
                    '{domain = "fabrikam.onmicrosoft.com", tenant_id = ""}]\n')
    assert store_tenant_ids(ids) == 2
    loaded = {t.domain: t for t in TenantDirectory.load(path)}
    assert loaded[CONTOSO].tenant_id == ids[CONTOSO] and loaded[CONTOSO].tags == ("a",)
    assert loaded[FABRIKAM].tenant_id == ids[FABRIKAM]

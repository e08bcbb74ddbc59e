"""The persisted sign-in: encrypted in the data folder under a key in the real Secret Service, readable by
the next process, shared safely by two processes signing in at once, removed by logout."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import secretstorage

from tui.remoting.auth import PersistentTokenCache, SignInError
from tui.remoting.auth import errors as reasons
from tui.remoting.auth.cache import CACHE_FILE, KEYRING_KEY_USER, KEYRING_SERVICE
from tui.sim import Simulator

from .conftest import approve, approving, provider_for

pytestmark = pytest.mark.keyring

CONTOSO = "contoso.onmicrosoft.com"


JWT_SHAPE = re.compile(rb"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*")

def _secrets_of(store: PersistentTokenCache) -> list[str]:
    found = [t["secret"] for kind in ("RefreshToken", "AccessToken", "IdToken")
             for t in store.cache.search(kind)]
    assert found
    return found


def _key_in_secret_service() -> bytes | None:
    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        items = list(collection.search_items({"service": KEYRING_SERVICE, "username": KEYRING_KEY_USER}))
        return items[0].get_secret() if items else None
    finally:
        conn.close()


def test_the_sign_in_is_encrypted_at_rest_and_its_key_is_in_the_secret_service(
        sim: Simulator, secret_service: object, exohop_dirs: dict[str, Path]) -> None:
    account = sim.accounts[0]
    provider = provider_for(sim, account, exohop_dirs["data"] / CACHE_FILE)
    provider.sign_in_with_device_code(approving(sim, account))
    token = provider.token_for(CONTOSO)
    secrets = [*_secrets_of(provider.store), token.token, account.password]
    files = [p for d in exohop_dirs.values() for p in d.rglob("*") if p.is_file()]
    assert exohop_dirs["data"] / CACHE_FILE in files
    for f in files:
        data = f.read_bytes()
        for s in secrets:
            assert s.encode() not in data, f"{f.name} holds a token in clear"
        # A JWT's shape (header.payload.signature), not its first three bytes: random base64 ciphertext
        # holds "eyJ" somewhere in about one file in ten.
        assert not JWT_SHAPE.search(data), f"{f.name} holds something JWT-like"
    assert (exohop_dirs["data"] / CACHE_FILE).stat().st_mode & 0o077 == 0
    key = _key_in_secret_service()
    assert key is not None and key not in (exohop_dirs["data"] / CACHE_FILE).read_bytes()

    # The next process (a fresh cache object) is signed in without any prompt, and never saw an access token.
    later = provider_for(sim, account, exohop_dirs["data"] / CACHE_FILE)
    assert not list(later.store.cache.search("AccessToken"))
    assert later.signed_in_user() is not None
    assert later.token_for(CONTOSO).tenant_id == sim.tenant_ids[CONTOSO]


def test_logout_removes_only_that_account(sim: Simulator, secret_service: object,
                                          exohop_dirs: dict[str, Path]) -> None:
    path = exohop_dirs["data"] / CACHE_FILE
    first, second = sim.accounts[0], sim.accounts[1]
    for a in (first, second):
        provider_for(sim, a, path).sign_in_with_device_code(approving(sim, a))
    assert provider_for(sim, first, path).logout() == 1
    with pytest.raises(SignInError) as caught:
        provider_for(sim, first, path).token_for(CONTOSO)
    assert caught.value.reason == reasons.NOT_SIGNED_IN
    assert provider_for(sim, second, path).token_for(CONTOSO).upn == second.upn


def test_two_cache_objects_writing_in_turn_keep_both_accounts(sim: Simulator, secret_service: object,
                                                               exohop_dirs: dict[str, Path]) -> None:
    path = exohop_dirs["data"] / CACHE_FILE
    a, b = sim.accounts[0], sim.accounts[1]
    pa, pb = provider_for(sim, a, path), provider_for(sim, b, path)
    pa.store.sync()
    pb.store.sync()                       # both loaded the same (empty) file before either wrote
    pa.sign_in_with_device_code(approving(sim, a))
    pb.sign_in_with_device_code(approving(sim, b))
    fresh = PersistentTokenCache(path)
    fresh.sync()
    assert {x["username"] for x in fresh.cache.search("Account")} == {a.upn, b.upn}


_CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from tui.remoting.auth import PersistentTokenCache, SignInSettings, TokenProvider
    authority, ca_file, upn, home, path, customer = sys.argv[1:7]
    provider = TokenProvider(SignInSettings(upn=upn, home_tenant=home, authority_host=authority, ca_file=ca_file),
                             cache=PersistentTokenCache(Path(path)))
    def on_prompt(prompt):
        print(json.dumps({"user_code": prompt.user_code}), flush=True)
    provider.sign_in_with_device_code(on_prompt)
    print(json.dumps({"tid": provider.token_for(customer).tenant_id}), flush=True)
""")


def test_two_processes_signing_in_at_once_keep_both_accounts(sim: Simulator, secret_service,
                                                             exohop_dirs: dict[str, Path]) -> None:
    path = exohop_dirs["data"] / CACHE_FILE
    env = {**secret_service.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
           "PYTHONUNBUFFERED": "1"}
    env.pop("PYTHONPATH", None)
    accounts = sim.accounts[:2]
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, sim.authority, sim.ca_file or "", a.upn,
                               sim.home_tenant_of(a.upn), str(path), a.tenants[0]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[3])
             for a in accounts]
    try:
        codes = [json.loads(_line(p))["user_code"] for p in procs]     # both are polling now
        for a, code in zip(accounts, codes, strict=True):
            assert approve(sim, code, a.upn, a.password).status_code == 200
        tids = [json.loads(_line(p))["tid"] for p in procs]
        for p in procs:
            assert p.wait(60) == 0, p.stderr.read() if p.stderr else ""
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert tids == [sim.tenant_ids[a.tenants[0]] for a in accounts]
    fresh = PersistentTokenCache(path)
    fresh.sync()
    assert {x["username"] for x in fresh.cache.search("Account")} == {a.upn for a in accounts}
    assert len(list(fresh.cache.search("RefreshToken"))) == 2


def _line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError(f"no output within {timeout}s: {proc.communicate()[1]}")
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the child ended early: {proc.communicate()[1]}")
    return line


def test_no_keyring_is_a_clear_error(sim: Simulator, exohop_dirs: dict[str, Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    saved = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        provider = provider_for(sim, sim.accounts[0], exohop_dirs["data"] / CACHE_FILE)
        with pytest.raises(SignInError) as caught:
            provider.token_for(CONTOSO)
    finally:
        keyring.set_keyring(saved)
    assert caught.value.reason == reasons.KEYRING and "keyring" in caught.value.message
    assert not os.path.exists(exohop_dirs["data"] / CACHE_FILE)


def test_tokens_fetched_at_once_for_many_tenants_are_all_kept(make_sim, secret_service: object,  # type: ignore[no-untyped-def]
                                                              exohop_dirs: dict[str, Path]) -> None:
    """A batch's threads each get a customer's token while others sync the cache: none is dropped, so
    every tenant costs Entra one request, not one more when its token is next used."""
    from concurrent.futures import ThreadPoolExecutor

    sim: Simulator = make_sim(latency_ms=50)
    account = sim.accounts[0]
    path = exohop_dirs["data"] / CACHE_FILE
    provider_for(sim, account, path).sign_in_with_device_code(approving(sim, account))
    provider = provider_for(sim, account, path)          # the next process: refresh tokens only on disk
    tenants = list(account.tenants)[:10]
    for t in tenants:
        provider.tenant_id(t)                            # discovery out of the count
    before = sim.stats()["entra"]["token_requests"].get("refresh_token", 0)
    with ThreadPoolExecutor(len(tenants)) as pool:
        first = list(pool.map(provider.token_for, tenants))
    again = [provider.token_for(t) for t in tenants]
    assert [t.token for t in again] == [t.token for t in first]
    assert sim.stats()["entra"]["token_requests"].get("refresh_token", 0) - before == len(tenants)

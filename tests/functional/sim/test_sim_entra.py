"""The simulator as Entra ID, seen over HTTPS with plain requests: discovery, keys, the device-code page,
error shapes, the directory's GDAP roles, --write-config for OAuth and the announcement."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import requests

from tui.cli.main import build_parser
from tui.sim import Simulator, jwt
from tui.sim.command import _announcement, _check, _token_lifetime
from tui.sim.config_writer import EXO_PUBLIC_CLIENT_ID, write_config
from tui.sim.directory import EXCHANGE_ADMINISTRATOR, GLOBAL_READER
from tui.sim.entra import DEVICE_CODE_GRANT

CONTOSO = "contoso.onmicrosoft.com"


def _get(sim: Simulator, path: str) -> requests.Response:
    return requests.get(sim.authority + path, verify=sim.ca_file, timeout=10)


def _post(sim: Simulator, path: str, **form: str) -> requests.Response:
    return requests.post(sim.authority + path, data=form, verify=sim.ca_file, timeout=10)


def test_discovery_by_domain_id_and_organizations(sim: Simulator) -> None:
    tid = sim.tenant_ids[CONTOSO]
    for ref in (CONTOSO, tid, tid.upper()):
        doc = _get(sim, f"/{ref}/v2.0/.well-known/openid-configuration").json()
        assert doc["token_endpoint"] == f"{sim.authority}/{tid}/oauth2/v2.0/token"
        assert doc["issuer"] == f"{sim.authority}/{tid}/v2.0"
        assert doc["device_authorization_endpoint"].endswith(f"/{tid}/oauth2/v2.0/devicecode")
    home = _get(sim, "/organizations/v2.0/.well-known/openid-configuration").json()
    assert home["token_endpoint"] == f"{sim.authority}/organizations/oauth2/v2.0/token"
    unknown = _get(sim, "/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert unknown.status_code == 400
    body = unknown.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nosuch.onmicrosoft.com' not found")


def test_tokens_verify_with_the_published_keys_and_carry_gdap_roles(sim: Simulator) -> None:
    reader = sim.account("tier2@fabrikampartner.onmicrosoft.com")
    flow = _post(sim, f"/{sim.home_tenant_of(reader.upn)}/oauth2/v2.0/devicecode", client_id=EXO_PUBLIC_CLIENT_ID,
                 scope="https://outlook.office365.com/.default offline_access openid profile").json()
    pending = _post(sim, "/organizations/oauth2/v2.0/token", grant_type=DEVICE_CODE_GRANT,
                    client_id=EXO_PUBLIC_CLIENT_ID, device_code=flow["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    assert "<form" in _get(sim, f"/devicelogin?code={flow['user_code']}").text
    sim.approve_device_code(flow["user_code"], reader.upn)
    home = _post(sim, f"/{sim.home_tenant_of(reader.upn)}/oauth2/v2.0/token", grant_type=DEVICE_CODE_GRANT,
                 client_id=EXO_PUBLIC_CLIENT_ID, device_code=flow["device_code"]).json()
    assert "https://outlook.office365.com/.default" in home["scope"].split()
    customer = _post(sim, f"/{reader.tenants[0]}/oauth2/v2.0/token", grant_type="refresh_token",
                     client_id=EXO_PUBLIC_CLIENT_ID, refresh_token=home["refresh_token"],
                     scope="https://outlook.office365.com/.default openid").json()
    keys = _get(sim, f"/{reader.tenants[0]}/discovery/v2.0/keys").json()["keys"]
    header, _, _, _ = jwt.split(customer["access_token"])
    (jwk,) = [k for k in keys if k["kid"] == header["kid"]]
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    public = RSAPublicNumbers(int.from_bytes(jwt.b64url_decode(jwk["e"]), "big"),
                              int.from_bytes(jwt.b64url_decode(jwk["n"]), "big")).public_key()
    _, claims = jwt.verify(customer["access_token"], public)
    assert claims["tid"] == sim.tenant_ids[reader.tenants[0]] and claims["aud"] == "https://outlook.office365.com"
    assert claims["upn"] == reader.upn and claims["wids"] == [GLOBAL_READER]
    assert sim.directory is not None
    access = sim.directory.exchange_access(reader.upn, reader.tenants[0])
    assert access is not None and access.read_only
    admin = sim.directory.exchange_access(sim.accounts[0].upn, CONTOSO)
    assert admin is not None and not admin.read_only and EXCHANGE_ADMINISTRATOR in admin.roles
    assert sim.directory.exchange_access(sim.accounts[0].upn, "fourthcoffee.onmicrosoft.com") is None
    stats = sim.stats()["entra"]
    assert stats["device_codes_approved"] >= 1 and stats["token_errors"].get("70016", 0) >= 1


def test_auto_approve_and_bad_requests(make_sim) -> None:   # type: ignore[no-untyped-def]
    server: Simulator = make_sim(mailboxes=5)
    upn = server.accounts[1].upn
    server.auto_approve(upn)
    flow = _post(server, "/organizations/oauth2/v2.0/devicecode", client_id=EXO_PUBLIC_CLIENT_ID,
                 scope="https://outlook.office365.com/.default").json()
    done = _post(server, "/organizations/oauth2/v2.0/token", grant_type=DEVICE_CODE_GRANT,
                 client_id=EXO_PUBLIC_CLIENT_ID, device_code=flow["device_code"]).json()
    assert jwt.split(done["access_token"])[1]["upn"] == upn
    assert _post(server, f"/{CONTOSO}/oauth2/v2.0/token", grant_type="password").json()["error"] == \
        "unsupported_grant_type"
    assert _post(server, f"/{CONTOSO}/oauth2/v2.0/devicecode", client_id="00000000-0000-0000-0000-000000000000"
                 ).json()["error_codes"] == [700016]
    wrong = _post(server, "/devicelogin", code="NOSUCHCODE", username=upn, password=server.accounts[1].password)
    assert wrong.status_code == 400 and "expired or is not valid" in wrong.text
    assert server.stats()["entra"]["token_requests"]["password"] == 1


def test_write_config_for_oauth_and_for_basic(sim: Simulator, tmp_path: Path) -> None:
    upns = [a.upn for a in sim.accounts]
    write_config(tmp_path / "oauth", url=sim.url, ca_file=sim.ca_file, account_upns=upns, tenants=sim.tenants,
                 auth="oauth", authority=sim.authority)
    accounts = tomllib.loads((tmp_path / "oauth" / "config.toml").read_text())["accounts"]
    first = accounts[0]
    assert (first["auth"], first["client_id"], first["authority"]) == ("oauth", EXO_PUBLIC_CLIENT_ID, sim.authority)
    assert first["home_tenant"] == sim.home_tenant_of(first["upn"]) and first["endpoint"] == sim.url
    assert Path(first["ca_file"]).read_text() == Path(sim.ca_file or "").read_text()
    write_config(tmp_path / "basic", url=sim.url, ca_file=sim.ca_file, account_upns=upns, tenants=sim.tenants)
    basic = tomllib.loads((tmp_path / "basic" / "config.toml").read_text())["accounts"]
    assert "auth" not in basic[0] and "authority" not in basic[0]


def test_the_announcement_and_the_flags(sim: Simulator) -> None:
    info = _announcement(sim)
    assert info["authority"] == sim.authority and info["tenants"][CONTOSO] == sim.tenant_ids[CONTOSO]
    assert info["accounts"][0]["home_tenant"] == sim.home_tenant_of(sim.accounts[0].upn)
    assert info["app"]["client_id"] == sim.app_client_id and CONTOSO in info["app"]["tenants"]
    assert Path(info["app"]["key_file"]).parent == Path(sim.ca_file or "").parent
    assert Path(info["app"]["key_file"]).stat().st_mode & 0o077 == 0
    args = build_parser().parse_args(["simulate"])
    assert _token_lifetime(args) == 3600 and not hasattr(args, "write_config_auth")   # the simulator's defaults
    args = build_parser().parse_args(["simulate", "--token-lifetime", "305", "--write-config-auth", "basic"])
    assert (args.token_lifetime, args.write_config_auth) == (305, "basic")
    bad = argparse.Namespace(port=0, latency_ms=0, mailboxes=1, idle_timeout=1.0, token_lifetime=0)
    assert "--token-lifetime" in (_check(bad) or "")

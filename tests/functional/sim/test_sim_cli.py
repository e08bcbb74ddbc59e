"""``exohop simulate`` as a user runs it: one JSON line on stdout, serves, stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import requests

from tui.sim import SimAccount

STARTUP_S = 30


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--port", "0", "--mailboxes", "5", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)


def _first_line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(STARTUP_S):
        proc.kill()
        raise AssertionError(f"no JSON line within {STARTUP_S}s; stderr: {proc.communicate()[1]}")
    line = proc.stdout.readline()
    assert line.endswith("\n"), f"the announcement must be one complete line, got {line!r}"
    return json.loads(line)


def _cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


def test_announces_one_json_line_writes_config_and_exits_0_on_sigterm(tmp_path: Path,
                                                                    connect: Callable[..., Any]) -> None:
    config_dir = tmp_path / "cfg"
    proc = _start("--write-config", str(config_dir), cwd=tmp_path)
    try:
        info = _first_line(proc)
        assert set(info) == {"url", "rest_url", "ca_file", "stats_url", "accounts", "authority", "tenants", "app"}
        assert info["rest_url"] == info["url"].removesuffix("/powershell-liveid") + "/adminapi/beta"
        assert info["url"].startswith("https://127.0.0.1:") and info["url"].endswith("/powershell-liveid")
        assert Path(info["ca_file"]).is_file()
        assert len(info["accounts"]) >= 2
        first = info["accounts"][0]
        assert first["password"] and first["tenants"]

        # The server it announced is real: stats over verified TLS, and a pypsrp pool opens on it.
        stats = requests.get(info["stats_url"], verify=info["ca_file"], timeout=10).json()
        assert stats["shells_created"] == 0
        target = SimpleNamespace(url=info["url"], ca_file=info["ca_file"],
                                 accounts=[SimAccount(a["upn"], a["password"], tuple(a["tenants"]))
                                           for a in info["accounts"]])
        connect(target)   # left open on purpose: SIGTERM must close it
        stats = requests.get(info["stats_url"], verify=info["ca_file"], timeout=10).json()
        assert stats["open_shells"] == {first["upn"]: 1}

        # Idle (an open shell, a kept-alive connection, the expiry timer armed) means no CPU at all.
        before = _cpu_ticks(proc.pid)
        time.sleep(1.0)
        assert _cpu_ticks(proc.pid) - before <= 1, "an idle simulator must not spin"

        # --write-config: every account with this endpoint and a CA copy that outlives the temp dir,
        # every customer tenant (also those not delegated to the default account), no password.
        config = tomllib.loads((config_dir / "config.toml").read_text())
        tenants = tomllib.loads((config_dir / "tenants.toml").read_text())["tenants"]
        assert [a["upn"] for a in config["accounts"]] == [a["upn"] for a in info["accounts"]]
        assert [a["default"] for a in config["accounts"]] == [True] + [False] * (len(info["accounts"]) - 1)
        assert {a["endpoint"] for a in config["accounts"]} == {info["url"]}
        ca_copy = Path(config["accounts"][0]["ca_file"])
        assert ca_copy.parent == config_dir.resolve()
        assert ca_copy.read_text() == Path(info["ca_file"]).read_text()
        all_domains = {d for a in info["accounts"] for d in a["tenants"]}
        assert {t["domain"] for t in tenants} >= all_domains
        assert {t["domain"] for t in tenants} - set(first["tenants"]), "some tenants are not delegated"
        assert all(t["name"] for t in tenants)
        for f in config_dir.iterdir():
            text = f.read_text()
            assert not any(a["password"] in text for a in info["accounts"]), f"{f.name} holds a password"
    except BaseException:
        proc.kill()
        raise
    code, out, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert out == "", "stdout carries the JSON line and nothing else"
    assert "every shell closed" in err
    assert "Traceback" not in err


def test_no_tls_serves_plain_http_and_stops_on_sigint(tmp_path: Path) -> None:
    proc = _start("--no-tls", cwd=tmp_path)
    try:
        info = _first_line(proc)
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["ca_file"] is None
        assert requests.get(info["stats_url"], timeout=10).json()["requests"]["Create"] == 0
    except BaseException:
        proc.kill()
        raise
    code, _out, err = _stop(proc, signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err


def test_bad_catalog_file_is_a_usage_error_with_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.json"
    bad.write_text("{not json")
    proc = _start("--catalog", str(bad), cwd=tmp_path)
    out, err = proc.communicate(timeout=STARTUP_S)
    assert proc.returncode == 2
    assert out == ""
    assert "cannot use the catalog" in err and str(bad) in err and "Traceback" not in err

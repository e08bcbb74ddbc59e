"""`exohop` and `exohop --demo` as a user starts them (a real process on a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, EXOHOP_CONFIG_DIR=str(tmp_path / "config"), EXOHOP_DATA_DIR=str(tmp_path / "data"),
                EXOHOP_CACHE_DIR=str(tmp_path / "cache"), TERM="xterm-256color", COLUMNS="120", LINES="36")


def test_no_configuration_says_how_to_start_and_exits_0(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tui"], capture_output=True, text=True, env=_env(tmp_path),
                          timeout=60)
    assert proc.returncode == 0, proc.stderr      # guidance is what a first start is for, not a usage error
    assert "exohop login" in proc.stdout and "exohop tenants add" in proc.stdout and "--demo" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_demo_paints_then_leaves_cleanly_on_sigterm(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    proc = subprocess.Popen([sys.executable, "-m", "tui", "--demo"], stdin=slave, stdout=slave, stderr=slave,
                            env=_env(tmp_path), start_new_session=True)
    os.close(slave)
    screen = b""
    try:
        deadline = time.monotonic() + 30
        # Wait until the demo's tenants are on screen (the simulator started in the background).
        while b"Contoso" not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
        assert b"Contoso" in screen, "the demo never listed its tenants"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        while proc.poll() is None and time.monotonic() - started < 10:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    pass
        assert proc.returncode == 0, screen[-2000:]
        assert time.monotonic() - started < 10.0  # a hang guard, not a timing
        assert b"Traceback" not in screen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)

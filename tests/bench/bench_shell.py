"""Benchmark: ``exohop shell`` start-to-prompt from a warm cache, beside a bare prompt_toolkit REPL.

    python tests/bench/bench_shell.py [--runs 5] [--tree PATH]

Each run spawns ``python -m tui --demo [--demo-transport T] shell -t contoso`` on a pseudo-terminal
(which answers the terminal's cursor-position requests, as a real terminal does) and measures

- ``prompt``: from the spawn to the prompt ``PS>`` on the screen (what the engineer waits for);
- ``ready``:  from the spawn to the toolbar saying the session is ready (the shell connects behind
  the prompt; a tree without the toolbar shows its prompt only once connected, so there both agree);
- ``prompt_cpu``: the CPU time the process had used when the prompt showed (all threads, from
  /proc): on a loaded machine the wall times include waiting for a core, this does not.

The cache is warm: one run before the measured ones fills the catalog cache (and the byte-code
cache: a private PYTHONPYCACHEPREFIX, so an installed exohop's compiled modules are modelled and the
tree is not written to). Baselines in the same run: ``bare_prompt``, a Python process that imports
prompt_toolkit and shows a PromptSession prompt (the floor of any prompt_toolkit REPL), and
``demo_simulator``, the time ``start_demo()`` takes in a fresh process (the embedded simulator the
demo starts before anything else; a real tenant has no such cost). ``configured_prompt``: the same
shell without ``--demo``, on a configuration ``exohop simulate --write-config`` wrote (a simulator in
its own process, as a real endpoint is): start to prompt, no simulator in the shell's process (the
connect behind the prompt then asks for a sign-in, which this measure does not wait for). ``--tree`` runs another checkout
(e.g. the commit before this change) for a before/after. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

ROWS, COLS = 30, 120
ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")
CPR_REQUEST = b"\x1b[6n"
BARE = "from prompt_toolkit import PromptSession\nPromptSession().prompt('PS> ')\n"


class Terminal:
    """A child process on a pseudo-terminal that answers cursor-position requests like a terminal."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.raw = b""
        self._answered = 0

    def cpu_s(self) -> float:
        """CPU time the child has used so far, all its threads (user + system; Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_for(self, pattern: bytes, timeout: float = 60.0) -> float:
        """Seconds from the spawn until ``pattern`` (a regex) is on the screen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, ANSI.sub(b"", self.raw)):
                return time.monotonic() - self.started
            if select.select([self.fd], [], [], 0.01)[0]:
                try:
                    self.raw += os.read(self.fd, 65536)
                except OSError:
                    break
                asked = self.raw.count(CPR_REQUEST)
                for _ in range(asked - self._answered):
                    os.write(self.fd, b"\x1b[1;1R")
                self._answered = asked
        raise RuntimeError(f"no {pattern!r} within {timeout} s: {ANSI.sub(b'', self.raw)[-1500:]!r}")

    def close(self) -> None:
        try:
            os.write(self.fd, b"\x04")   # Ctrl+D: leave the prompt (the shell closes its sessions)
            end = time.monotonic() + 15
            while time.monotonic() < end:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    break
                if select.select([self.fd], [], [], 0.05)[0]:
                    try:
                        os.read(self.fd, 65536)
                    except OSError:
                        pass
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        finally:
            os.close(self.fd)


def environment(tree: Path, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=str(root / "pycache"), TERM="xterm",
               COLUMNS=str(COLS), LINES=str(ROWS))
    for name in ("config", "data", "cache"):
        (root / name).mkdir(parents=True, exist_ok=True)
        env[f"EXOHOP_{name.upper()}_DIR"] = str(root / name)
    return env


def shell_start(tree: Path, root: Path, transport: str, warm_up: bool = False) -> dict[str, float]:
    argv = [sys.executable, "-m", "tui", "--demo", "--demo-transport", transport, "shell", "-t", "contoso"]
    term = Terminal(argv, environment(tree, root))
    try:
        prompt = term.wait_for(rb"PS>")
        cpu = term.cpu_s()
        ready = prompt       # a tree without the toolbar shows its prompt once it is connected
        if (tree / "tui" / "cli" / "shell_prompt.py").exists():
            ready = term.wait_for("● ready".encode(), timeout=300.0 if warm_up else 60.0)   # warm-up: an import
        if warm_up:   # let the background refresh save the catalog the next runs start from
            cached = root / "cache" / "catalogs"
            end = time.monotonic() + 60
            while time.monotonic() < end and not any(cached.glob("*.json")):
                time.sleep(0.1)
        return {"prompt": prompt, "ready": ready, "cpu": cpu}
    finally:
        term.close()


def bare_prompt(tree: Path, root: Path) -> tuple[float, float]:
    term = Terminal([sys.executable, "-c", BARE], environment(tree, root))
    try:
        return term.wait_for(rb"PS>"), term.cpu_s()
    finally:
        term.close()


def demo_simulator_s(tree: Path, root: Path) -> float:
    """``start_demo()`` in a fresh process, imports included, as the shell pays it."""
    code = ("import time\nt = time.monotonic()\nfrom tui.cli.demo import start_demo\nd = start_demo()\n"
            "print(time.monotonic() - t)\nd.stop()\n")
    done = subprocess.run([sys.executable, "-c", code], env=environment(tree, root), capture_output=True,
                          text=True, timeout=120, check=True)
    return float(done.stdout.split()[-1])


def configured_prompt(tree: Path, root: Path, runs: int) -> list[float]:
    """Start to prompt of ``exohop shell -t contoso`` on a real configuration (a simulator elsewhere)."""
    env = environment(tree, root)
    sim = subprocess.Popen([sys.executable, "-m", "tui", "simulate", "--write-config", env["EXOHOP_CONFIG_DIR"]],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert sim.stdout is not None
        sim.stdout.readline()   # its one JSON line: the configuration is written
        times = []
        for _ in range(runs + 1):   # the first fills the byte-code cache
            term = Terminal([sys.executable, "-m", "tui", "shell", "-t", "contoso"], env)
            try:
                times.append(term.wait_for(rb"PS>"))
            finally:
                os.kill(term.pid, signal.SIGKILL)
                os.waitpid(term.pid, 0)
                os.close(term.fd)
        return times[1:]
    finally:
        sim.terminate()
        sim.wait(30)


def med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[2],
                        help="the exohop checkout to start (default: this one)")
    args = parser.parse_args()
    out: dict[str, Any] = {"runs": args.runs, "tree": str(args.tree), "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-shell-") as tmp:
        root = Path(tmp)
        bare_prompt(args.tree, root)   # compiles prompt_toolkit into the private byte-code cache
        bare = [bare_prompt(args.tree, root) for _ in range(args.runs)]
        out["bare_prompt_s"] = med([wall for wall, _ in bare])
        out["bare_prompt_cpu_s"] = med([cpu for _, cpu in bare])
        for transport in ("rest", "psrp"):
            home = root / transport
            shell_start(args.tree, home, transport, warm_up=True)
            runs = [shell_start(args.tree, home, transport) for _ in range(args.runs)]
            out[transport] = {"prompt_s": med([r["prompt"] for r in runs]),
                              "ready_s": med([r["ready"] for r in runs]),
                              "prompt_cpu_s": med([r["cpu"] for r in runs]),
                              "prompt_all_s": [round(r["prompt"], 3) for r in runs]}
        out["configured_prompt_s"] = med(configured_prompt(args.tree, root / "configured", args.runs))
        out["demo_simulator_s"] = med([demo_simulator_s(args.tree, root) for _ in range(args.runs)])
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

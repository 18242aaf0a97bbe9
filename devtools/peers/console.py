#!/usr/bin/env python3
"""Start-to-first-frame, resident memory and idle CPU of terminal consoles, in a pseudo-terminal.

  console.py ROUNDS IDLE_SECONDS 'NAME::MARKER::COMMAND' ...

Each round starts every command in turn (A B C A B C …) on a fresh 160×45 pseudo-terminal and
reads what it draws. The first frame is the moment MARKER (a regular expression, matched on
the output with escape sequences removed) has been written: pick text near the bottom of the
first screen, so the whole frame is out. Then the console is left alone for IDLE_SECONDS and its
CPU time over that span gives the idle CPU. Resident memory (VmRSS) is read at the first frame
and at the end of the idle span. The terminal answers the queries a real one would (device
attributes, cursor position), so a console that asks is not left waiting. Prints min / median.
Stdlib only; Linux (/proc).
"""

import fcntl
import os
import pty
import re
import select
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

ROWS, COLS = 45, 160
ESCAPES = re.compile(
    rb"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[()*+][0-9A-Za-z]|\x1b[=>78NOMDEHc]"
)


def die(message):
    print(f"console.py: {message}", file=sys.stderr)
    sys.exit(1)


def cpu_seconds(pid):
    """CPU time of every thread of the process, in nanoseconds of run time (schedstat), so a
    fraction of a clock tick still counts."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total / 1e9


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def answer_queries(fd, chunk):
    """Reply as a terminal would: primary device attributes, cursor position."""
    if b"\x1b[c" in chunk or b"\x1b[0c" in chunk:
        os.write(fd, b"\x1b[?62;22c")
    if b"\x1b[6n" in chunk:
        os.write(fd, b"\x1b[1;1R")


def one_run(name, marker, command, idle):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    start = time.perf_counter()
    proc = subprocess.Popen(shlex.split(command), stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True,
                            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    pattern = re.compile(marker.encode())
    seen = b""
    first = None
    deadline = start + 30
    try:
        while first is None:
            if time.perf_counter() > deadline:
                die(f"{name}: no {marker!r} within 30 s; the screen so far:\n"
                    f"{ESCAPES.sub(b'', seen)[-1500:].decode(errors='replace')}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    die(f"{name}: exited {proc.returncode} before its first frame:\n"
                        f"{ESCAPES.sub(b'', seen)[-1500:].decode(errors='replace')}")
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                die(f"{name}: the terminal closed before the first frame")
            answer_queries(master, chunk)
            seen += chunk
            if pattern.search(ESCAPES.sub(b"", seen)):
                first = time.perf_counter() - start
        rss_first = rss_mib(proc.pid)
        # Idle: settle for a second (late start-up work is not idling), then measure.
        cpu_start = None
        idle_bytes = 0
        settle_until = time.perf_counter() + 1.0
        idle_until = settle_until + idle
        while time.perf_counter() < idle_until:
            if cpu_start is None and time.perf_counter() >= settle_until:
                cpu_start = cpu_seconds(proc.pid)
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                answer_queries(master, chunk)
                if cpu_start is not None:
                    idle_bytes += len(chunk)
        if proc.poll() is not None:
            die(f"{name}: exited {proc.returncode} while idle")
        idle_cpu = (cpu_seconds(proc.pid) - cpu_start) / idle * 100
        rss_idle = rss_mib(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        os.close(master)
    return first, rss_first, rss_idle, idle_cpu, idle_bytes


def main(argv):
    if len(argv) < 4:
        die(__doc__)
    rounds, idle = int(argv[1]), float(argv[2])
    tools = []
    for spec in argv[3:]:
        parts = spec.split("::", 2)
        if len(parts) != 3:
            die(f"expected NAME::MARKER::COMMAND, got {spec!r}")
        tools.append(parts)
    results = {name: [] for name, _, _ in tools}
    for r in range(rounds):
        for name, marker, command in tools:
            run = one_run(name, marker, command, idle)
            results[name].append(run)
            print(f"round {r + 1} {name}: first frame {run[0] * 1000:.1f} ms, RSS {run[1]:.1f} MiB "
                  f"(after {idle:g} s idle {run[2]:.1f} MiB), idle CPU {run[3]:.2f}%, "
                  f"{run[4]} bytes drawn while idle",
                  file=sys.stderr, flush=True)
    print(f"{'tool':<10} {'first frame ms min/median':>26} {'RSS MiB at first frame':>23} "
          f"{'RSS MiB idle':>13} {'idle CPU % median':>18}")
    for name, _, _ in tools:
        firsts = [run[0] * 1000 for run in results[name]]
        rss = [run[1] for run in results[name]]
        rss_idle = [run[2] for run in results[name]]
        cpu = [run[3] for run in results[name]]
        print(f"{name:<10} {min(firsts):>12.1f} / {statistics.median(firsts):<11.1f} "
              f"{statistics.median(rss):>18.1f}     {statistics.median(rss_idle):>10.1f} "
              f"{statistics.median(cpu):>16.3f}")


if __name__ == "__main__":
    main(sys.argv)

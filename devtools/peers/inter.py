#!/usr/bin/env python3
"""Interleaved timing: runs each command in turn, N rounds; prints min/median wall ms and
user+sys CPU ms per command. usage: inter.py ROUNDS CMD1 CMD2 ..."""
import sys, subprocess, time, statistics, os, resource, shlex
rounds = int(sys.argv[1]); cmds = sys.argv[2:]
walls = [[] for _ in cmds]; cpus = [[] for _ in cmds]
for w in range(3):
    for c in cmds: subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for r in range(rounds):
    for i, c in enumerate(cmds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(shlex.split(c), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls[i].append((time.perf_counter() - t) * 1e3)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus[i].append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3)
        if p.returncode != 0: print("exit", p.returncode, c)
for i, c in enumerate(cmds):
    print(f"min {min(walls[i]):7.1f}  median {statistics.median(walls[i]):7.1f} ms   cpu min {min(cpus[i]):6.1f} median {statistics.median(cpus[i]):6.1f} ms   {c[:60]}")

#!/usr/bin/env python3
"""Turn one long segscope session into the formats of the tools a user would otherwise pick, and
time them side by side, interleaved. Used by devtools/peers/replay.sh; stdlib only.

  peers.py session N OUT.json          an unrecorded session: N steps, one Pageview a step
  peers.py chain SESSION URL DIR [MAX] send the session's steps to URL, the state chained, and
                                       write each step's request body (DIR/body-NNNN.json) and
                                       the cohorts it returned (DIR/cohorts.json); with MAX,
                                       stop after the first body whose state has MAX bytes
  peers.py hurl SESSION DIR URL OUT    a Hurl file: one POST a step, the state captured from each
                                       response and sent with the next, cohorts asserted
  peers.py postman SESSION DIR OUT     a Postman collection for newman: the same, with a test
                                       script carrying the state forward ({{base_url}} variable)
  peers.py curlrc DIR URL OUT          a curl config sending the recorded bodies on one
                                       connection: the transport's floor, no client logic
  peers.py split BODY EVENTS STATE     a recorded body's events and state, each to a file (the
                                       state's text as it is), for `segscope send`
  peers.py bench ROUNDS NAME=CMD ...   run each command once per round, in turn (A B C A B C …),
                                       and print wall time, CPU (10 ms ticks) and peak RSS as
                                       min / median, and each one's time ÷ the first's per round

The state is opaque: every peer passes back the exact text of the response's `state` (a slice of
the body, never a parsed and re-serialised object), as segscope does.
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import http.client

PATH = "/ccs/v1/segmentation/stateless?synchronous-validation=true"
USER_ID = "0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0"
CATEGORIES = ["culture", "business", "football", "politics", "technology", "motoring"]


def die(message):
    print(f"peers.py: {message}", file=sys.stderr)
    sys.exit(1)


def make_session(steps, out):
    """One Pageview a step, 37 minutes apart, from 2026-01-01: long enough windows fill and the
    state grows the way a reader's does."""
    start = 1767225600  # 2026-01-01T00:00:00Z
    body = []
    for i in range(steps):
        category = CATEGORIES[i % len(CATEGORIES)]
        story = 1000 + i % 10
        live = "live/" if i % 7 == 1 else ""
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + i * 37 * 60))
        event = {
            "name": "Pageview",
            "time": t,
            "properties": {
                "article": {"title": f"Story {story}", "category": category, "tags": ["economy", "news"]},
                "client": {
                    "url": f"https://www.dailycourier.example/{category}/{live}story-{story}",
                    "domain": "www.dailycourier.example",
                    "type": "web",
                },
            },
        }
        body.append({"note": f"step {i}", "events": [event], "synchronous_validation": True})
    session = {
        "format": "segscope-session/1",
        "name": f"{steps} Pageviews, 37 minutes apart",
        "identity": {"user_id": USER_ID},
        "steps": body,
    }
    with open(out, "w") as f:
        json.dump(session, f, indent=1)


def load_steps(session_file):
    with open(session_file) as f:
        session = json.load(f)
    if session.get("format") != "segscope-session/1":
        die(f"{session_file}: not a segscope session")
    user_id = session["identity"].get("user_id")
    if not user_id:
        die(f"{session_file}: only user_id identities are converted")
    return user_id, [step["events"] for step in session["steps"]]


def request_prefix(user_id, events):
    """The body without its state and closing brace: what every peer sends before the state."""
    return json.dumps({"user_id": user_id, "events": events}, separators=(",", ":"))[:-1]


def state_slice(response):
    """The response's state exactly as returned: `{"user_id":"…","state":{…}}` → `{…}`."""
    key = '"state":'
    at = response.find(key)
    if at < 0 or not response.endswith("}"):
        die(f"unexpected response: {response[:200]}")
    return response[at + len(key):-1]


def chain(session_file, url, out_dir, max_state=None):
    user_id, steps = load_steps(session_file)
    with open(session_file) as f:
        recorded = [step.get("expect") for step in json.load(f)["steps"]]
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    os.makedirs(out_dir, exist_ok=True)
    state = None
    cohorts = []
    for i, events in enumerate(steps):
        body = request_prefix(user_id, events)
        body += (f',"state":{state}' if state is not None else "") + "}"
        with open(os.path.join(out_dir, f"body-{i:04}.json"), "w") as f:
            f.write(body)
        conn.request("POST", PATH, body=body.encode(),
                     headers={"Content-Type": "application/json", "X-Api-Key": "k"})
        response = conn.getresponse()
        text = response.read().decode()
        if response.status != 200:
            die(f"step {i}: HTTP {response.status}: {text[:300]}")
        if max_state is not None and state is not None and len(state) >= int(max_state):
            break
        state = state_slice(text)
        cohorts.append(json.loads(state)["cohorts"])
        expected = (recorded[i] or {}).get("cohorts")
        if expected is not None and sorted(expected) != sorted(cohorts[-1]):
            die(f"step {i}: cohorts {cohorts[-1]}, the session recorded {expected}")
    with open(os.path.join(out_dir, "cohorts.json"), "w") as f:
        json.dump(cohorts, f)


def load_cohorts(out_dir):
    with open(os.path.join(out_dir, "cohorts.json")) as f:
        return json.load(f)


def hurl(session_file, out_dir, url, out):
    """Hurl cannot put a captured object into a JSON body, but a captured string is written
    as it is: the state is captured as text with a regex over the body, then sent verbatim."""
    user_id, steps = load_steps(session_file)
    cohorts = load_cohorts(out_dir)
    lines = []
    for i, events in enumerate(steps):
        body = request_prefix(user_id, events) + (',"state":{{state}}' if i else "") + "}"
        lines.append(f"# step {i}")
        lines.append(f"POST {url}{PATH}")
        lines.append("X-Api-Key: k")
        lines.append("Content-Type: application/json")
        lines.append("```json")
        lines.append(body)
        lines.append("```")
        lines.append("HTTP 200")
        lines.append("[Captures]")
        lines.append('state: regex /"state":(\\{.*\\})\\}$/')
        lines.append("[Asserts]")
        lines.append(f'jsonpath "$.state.cohorts" count == {len(cohorts[i])}')
        for cohort in cohorts[i]:
            lines.append(f'jsonpath "$.state.cohorts" includes "{cohort}"')
        lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines))


def postman(session_file, out_dir, out):
    user_id, steps = load_steps(session_file)
    cohorts = load_cohorts(out_dir)
    items = []
    for i, events in enumerate(steps):
        body = request_prefix(user_id, events) + (',"state":{{state}}' if i else "") + "}"
        test = [
            "pm.test('200', () => pm.response.to.have.status(200));",
            "const text = pm.response.text();",
            # The state as returned (a slice of the body), not JSON.stringify of a parsed copy.
            "const state = text.slice(text.indexOf('\"state\":') + 8, -1);",
            "pm.collectionVariables.set('state', state);",
            f"pm.test('cohorts', () => pm.expect(JSON.parse(state).cohorts).to.eql({json.dumps(cohorts[i])}));",
        ]
        items.append({
            "name": f"step {i}",
            "request": {
                "method": "POST",
                "header": [
                    {"key": "X-Api-Key", "value": "k"},
                    {"key": "Content-Type", "value": "application/json"},
                ],
                "url": "{{base_url}}" + PATH,
                "body": {"mode": "raw", "raw": body},
            },
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": test}}],
        })
    collection = {
        "info": {
            "name": f"segscope: {len(steps)} chained steps",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [{"key": "state", "value": ""}, {"key": "base_url", "value": ""}],
        "item": items,
    }
    with open(out, "w") as f:
        json.dump(collection, f)


def curlrc(out_dir, url, out):
    bodies = sorted(n for n in os.listdir(out_dir) if n.startswith("body-"))
    if not bodies:
        die(f"{out_dir}: no recorded bodies (run `chain` first)")
    blocks = []
    for name in bodies:
        blocks.append("\n".join([
            f'url = "{url}{PATH}"',
            'header = "X-Api-Key: k"',
            'header = "Content-Type: application/json"',
            f'data-binary = "@{os.path.join(out_dir, name)}"',
            'output = "/dev/null"',
            "fail",
        ]))
    with open(out, "w") as f:
        f.write("\nnext\n".join(blocks) + "\n")


def split(body_file, events_out, state_out):
    with open(body_file) as f:
        body = f.read()
    with open(events_out, "w") as f:
        json.dump(json.loads(body)["events"], f, separators=(",", ":"))
    state = state_slice(body)
    with open(state_out, "w") as f:
        f.write(state)
    print(f"{body_file}: {len(body):,} bytes, state {len(state):,} bytes, "
          f"{len(json.loads(state)['cohorts'])} cohorts held", file=sys.stderr)


def run_once(cmd):
    """Wall time, user+system CPU and peak RSS of one run; a failed run stops everything.
    GNU time measures (its own small process forks the command: a child forked from this Python
    process would report Python's RSS as its peak)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        timed = ["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", "sh", "-c", cmd]
        start = time.perf_counter()
        proc = subprocess.run(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            die(f"`{cmd}` exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')[-2000:]}")
        _, user, system, max_kib = out.read().split()[-4:]
    return wall, float(user) + float(system), int(max_kib) / 1024


def bench(rounds, named):
    results = {name: [] for name, _ in named}
    for r in range(rounds):
        for name, cmd in named:
            wall, cpu, rss = run_once(cmd)
            results[name].append((wall, cpu, rss))
            print(f"round {r + 1} {name}: {wall:.3f} s wall, {cpu:.3f} s CPU, {rss:.1f} MiB",
                  file=sys.stderr, flush=True)
    print(f"{'tool':<10} {'wall ms min/median':>22} {'CPU ms min/median':>19} {'peak RSS MiB':>13}"
          f"  {'wall ÷ ' + named[0][0] + ' per round, min/median':>34}")
    base = [w for w, _, _ in results[named[0][0]]]
    for name, _ in named:
        walls = [w for w, _, _ in results[name]]
        cpus = [c for _, c, _ in results[name]]
        rss = [m for _, _, m in results[name]]
        ratios = [w / b for w, b in zip(walls, base)]
        print(f"{name:<10} {min(walls) * 1000:>10.1f} / {statistics.median(walls) * 1000:<9.1f} "
              f"{min(cpus) * 1000:>8.0f} / {statistics.median(cpus) * 1000:<8.0f} {max(rss):>11.1f}"
              f"  {min(ratios):>18.2f} / {statistics.median(ratios):.2f}")


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "session" and len(args) == 2:
        make_session(int(args[0]), args[1])
    elif cmd == "chain" and len(args) in (3, 4):
        chain(*args)
    elif cmd == "hurl" and len(args) == 4:
        hurl(*args)
    elif cmd == "postman" and len(args) == 3:
        postman(*args)
    elif cmd == "curlrc" and len(args) == 3:
        curlrc(*args)
    elif cmd == "split" and len(args) == 3:
        split(*args)
    elif cmd == "bench" and len(args) >= 2:
        named = []
        for spec in args[1:]:
            name, sep, command = spec.partition("=")
            if not sep:
                die(f"expected NAME=COMMAND, got {shlex.quote(spec)}")
            named.append((name, command))
        bench(int(args[0]), named)
    else:
        die(__doc__)


if __name__ == "__main__":
    main(sys.argv)

"""The same campaign sent the way a user would without this tool, against the same sandbox.

The bodies come from ``bulk-scheduler validate --offline --payloads out.jsonl`` (the exact
JSON ``run`` would send; no API needed). Then:

- a shell loop of one ``curl`` per row (the bodies written one file per row first);
- a sequential Python ``httpx`` loop, one ``POST`` after another on one connection;
- ``xargs -P C curl``: the parallel shell one-liner, for scale;
- ``bulk-scheduler run --concurrency C``.

The sequential loops send only the first ``--peer-rows`` rows (their pace does not
change over a run, and 2,000 rows one by one take about 4 minutes per loop); the
others send every row. The sandbox is reset between runs.

    .venv/bin/python bench/peers.py [--rows 2000] [--latency-ms 100] [--concurrency 32]
        [--peer-rows 200]
"""

from __future__ import annotations

import argparse
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import _common as bench

HTTPX_LOOP = """
import json, os, sys, time
import httpx
bodies = [json.loads(line)["body"] for line in open(sys.argv[1], encoding="utf-8")]
bodies = bodies[: int(sys.argv[2])]
headers = {"Authorization": "Bearer " + os.environ["GENVIRAL_API_KEY"]}
statuses = {}
with httpx.Client(base_url=os.environ["GENVIRAL_BASE_URL"], trust_env=False, timeout=30) as c:
    started = time.perf_counter()
    for body in bodies:
        status = c.post("/posts", json=body, headers=headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "statuses": statuses}))
"""

CURL = (
    "curl -sS -o /dev/null -w '%{http_code}\\n' --noproxy '*' -X POST "
    '-H "Authorization: Bearer $GENVIRAL_API_KEY" -H "Content-Type: application/json" '
)


@dataclass(slots=True)
class Peer:
    name: str
    rows: int
    wall_s: float
    sending_s: float
    cpu_s: float
    ok: int  # posts the sandbox holds afterwards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--peer-rows",
        type=int,
        default=200,
        help="Rows the sequential loops send (0: all of them).",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="Let the OS place the sandbox and the client; by default the sandbox gets the "
        "last CPU to itself, as if the API ran elsewhere.",
    )
    args = parser.parse_args()
    bench.pin_sandbox(not args.no_pin)
    peer_rows = min(args.peer_rows or args.rows, args.rows)

    with bench.scratch_dir("peers") as work:
        campaign = bench.write_campaign(work / "campaign.csv", bench.campaign_rows(args.rows))
        payloads = work / "payloads.jsonl"
        validate = [*bench.CLI, "validate", str(campaign), "--offline", "--quiet"]
        made = bench.run_measured([*validate, "--payloads", str(payloads)])
        if made.returncode != 0:
            raise RuntimeError(f"validate --payloads failed: {made.stderr[-2000:]}")
        bodies = _body_files(payloads, work / "bodies")
        if len(bodies) != args.rows:
            raise RuntimeError(f"expected {args.rows} payloads, got {len(bodies)}")
        with bench.sandbox_process(latency_ms=args.latency_ms) as sandbox:
            bench.log(f"bulk-scheduler run, concurrency {args.concurrency}")
            ours = _ours(sandbox, campaign, work, args)
            bench.log(f"curl loop, {peer_rows} rows")
            peers = [_curl_loop(sandbox, bodies[:peer_rows], work)]
            bench.log(f"httpx loop, {peer_rows} rows")
            peers.append(_httpx_loop(sandbox, payloads, peer_rows))
            bench.log(f"xargs -P {args.concurrency} curl, {args.rows} rows")
            peers.append(_curl_parallel(sandbox, bodies, work, args.concurrency))
        table: list[list[object]] = [_row(ours, ours, is_ours=True)]
        table += [_row(peer, ours) for peer in peers]

    headers = [
        "how",
        "rows sent",
        "wall s",
        "sending s",
        "rows/s (sending)",
        "bulk-scheduler is … faster",
        "client CPU ms/row",
        "posts created",
        "target",
    ]
    notes = [
        f"Sandbox process with --latency-ms {args.latency_ms:g}; campaign of {args.rows} CSV "
        "rows; the bodies are those of `bulk-scheduler validate --offline --payloads`. The "
        f"sequential loops send the first {peer_rows} rows (their pace is steady, so rows/s "
        "compares).",
        bench.placement_note(),
        "wall s: the whole process (for bulk-scheduler: start-up, validation, `GET /accounts`, "
        "journal and results sheet included). sending s: bulk-scheduler's own `started_at` to "
        "`finished_at`; for the others, the loop alone. rows/s and the speed-up use sending s.",
        "client CPU ms/row: user+sys of the process and the processes it waited for (each "
        "curl), per row sent.",
        f"Target (implied): `bulk-scheduler run --concurrency {args.concurrency}` sends faster "
        "than each other way.",
    ]
    bench.print_report(
        f"bulk-scheduler against hand-made senders ({args.latency_ms:g} ms latency)",
        headers,
        table,
        notes,
    )


def _body_files(payloads: Path, folder: Path) -> list[Path]:
    """One file per body, in sheet order, as a user would prepare them for a curl loop."""
    folder.mkdir()
    files = []
    with payloads.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            path = folder / f"{number:06d}.json"
            path.write_text(json.dumps(json.loads(line)["body"], ensure_ascii=False))
            files.append(path)
    return files


def _ours(sandbox: bench.Sandbox, campaign: Path, work: Path, args: argparse.Namespace) -> Peer:
    run = bench.run_campaign_cli(sandbox, campaign, work, concurrency=args.concurrency)
    return Peer(
        name=f"`bulk-scheduler run --concurrency {args.concurrency}`",
        rows=args.rows,
        wall_s=run.measured.wall_s,
        sending_s=run.sending_s,
        cpu_s=run.measured.cpu_s,
        ok=sandbox.stats()["posts_total"],
    )


def _curl_loop(sandbox: bench.Sandbox, bodies: list[Path], work: Path) -> Peer:
    listing = work / "loop-files.txt"
    listing.write_text("\n".join(str(p) for p in bodies) + "\n")
    script = (
        f'while IFS= read -r f; do {CURL}--data-binary @"$f" "$GENVIRAL_BASE_URL/posts"; '
        f"done < {shlex.quote(str(listing))}"
    )
    return _shell_peer(sandbox, "shell loop, one `curl` per row", script, len(bodies))


def _curl_parallel(
    sandbox: bench.Sandbox, bodies: list[Path], work: Path, concurrency: int
) -> Peer:
    listing = work / "xargs-files.txt"
    listing.write_text("\n".join(str(p) for p in bodies) + "\n")
    command = shlex.quote(CURL + '--data-binary @"$1" "$GENVIRAL_BASE_URL/posts"')
    # Each file goes to sh as $1, never spliced into the command text.
    script = f"xargs -P {concurrency} -n 1 sh -c {command} curl-one < {shlex.quote(str(listing))}"
    name = f"`xargs -P {concurrency}` + `curl`"
    return _shell_peer(sandbox, name, script, len(bodies))


def _shell_peer(sandbox: bench.Sandbox, name: str, script: str, rows: int) -> Peer:
    sandbox.reset()
    measured = bench.run_measured(["bash", "-c", script], env=sandbox.client_env())
    if measured.returncode != 0:
        raise RuntimeError(f"{name} failed: {measured.stderr[-2000:]}")
    created = sandbox.stats()["posts_total"]
    return Peer(name, rows, measured.wall_s, measured.wall_s, measured.cpu_s, created)


def _httpx_loop(sandbox: bench.Sandbox, payloads: Path, rows: int) -> Peer:
    sandbox.reset()
    measured = bench.run_measured(
        [bench.PYTHON, "-c", HTTPX_LOOP, str(payloads), str(rows)], env=sandbox.client_env()
    )
    if measured.returncode != 0:
        raise RuntimeError(f"httpx loop failed: {measured.stderr[-2000:]}")
    seconds = measured.json()["seconds"]
    created = sandbox.stats()["posts_total"]
    name = "sequential Python `httpx` loop"
    return Peer(name, rows, measured.wall_s, seconds, measured.cpu_s, created)


def _row(peer: Peer, ours: Peer, *, is_ours: bool = False) -> list[object]:
    speed = peer.rows / peer.sending_s
    ours_speed = ours.rows / ours.sending_s
    return [
        peer.name,
        peer.rows,
        f"{peer.wall_s:.1f}",
        f"{peer.sending_s:.1f}",
        f"{speed:.0f}",
        "—" if is_ours else f"{ours_speed / speed:.1f}×",
        f"{peer.cpu_s / peer.rows * 1000:.2f}",
        peer.ok,
        "—" if is_ours else f"faster {bench.mark(ours_speed > speed)}",
    ]


if __name__ == "__main__":
    main()

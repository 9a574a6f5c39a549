"""Local media uploads: the tool's uploader vs ``curl -T`` loops, side by side.

About 1 GB in 40 files (``--total-mb``, ``--files``) is uploaded to one sandbox process
(``bulk-scheduler sandbox``: its ``POST /files`` and its upload target) twice:

- **curl**: ``POST /files`` for every file first (not timed), then ``--concurrency``
  shell loops of ``curl -sS -T FILE -H 'Content-Type: video/mp4' URL``, each over its
  share of the files; wall time of the loops;
- **bulk-scheduler**: a child process that reads the files as ``run`` does
  (``find_local_media``: checked and hashed; not timed) and then calls the launch's
  uploader (``upload_files`` through ``PartnerClient.create_upload``) at the same
  concurrency: ``POST /files`` and the streamed ``PUT`` of each file, timed; its peak RSS
  for the whole process.

Targets: the uploader's throughput at least 80% of curl's, and its peak memory under
200 MB. The files are generated in a temporary folder (an MP4 header and random bytes,
each file different) and deleted at the end; the sandbox's stored copies are dropped
between the two sides.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    log,
    mark,
    placement_note,
    print_report,
    run_measured,
    sandbox_process,
    scratch_dir,
)

CHILD = r"""
import json, sys, time
from pathlib import Path
from bulk_scheduler import event_loop
from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.media.local_files import MediaFolders, find_local_media
from bulk_scheduler.media.upload import UploadOptions, upload_files

folder, base_url, key, concurrency = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
names = sorted(p.name for p in folder.glob("*.mp4"))
local = find_local_media(names, MediaFolders.for_campaign(folder / "c.csv"))
files = [local.files[n] for n in names]
assert all(f.usable for f in files), [f.problems for f in files]


async def main() -> float:
    async with PartnerClient(ApiKey(key), base_url) as client:
        started = time.perf_counter()
        options = UploadOptions(concurrency=concurrency)
        found = await upload_files(files, client.create_upload, options)
        elapsed = time.perf_counter() - started
    assert all(isinstance(v, str) for v in found.values()), found
    return elapsed


print(json.dumps({"seconds": event_loop.run(main()), "bytes": sum(f.size for f in files)}))
"""


def make_files(folder: Path, count: int, total_mb: int) -> int:
    """``count`` files of ``total_mb`` MB in all: an MP4 header, then random bytes."""
    from sample_campaigns.make_local_media import mp4

    size = total_mb * 1024 * 1024 // count
    header = mp4(20, 1080, 1920)[:-8]  # without its empty mdat
    block = os.urandom(1024 * 1024)
    written = 0
    for index in range(count):
        box_size = size - len(header)  # the mdat box: its 8-byte header and its content
        path = folder / f"clip{index:02d}.mp4"
        with path.open("wb") as handle:
            handle.write(header + box_size.to_bytes(4, "big") + b"mdat")
            handle.write(index.to_bytes(8, "big"))  # every file different
            left = box_size - 16
            while left > 0:
                handle.write(block[: min(left, len(block))])
                left -= len(block)
        written += path.stat().st_size
    return written


def curl_side(folder: Path, base_url: str, key: str, concurrency: int) -> float:
    files = sorted(folder.glob("*.mp4"))
    urls = []
    with httpx.Client(trust_env=False, timeout=30) as http:
        for path in files:
            answer = http.post(
                f"{base_url}/files",
                json={"contentType": "video/mp4", "filename": path.name},
                headers={"Authorization": f"Bearer {key}"},
            )
            answer.raise_for_status()
            urls.append(answer.json()["data"]["uploadUrl"])
    loops = []
    for lane in range(concurrency):
        commands = [
            f"curl -sS --noproxy '*' -o /dev/null -T '{path}' -H 'Content-Type: video/mp4' '{url}'"
            for path, url in list(zip(files, urls, strict=True))[lane::concurrency]
        ]
        loops.append(" && ".join(commands) or "true")
    started = time.perf_counter()
    processes = [subprocess.Popen(["sh", "-c", loop]) for loop in loops]
    codes = [p.wait() for p in processes]
    elapsed = time.perf_counter() - started
    if any(codes):
        raise SystemExit(f"a curl loop failed: {codes}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2, help="rounds, in alternating order")
    args = parser.parse_args()
    with scratch_dir("upload") as folder, sandbox_process() as sandbox:
        log(f"writing {args.files} files, {args.total_mb} MB in all …")
        total = make_files(folder, args.files, args.total_mb)
        files_url = f"{sandbox.root_url}/__sandbox/files"
        curl_times: list[float] = []
        our_times: list[float] = []
        peak = 0.0
        stored = {"curl": 0, "ours": 0}
        for round_index in range(args.repeat):
            sides = ["curl", "ours"] if round_index % 2 == 0 else ["ours", "curl"]
            for side in sides:
                httpx.post(files_url, json={"reset": True}, trust_env=False)
                log(f"round {round_index + 1}: {side} …")
                if side == "curl":
                    curl_times.append(
                        curl_side(folder, sandbox.base_url, sandbox.api_key, args.concurrency)
                    )
                else:
                    ours = run_measured(
                        [
                            sys.executable,
                            "-c",
                            CHILD,
                            str(folder),
                            sandbox.base_url,
                            sandbox.api_key,
                            str(args.concurrency),
                        ],
                        env=sandbox.client_env(),
                    )
                    if ours.returncode != 0:
                        raise SystemExit(f"the uploader failed:\n{ours.stderr}")
                    our_times.append(ours.json()["seconds"])
                    peak = max(peak, ours.max_rss_mb)
                stored[side] = httpx.get(files_url, trust_env=False).json()["uploads_completed"]
    curl_s, ours_s = min(curl_times), min(our_times)
    mib = total / 1024 / 1024
    curl_rate = mib / curl_s
    ours_rate = mib / ours_s
    share = ours_rate / curl_rate
    rows = [
        [
            f"`curl -T` × {args.concurrency} loops",
            f"{mib:,.0f}",
            stored["curl"],
            f"{curl_s:.2f}",
            f"{curl_rate:,.0f}",
            "100%",
            "-",
            "",
        ],
        [
            f"bulk-scheduler uploader, concurrency {args.concurrency}",
            f"{mib:,.0f}",
            stored["ours"],
            f"{ours_s:.2f}",
            f"{ours_rate:,.0f}",
            f"{share:.0%}",
            f"{peak:,.0f}",
            mark(share >= 0.8 and peak < 200),
        ],
    ]
    print_report(
        f"Uploading {args.files} local files ({mib:,.0f} MiB) to the sandbox",
        ["uploader", "MiB", "files stored", "seconds", "MiB/s", "of curl", "peak RSS MB", ""],
        rows,
        [
            "Target: at least 80% of curl's throughput, peak memory under 200 MB.",
            f"Best of {args.repeat} round(s) per side, the two sides in alternating order "
            "(curl first in odd rounds); peak RSS is the largest of the uploader's runs.",
            "Both sides PUT to the same sandbox upload target on loopback, which writes "
            "each file to disk; the uploader's time includes its POST /files calls, curl's "
            "does not.",
            placement_note(),
        ],
    )


if __name__ == "__main__":
    main()

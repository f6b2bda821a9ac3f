#!/usr/bin/env python3
"""`vlmnode bench view`'s browser side: opens the viewer page in headless Chromium (CDP over
`websockets`, the client in Tests/Support/browser_check.py) and measures, in the page, capture to
browser latency (Date.now() when the JPEG is decoded and drawn, minus the frame's stamp_ns),
frames drawn and bytes received per second.

usage: view_browser.py VIEW_PORT SECONDS
Prints "ready" once frames are drawn, then one JSON line with the figures after SECONDS.
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Support"))
from browser_check import CDP, free_port  # noqa: E402

import websockets  # noqa: E402


async def main(port, seconds):
    browser = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    profile = tempfile.mkdtemp(prefix="vlm-bench-")
    debug = free_port()
    proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={debug}",
                             f"--user-data-dir={profile}", "--window-size=1280,800", f"http://127.0.0.1:{port}/"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = None
        for _ in range(150):
            try:
                page = next((t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{debug}/json/list", timeout=2))
                             if t["type"] == "page"), None)
                if page:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            cdp = CDP(ws)
            while not await cdp.js("window.vlmView && vlmView.frames > 10"):
                await asyncio.sleep(0.2)
            await cdp.js("vlmView.latencies = []; vlmView.bytes = 0; vlmView.frames = 0; 0")
            print("ready", flush=True)
            start = time.time()
            await asyncio.sleep(seconds)
            r = await cdp.js("JSON.stringify({lat: vlmView.latencies, bytes: vlmView.bytes, frames: vlmView.frames})")
            elapsed = time.time() - start
            r = json.loads(r)
            lat = sorted(r["lat"])
            pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
            print(json.dumps({"p50_ms": pick(0.5), "p95_ms": pick(0.95), "fps": r["frames"] / elapsed,
                              "bytes_per_s": r["bytes"] / elapsed, "frames": r["frames"]}), flush=True)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))

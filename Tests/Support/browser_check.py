#!/usr/bin/env python3
"""Drives the real browser (Debian's chromium, headless) against `vlmnode view`'s page over the
Chrome DevTools Protocol (a small client on `websockets`), as a person would use the page.

usage: browser_check.py VIEW_PORT SCREENSHOT.png NEW_QUERY
1. opens http://127.0.0.1:VIEW_PORT/, waits until frames are drawn and a detection box is on them;
2. takes a screenshot (Page.captureScreenshot) and checks, in the screenshot's pixels, that the frame
   is visible and that the box's edge has the label's colour (FNV-1a palette) where the box is;
3. clicks the text field, types NEW_QUERY, clicks Send (real input events), and waits until the
   detector's results on the page report queries_version 2 with the new query.
Prints "OK …" on success, "FAIL …" and exits 1 otherwise.
"""
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import websockets

PALETTE = [(255, 56, 56), (50, 205, 50), (30, 144, 255), (255, 178, 29), (207, 56, 255),
           (0, 212, 187), (255, 115, 200), (146, 204, 23), (255, 149, 0), (72, 249, 255)]


def colour(label):
    h = 0x811C9DC5
    for b in label.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return PALETTE[h % len(PALETTE)]


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def decode_png(data):
    """8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) -> (w, h, channels, rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat, w = 8, b"", None
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                fail(f"unexpected PNG format depth {depth} colour type {ctype}")
            ch = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b, c = prev[x], (prev[x - ch] if x >= ch else 0)
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, ch, rows


class CDP:
    def __init__(self, ws):
        self.ws, self.next = ws, 1

    async def call(self, method, **params):
        mid, self.next = self.next, self.next + 1
        await self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(await self.ws.recv())
            if m.get("id") == mid:
                if "error" in m:
                    fail(f"{method}: {m['error']}")
                return m["result"]

    async def js(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r["result"].get("value")

    async def click(self, selector):
        rect = await self.js(f"(()=>{{const r=document.querySelector('{selector}').getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]}})()")
        for kind in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1], button="left", clickCount=1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def inside(d, width=320, height=240):
    """A drawn box whose four edges fall inside the frame (the test source is 320x240), at least 6 px wide and tall."""
    b = d.get("box")
    return bool(b) and 2 <= b[0] and b[2] <= width - 2 and 2 <= b[1] and b[3] <= height - 2 and b[2] - b[0] >= 6 and b[3] - b[1] >= 6


async def run(view_port, shot_path, new_query):
    browser = shutil.which("chromium") or shutil.which("chromium-headless-shell")
    profile = tempfile.mkdtemp(prefix="vlm-chromium-")
    debug = free_port()
    proc = subprocess.Popen([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={debug}",
                             f"--user-data-dir={profile}", "--window-size=1280,800", "--no-first-run",
                             f"http://127.0.0.1:{view_port}/"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own group: the renderer and zygote go with it
    try:
        page = None
        for _ in range(100):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{debug}/json/list", timeout=2))
                page = next((t for t in targets if t["type"] == "page"), None)
                if page:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not page:
            fail("chromium exposed no page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            cdp = CDP(ws)
            state = None
            deadline = time.time() + 60
            while time.time() < deadline:
                state = await cdp.js("window.vlmView ? JSON.stringify({frames: vlmView.frames, drawn: vlmView.drawn, "
                                     "results: vlmView.results}) : null")
                state = json.loads(state) if state else None
                if state and state["frames"] >= 3 and any(inside(d) for d in (state["drawn"] or [])):
                    break
                await asyncio.sleep(0.3)
            else:
                fail(f"no frame with a drawn box within 60 s: {json.dumps(state)[:400]}")
            # Freeze drawing on the current results, then look at what the browser shows.
            await cdp.js("vlmView.results = JSON.parse(JSON.stringify(vlmView.results)); 0")
            await asyncio.sleep(0.5)
            # Results keep arriving while the page is read: the boxes read and the screenshot can
            # come from different redraws, so a few attempts are allowed (each one reads, then shoots).
            problem = None
            for _attempt in range(8):
                drawn = json.loads(await cdp.js("JSON.stringify(vlmView.drawn)"))
                box_item = next((d for d in drawn if inside(d)), None)
                if not box_item:
                    problem = f"no box inside the frame among {drawn}"
                    await asyncio.sleep(0.3)
                    continue
                rect = await cdp.js("(()=>{const c=document.getElementById('view'),r=c.getBoundingClientRect();return [r.x,r.y,r.width/c.width,r.height/c.height]})()")
                shot = base64.b64decode((await cdp.call("Page.captureScreenshot", format="png"))["data"])
                open(shot_path, "wb").write(shot)
                w, h, ch, rows = decode_png(shot)
                def px(x, y):
                    X = min(max(int(round(rect[0] + x * rect[2])), 0), w - 1)
                    Y = min(max(int(round(rect[1] + y * rect[3])), 0), h - 1)
                    return tuple(rows[Y][X * ch:X * ch + 3])
                want = colour(box_item["label"])
                x0, y0, x1, y1 = box_item["box"]
                # The left and right edges, away from the label bar at the top.
                ys = [y0 + (y1 - y0) * k / 10 for k in range(3, 10)]
                samples = [px(x, y) for x in (x0, x1) for y in ys]
                close = sum(1 for p in samples if sum(abs(a - b) for a, b in zip(p, want)) <= 60)
                if close < len(samples) * 0.6:
                    problem = f"box {box_item} edge pixels {samples[:6]} are not the label colour {want} ({close}/{len(samples)})"
                    await asyncio.sleep(0.3)
                    continue
                # The frame itself is visible: many distinct colours inside the canvas.
                cw, chh = await cdp.js("[document.getElementById('view').width, document.getElementById('view').height]")
                distinct = {px(cw * i / 17, chh * j / 13) for i in range(1, 17) for j in range(1, 13)}
                if len(distinct) < 6:
                    problem = f"the frame is not visible in the screenshot ({len(distinct)} distinct colours)"
                    await asyncio.sleep(0.3)
                    continue
                problem = None
                break
            if problem:
                fail(problem)
            print(f"screenshot: box of '{box_item['label']}' at {[round(v, 1) for v in box_item['box']]} drawn in {want} "
                  f"({close}/{len(samples)} edge pixels), frame visible ({len(distinct)} colours)", flush=True)

            # Type a new query as a person would, and press Send.
            await cdp.js("vlmView.results = {}; 0")
            await cdp.click("#text")
            await cdp.call("Input.insertText", text=new_query)
            await cdp.click("#send")
            deadline = time.time() + 60
            while time.time() < deadline:
                r = json.loads(await cdp.js("JSON.stringify(Object.values(vlmView.results).filter(r => r.type === 'vlm/Detections'))") or "[]")
                if any(x.get("queries_version") == 2 and x.get("queries") == [new_query] for x in r):
                    print(f"query: page sent '{new_query}', detector now reports queries_version 2", flush=True)
                    print("OK")
                    return
                await asyncio.sleep(0.3)
            status = await cdp.js("JSON.stringify(vlmView.status)")
            fail(f"queries_version never became 2 (page status {status})")
    finally:
        # The whole browser process group, and never an unbounded wait: a wedged chromium must not
        # keep the test (and CI) waiting.
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(run(int(sys.argv[1]), sys.argv[2], sys.argv[3]), timeout=200))
    except asyncio.TimeoutError:
        fail("the page check took over 200 s")

#!/usr/bin/env python3
"""Foxglove WebSocket conformance of `vlmnode view`, with the `websockets` client library.

usage: foxglove_ws_check.py PORT
Checks (one line each, "FAIL …" and exit 1 on the first failure):
  subprotocols foxglove.sdk.v1 and foxglove.websocket.v1 are accepted and echoed, an unknown one refused;
  serverInfo and advertise parse; subscribe yields opcode-1 messages with our subscription id whose
  payload decodes with the advertised schema (protobuf FileDescriptorSet / JSON Schema); unsubscribe
  stops them; a client that stops reading does not slow a second client's frames (measured).
"""
import asyncio
import base64
import json
import socket
import struct
import sys
import time

import websockets
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PORT = int(sys.argv[1])
URL = f"ws://127.0.0.1:{PORT}/"


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def message_class(channel):
    fds = descriptor_pb2.FileDescriptorSet.FromString(base64.b64decode(channel["schema"]))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(channel["schemaName"]))


async def hello(ws):
    info = json.loads(await ws.recv())
    if info.get("op") != "serverInfo" or not isinstance(info.get("capabilities"), list) or "name" not in info:
        fail(f"first message is not serverInfo: {info}")
    return info


async def channels(ws, want, timeout=15):
    found, deadline = {}, time.time() + timeout
    while time.time() < deadline:
        try:
            m = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.time()))
        except asyncio.TimeoutError:
            break
        if isinstance(m, str):
            m = json.loads(m)
            if m["op"] == "advertise":
                for c in m["channels"]:
                    for key in ("id", "topic", "encoding", "schemaName", "schema"):
                        if key not in c:
                            fail(f"advertised channel without {key}: {c}")
                    found[c["id"]] = c
        if all(any(pred(c) for c in found.values()) for pred in want):
            return found
    fail(f"advertise never listed every channel wanted; got {[(c['topic'], c['schemaName']) for c in found.values()]}")


def parse_data(b):
    if b[0] != 1:
        fail(f"binary opcode {b[0]}, expected 1")
    sub, log_time = struct.unpack_from("<IQ", b, 1)
    return sub, log_time, b[13:]


async def next_data(ws, sub_id, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.time()))
        if isinstance(m, bytes):
            sub, log_time, payload = parse_data(m)
            if sub == sub_id:
                return log_time, payload
    fail(f"no message for subscription {sub_id} within {timeout} s")


async def subprotocols():
    for name in ("foxglove.sdk.v1", "foxglove.websocket.v1"):
        async with websockets.connect(URL, subprotocols=[name], max_size=None) as ws:
            if ws.subprotocol != name:
                fail(f"offered {name}, server chose {ws.subprotocol}")
            await hello(ws)
    print("subprotocols: foxglove.sdk.v1 and foxglove.websocket.v1 accepted and echoed")
    try:
        async with websockets.connect(URL, subprotocols=["bogus.v1"]) as ws:
            fail(f"unknown subprotocol accepted (server chose {ws.subprotocol})")
    except (websockets.exceptions.InvalidStatus, websockets.exceptions.NegotiationError, websockets.exceptions.InvalidHandshake) as e:
        print(f"subprotocols: bogus.v1 refused ({type(e).__name__})")


async def subscribe_and_decode():
    async with websockets.connect(URL, subprotocols=["foxglove.sdk.v1"], max_size=None) as ws:
        await hello(ws)
        found = await channels(ws, [lambda c: c["schemaName"] == "foxglove.RawImage",
                                    lambda c: c["schemaName"] == "foxglove.CompressedImage"])
        raw = next(c for c in found.values() if c["schemaName"] == "foxglove.RawImage")
        jpeg = next(c for c in found.values() if c["schemaName"] == "foxglove.CompressedImage")
        if raw.get("schemaEncoding") != "protobuf" or raw["encoding"] != "protobuf":
            fail(f"raw channel encodings {raw}")
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": [{"id": 42, "channelId": raw["id"]}, {"id": 43, "channelId": jpeg["id"]}]}))
        _, payload = await next_data(ws, 42)
        img = message_class(raw).FromString(payload)
        if img.width <= 0 or len(img.data) != img.step * img.height or img.encoding not in ("rgb8", "bgr8", "mono8"):
            fail(f"RawImage {img.width}x{img.height} step {img.step} with {len(img.data)} bytes")
        stamp = img.timestamp.seconds * 10**9 + img.timestamp.nanos
        if abs(time.time_ns() - stamp) > 30 * 10**9:
            fail(f"RawImage timestamp {stamp} is not a recent capture time")
        _, payload = await next_data(ws, 43)
        jp = message_class(jpeg).FromString(payload)
        if jp.format != "jpeg" or jp.data[:2] != b"\xff\xd8":
            fail(f"CompressedImage format {jp.format}, data starts {jp.data[:4]!r}")
        print(f"subscribe: RawImage {img.width}x{img.height} {img.encoding} and a {len(jp.data)}-byte JPEG decoded with the advertised schemas")
        await ws.send(json.dumps({"op": "unsubscribe", "subscriptionIds": [42, 43]}))
        quiet_from = time.time() + 0.5
        late = 0
        while time.time() < quiet_from + 1.5:
            try:
                m = await asyncio.wait_for(ws.recv(), timeout=0.2)
            except asyncio.TimeoutError:
                continue
            if isinstance(m, bytes) and parse_data(m)[0] in (42, 43) and time.time() > quiet_from:
                late += 1
        if late:
            fail(f"{late} messages for unsubscribed ids more than 0.5 s after unsubscribe")
        print("unsubscribe: no further messages")
        return raw, found


async def json_channels(found_raw):
    import jsonschema
    async with websockets.connect(URL, subprotocols=["foxglove.websocket.v1"], max_size=None) as ws:
        await hello(ws)
        found = await channels(ws, [lambda c: c["encoding"] == "json"], timeout=20)
        js = [c for c in found.values() if c["encoding"] == "json"]
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": [{"id": 100 + i, "channelId": c["id"]} for i, c in enumerate(js)]}))
        c = js[0]
        _, payload = await next_data(ws, 100, timeout=30)
        obj = json.loads(payload)
        jsonschema.validate(obj, json.loads(c["schema"]))
        print(f"json: {c['topic']} ({c['schemaName']}) payload validates against the advertised JSON Schema")


def stalled_client(channel_id):
    """A client that completes the handshake, subscribes to raw frames, then never reads again."""
    s = socket.create_connection(("127.0.0.1", PORT))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(b"0123456789abcdef").decode()
    s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: foxglove.sdk.v1\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        fail(f"stalled client handshake: {head[:80]!r}")
    body = json.dumps({"op": "subscribe", "subscriptions": [{"id": 7, "channelId": channel_id}]}).encode()
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(body)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(body))
    s.sendall(frame)
    return s  # never read again


async def measure(channel_id, seconds):
    async with websockets.connect(URL, subprotocols=["foxglove.sdk.v1"], max_size=None) as ws:
        await hello(ws)
        await ws.send(json.dumps({"op": "subscribe", "subscriptions": [{"id": 9, "channelId": channel_id}]}))
        frames, lat = 0, []
        end = time.time() + seconds
        while time.time() < end:
            try:
                m = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except asyncio.TimeoutError:
                continue
            if isinstance(m, bytes) and parse_data(m)[0] == 9:
                frames += 1
                lat.append((time.time_ns() - parse_data(m)[1]) / 1e6)
        lat.sort()
        return frames / seconds, (lat[len(lat) // 2] if lat else float("inf"))


async def stall(raw):
    base_rate, base_lat = await measure(raw["id"], 3)
    stalled = stalled_client(raw["id"])
    await asyncio.sleep(2)  # the stalled client's socket buffers fill up
    rate, lat = await measure(raw["id"], 3)
    print(f"stall: second client {base_rate:.1f} fps (p50 {base_lat:.1f} ms since receipt) alone, "
          f"{rate:.1f} fps (p50 {lat:.1f} ms) beside a client that stopped reading")
    stalled.close()
    if base_rate <= 0 or rate < 0.6 * base_rate:
        fail("the stalled client slowed the second client")


async def advertised_topics():
    """--topics-only: print the advertised (topic, schema) pairs once frames and a json channel are there."""
    async with websockets.connect(URL, subprotocols=["foxglove.websocket.v1"], max_size=None) as ws:
        await hello(ws)
        found = await channels(ws, [lambda c: c["schemaName"] == "foxglove.RawImage", lambda c: c["encoding"] == "json"], timeout=90)
        for c in sorted(found.values(), key=lambda c: c["topic"]):
            print(f"channel {c['topic']} {c['schemaName']}")
        print("OK")


async def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--topics-only":
        return await advertised_topics()
    await subprotocols()
    raw, _ = await subscribe_and_decode()
    if len(sys.argv) > 2 and sys.argv[2] == "--json":
        await json_channels(raw)
    await stall(raw)
    print("OK")


asyncio.run(main())

#!/usr/bin/env python3
"""A robot-controller client for vlmnode frames, using only pyzmq and numpy.

    python3 frames_subscriber.py --connect tcp://127.0.0.1:5555 [--topic /camera/image] [--count 30] [--latest]

Each message is [topic][header JSON][pixels] (docs/protocol.md, protocol v1). Prints one line per
frame: seq, size, encoding, bytes and latency (now - stamp_ns, same-host clocks), then a summary
with the seq gaps (frames this client never saw) and malformed messages skipped.
"""
import argparse
import json
import sys
import time

import numpy as np
import zmq

PROTOCOL_VERSION = 1
CHANNELS = {"rgb8": 3, "bgr8": 3, "gray8": 1}


def parse_frame(parts):
    """Returns (topic, header, pixels as an (h, w, c) uint8 array) or raises ValueError."""
    if len(parts) != 3:
        raise ValueError(f"{len(parts)} parts, a frame has 3")
    topic = bytes(parts[0].buffer).decode("utf-8")
    header = json.loads(bytes(parts[1].buffer))
    if header.get("v") != PROTOCOL_VERSION:
        raise ValueError(f"protocol version {header.get('v')!r}, expected {PROTOCOL_VERSION}")
    if header.get("type") != "vlm/Frame":
        raise ValueError(f"type {header.get('type')!r} is not vlm/Frame")
    w, h, step, enc = header["width"], header["height"], header["step"], header["encoding"]
    c = CHANNELS.get(enc)
    if c is None:
        raise ValueError(f"encoding {enc!r} not handled here")
    blob = parts[2].buffer  # a memoryview onto ZeroMQ's buffer: no copy
    if len(blob) != step * h or step < w * c:
        raise ValueError(f"{len(blob)} bytes for {w}x{h} {enc} step {step}")
    rows = np.frombuffer(blob, dtype=np.uint8).reshape(h, step)
    return topic, header, rows[:, : w * c].reshape(h, w, c)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connect", required=True, help="endpoint a vlmnode publisher printed")
    ap.add_argument("--topic", default="/camera/image")
    ap.add_argument("--count", type=int, default=0, help="exit after N frames (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=10.0, help="exit 1 after this many seconds without a frame")
    ap.add_argument("--latest", action="store_true",
                    help="always take the newest frame: drain what is queued and keep the last")
    args = ap.parse_args()

    ctx = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    if args.latest:
        sub.setsockopt(zmq.RCVHWM, 2)  # keep libzmq from queueing many old frames for us
    sub.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    sub.connect(args.connect)
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)

    received = malformed = gaps = 0
    last_seq = None
    try:
        while args.count == 0 or received < args.count:
            if not poller.poll(args.timeout * 1000):
                print(f"no frame on {args.topic} from {args.connect} within {args.timeout} s", file=sys.stderr)
                return 1
            parts = sub.recv_multipart(copy=False)
            if args.latest:  # newest wins: skip what is already stale
                while True:
                    try:
                        parts = sub.recv_multipart(flags=zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
            try:
                topic, header, pixels = parse_frame(parts)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                malformed += 1
                print(f"skipped a malformed message: {e}", file=sys.stderr)
                continue
            if topic != args.topic:  # SUB filters by prefix; we want the exact topic
                continue
            seq = header["seq"]
            if last_seq is not None and seq > last_seq + 1:
                gaps += seq - last_seq - 1
            last_seq = seq
            received += 1
            latency_ms = (time.time_ns() - header["stamp_ns"]) / 1e6
            h, w, c = pixels.shape
            print(f"seq={seq} {w}x{h} {header['encoding']} {pixels.nbytes} bytes "
                  f"mean={pixels.mean():.1f} latency={latency_ms:.2f} ms", flush=True)
    except KeyboardInterrupt:
        pass
    print(f"received {received} frames, {gaps} missed (seq gaps), {malformed} malformed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A robot-controller client for vlmnode frames, using only pyzmq and numpy.

    python3 frames_subscriber.py --connect tcp://127.0.0.1:5555 [--topic /camera/image] [--count 30]
                                 [--latest] [--sleep 1.0] [--report] [--shm]

Each message is [topic][header JSON][pixels] (docs/protocol.md, protocol v1). Prints one line per
frame: seq, size, encoding, bytes and latency (now - stamp_ns, same-host clocks), then a summary
with the seq gaps (frames this client never saw) and malformed messages skipped.

--latest: a background thread drains the socket and keeps only the newest frame, so a slow
controller always gets a fresh one (what vlmnode's own Subscriber does). --report: tell the
publisher how many frames this client missed (XSUB socket; protocol section 5). --shm: same
host only: read the pixels in place from the publisher's shared-memory ring (vlm_shm.py, protocol
section 8); frames overwritten before or while they were read are dropped and counted.
"""
import argparse
import json
import os
import sys
import threading
import time
import zlib

import numpy as np
import zmq

import vlm_shm

PROTOCOL_VERSION = 1
CHANNELS = {"rgb8": 3, "bgr8": 3, "gray8": 1}


def parse_frame(parts, shared=None):
    """Returns (topic, header, pixels as an (h, w, c) uint8 array, shared view or None) or
    raises ValueError; pixels is None for a shared frame that could not be had (counted)."""
    if shared is not None and len(parts) == 2:
        topic = bytes(parts[0].buffer).decode("utf-8")
        header = json.loads(bytes(parts[1].buffer))
        if header.get("v") != PROTOCOL_VERSION or header.get("type") != vlm_shm.MESSAGE_TYPE:
            raise ValueError(f"not a v{PROTOCOL_VERSION} {vlm_shm.MESSAGE_TYPE}")
        view = shared.resolve(header)
        return topic[len(vlm_shm.MARKER):], header, (view.pixels if view else None), view
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
    return topic, header, rows[:, : w * c].reshape(h, w, c), None


class Receiver(threading.Thread):
    """Owns the socket (ZeroMQ sockets stay on one thread). In latest mode it keeps one slot that
    newer messages overwrite; otherwise a FIFO. Sends drop reports upstream when asked to."""

    def __init__(self, sock, latest, report_topic=None):
        super().__init__(daemon=True)
        self.sock, self.latest, self.report_topic = sock, latest, report_topic
        self.cond = threading.Condition()
        self.pending = []
        self.stop = threading.Event()
        self.received = self.dropped = 0  # written by the reader, reported by this thread
        self.reporter_id = os.urandom(8).hex()

    def run(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        last_report = 0.0
        while not self.stop.is_set():
            if poller.poll(100):
                parts = self.sock.recv_multipart(copy=False)
                with self.cond:
                    if self.latest:
                        self.pending = [parts]
                    else:
                        self.pending.append(parts)
                    self.cond.notify()
            if self.report_topic and time.monotonic() - last_report >= 0.5:
                last_report = time.monotonic()
                self.send_report()
        if self.report_topic:
            self.send_report()
        self.sock.close(linger=500)

    def send_report(self):
        report = {"vlm_stats": 1, "sub": self.reporter_id,
                  "topics": {self.report_topic: {"received": self.received, "dropped": self.dropped}}}
        try:
            self.sock.send(json.dumps(report).encode(), zmq.NOBLOCK)
        except zmq.Again:
            pass

    def take(self, timeout):
        with self.cond:
            if not self.pending:
                self.cond.wait(timeout)
            return self.pending.pop(0) if self.pending else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connect", required=True, help="endpoint a vlmnode publisher printed")
    ap.add_argument("--topic", default="/camera/image")
    ap.add_argument("--count", type=int, default=0, help="exit after N frames (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=10.0, help="exit 1 after this many seconds without a frame")
    ap.add_argument("--latest", action="store_true", help="always take the newest frame")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds to sleep per frame (a slow controller)")
    ap.add_argument("--report", action="store_true", help="send drop counts upstream to the publisher")
    ap.add_argument("--shm", action="store_true", help="same host: read frames in place from shared memory")
    args = ap.parse_args()
    shared = vlm_shm.SharedFrames() if args.shm else None
    subscription = (vlm_shm.MARKER if args.shm else "") + args.topic

    ctx = zmq.Context.instance()
    # XSUB is a SUB that can also send upstream; it subscribes by sending b"\x01" + prefix.
    sock = ctx.socket(zmq.XSUB if args.report else zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 4 if args.latest else 1000)
    if args.report:
        sock.send(b"\x01" + subscription.encode())
    else:
        sock.setsockopt(zmq.SUBSCRIBE, subscription.encode())
    sock.connect(args.connect)
    receiver = Receiver(sock, args.latest, args.topic if args.report else None)
    receiver.start()

    received = malformed = gaps = 0
    last_seq = None
    status = 0
    try:
        while args.count == 0 or received < args.count:
            parts = receiver.take(args.timeout)
            if parts is None:
                print(f"no frame on {args.topic} from {args.connect} within {args.timeout} s", file=sys.stderr)
                status = 1
                break
            try:
                topic, header, pixels, view = parse_frame(parts, shared)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                malformed += 1
                print(f"skipped a malformed message: {e}", file=sys.stderr)
                continue
            if topic != args.topic or pixels is None:  # SUB filters by prefix; we want the exact topic
                continue
            # Everything read from a shared slot counts only if the slot was intact afterwards.
            mean, crc = pixels.mean(), zlib.crc32(np.ascontiguousarray(pixels))
            if view is not None and not view.intact():
                continue
            seq = header["seq"]
            if last_seq is not None and seq > last_seq + 1:
                gaps += seq - last_seq - 1
            last_seq = seq
            received += 1
            receiver.received, receiver.dropped = received, gaps
            latency_ms = (time.time_ns() - header["stamp_ns"]) / 1e6
            h, w, c = pixels.shape
            print(f"seq={seq} {w}x{h} {header['encoding']} {pixels.nbytes} bytes "
                  f"mean={mean:.1f} crc32={crc:08x} latency={latency_ms:.2f} ms", flush=True)
            if args.sleep:
                time.sleep(args.sleep)
    except KeyboardInterrupt:
        pass
    receiver.stop.set()
    receiver.join()
    print(f"received {received} frames, {gaps} missed (seq gaps), {malformed} malformed", flush=True)
    if shared is not None:
        print(f"shared memory: {shared.resolved} resolved, {shared.reclaimed} reclaimed, {shared.torn} torn, "
              f"{shared.unavailable} unavailable", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

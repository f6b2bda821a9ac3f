#!/usr/bin/env python3
"""A robot-controller client for vlmnode frames, on the vlmnode Python SDK (python/: pyzmq + numpy).

    python3 frames_subscriber.py --connect tcp://127.0.0.1:5555 [--topic /camera/image] [--count 30]
                                 [--latest] [--sleep 1.0] [--shm]

Prints one line per frame: seq, size, encoding, bytes, mean, CRC-32 and latency (now - stamp_ns,
same-host clocks), then a summary with the seq gaps (frames this client never saw) and malformed
messages skipped. The SDK's subscription owns the socket on a background thread, validates every
message (docs/protocol.md, protocol v1) and tells the publisher how many frames this client
missed (protocol section 5).

--latest: keep only the newest frame, so a slow controller always gets a fresh one (what vlmnode's
own Subscriber does). --shm: same host only: read the pixels in place from the publisher's
shared-memory ring (python/vlmnode/shm.py, protocol section 8); a frame overwritten before or
while it was read is dropped and counted. Without --shm the pixels come inline, as any plain
ZeroMQ client gets them.
"""
import argparse
import os
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vlmnode import Binding, Node  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connect", required=True, help="endpoint a vlmnode publisher printed")
    ap.add_argument("--topic", default="/camera/image")
    ap.add_argument("--count", type=int, default=0, help="exit after N frames (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=10.0, help="exit 1 after this many seconds without a frame")
    ap.add_argument("--latest", action="store_true", help="always take the newest frame")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds to sleep per frame (a slow controller)")
    ap.add_argument("--report", action="store_true", help="(always on) drop counts go upstream to the publisher")
    ap.add_argument("--shm", action="store_true", help="same host: read frames in place from shared memory")
    args = ap.parse_args()

    node = Node(name="/frames_subscriber", inputs={"image": Binding(args.topic, "vlm/Frame", args.connect)})
    frames = node.subscribe("image", latest=args.latest, capacity=1000, shm=args.shm)
    received = gaps = 0
    last_seq = None
    status = 0
    try:
        while args.count == 0 or received < args.count:
            frame = frames.receive(timeout=args.timeout)
            if frame is None:
                print(f"no frame on {args.topic} from {args.connect} within {args.timeout} s", file=sys.stderr)
                status = 1
                break
            if frame.pixels is None:
                print(f"skipped a frame in encoding {frame.encoding!r}", file=sys.stderr)
                continue
            pixels = frame.pixels
            mean, crc = pixels.mean(), zlib.crc32(np.ascontiguousarray(pixels))
            # Whatever was read from a shared slot counts only if the slot was intact afterwards.
            if hasattr(frame, "intact") and not frame.intact():
                continue
            if last_seq is not None and frame.seq > last_seq + 1:
                gaps += frame.seq - last_seq - 1
            last_seq = frame.seq
            received += 1
            latency_ms = (time.time_ns() - frame.stamp_ns) / 1e6
            h, w, _ = pixels.shape
            print(f"seq={frame.seq} {w}x{h} {frame.encoding} {pixels.nbytes} bytes "
                  f"mean={mean:.1f} crc32={crc:08x} latency={latency_ms:.2f} ms", flush=True)
            if args.sleep:
                time.sleep(args.sleep)
    except KeyboardInterrupt:
        pass
    print(f"received {received} frames, {gaps} missed (seq gaps), {frames.malformed} malformed", flush=True)
    shared = frames.shared_frames
    if shared is not None:
        print(f"shared memory: {shared.resolved} resolved, {shared.reclaimed} reclaimed, {shared.torn} torn, "
              f"{shared.unavailable} unavailable", flush=True)
    # Let the last drop report go out (every half second) before the socket closes.
    time.sleep(0.6 if args.sleep else 0)
    node.close()
    return status


if __name__ == "__main__":
    sys.exit(main())

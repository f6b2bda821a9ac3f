#!/usr/bin/env python3
"""A robot-controller sketch: subscribe to vlm/Detections and print the best box per query.

Needs only pyzmq. Start a detector first, e.g.

    vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock &
    vlmnode node detect --input ipc:///tmp/cam.sock --queries "red cup, blue bowl" \
        --bind ipc:///tmp/det.sock --queries-endpoint ipc:///tmp/queries.sock --queries-bind &
    python3 detections_controller.py --connect ipc:///tmp/det.sock \
        --queries-endpoint ipc:///tmp/queries.sock --set-queries "red cup, robot gripper"

Started by `vlmnode launch` (Launch/detect_camera.launch), it needs no options: the endpoint and
topic of its `detections` input come from the VLMNODE_WIRING environment variable (and, when the
detector runs on another machine, the CURVE key files: Launch/robot_workstation.launch).

One line per result: the frame it came from, its latency, and per query the best box (or "-").
With --set-queries, the controller first replaces the node's queries (a vlm/Text message on the
node's queries input, which the node binds) and waits for results that use them.
"""
import argparse
import json
import os
import sys
import time

import zmq
import zmq.auth


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connect", help="endpoint the detector publishes on (default: from VLMNODE_WIRING)")
    ap.add_argument("--topic", help="detections topic (default: from VLMNODE_WIRING, else /detections)")
    ap.add_argument("--count", type=int, default=0, help="stop after N results (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=30, help="give up after this many seconds without a result")
    ap.add_argument("--queries-endpoint", help="the detector's (bound) queries input")
    ap.add_argument("--queries-topic", default="/detections/queries")
    ap.add_argument("--set-queries", help='replace the queries, e.g. "red cup, robot gripper"')
    args = ap.parse_args()

    security = {}
    if not args.connect or not args.topic:
        wiring = json.loads(os.environ.get("VLMNODE_WIRING", "{}"))
        port = wiring.get("inputs", {}).get("detections", {})
        security = port.get("security") or {} if not args.connect else {}
        args.connect = args.connect or port.get("endpoint")
        args.topic = args.topic or port.get("topic") or "/detections"
    if not args.connect:
        sys.exit("no detections endpoint: give --connect ENDPOINT (or run from a launch file)")

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    if security.get("server_key"):
        # The detector is on another machine: CURVE with the key files the launch handed us.
        sub.curve_publickey, sub.curve_secretkey = zmq.auth.load_certificate(security["identity"])
        sub.curve_serverkey, _ = zmq.auth.load_certificate(security["server_key"])
    sub.connect(args.connect)
    sub.setsockopt_string(zmq.SUBSCRIBE, args.topic)
    sub.setsockopt(zmq.RCVTIMEO, int(args.timeout * 1000))

    wanted_version = None
    if args.set_queries:
        if not args.queries_endpoint:
            sys.exit("--set-queries needs --queries-endpoint")
        pub = ctx.socket(zmq.PUB)
        pub.connect(args.queries_endpoint)
        time.sleep(0.5)  # let the connection and subscription settle (PUB drops until then)
        header = {"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": time.time_ns(), "text": args.set_queries}
        pub.send_multipart([args.queries_topic.encode(), json.dumps(header).encode()])
        wanted = [q.strip() for q in args.set_queries.split(",") if q.strip()]

    received = 0
    while args.count == 0 or received < args.count:
        try:
            parts = sub.recv_multipart()
        except zmq.Again:
            sys.exit(f"no detections within {args.timeout} s")
        if len(parts) < 2 or parts[0].decode("utf-8", "replace") != args.topic:
            continue
        try:
            h = json.loads(parts[1])
        except ValueError:
            continue
        if h.get("type") != "vlm/Detections":
            continue
        if args.set_queries and wanted_version is None:
            if h.get("queries") != wanted:
                continue  # results still computed with the old queries
            wanted_version = h.get("queries_version")
        best = {}
        for d in h.get("detections", []):
            if d["label"] not in best or d["score"] > best[d["label"]]["score"]:
                best[d["label"]] = d
        cells = []
        for q in h.get("queries", []):
            d = best.get(q)
            cells.append(f"{q}: " + (f"{d['score']:.2f} [{', '.join(f'{v:.0f}' for v in d['box'])}]" if d else "-"))
        print(f"frame {h.get('source_seq')} latency {h.get('latency_ms', 0):.0f} ms "
              f"queries v{h.get('queries_version')} dropped {h.get('frames_dropped')} | " + " | ".join(cells), flush=True)
        received += 1
    print(f"received {received} results")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""A robot-controller sketch: subscribe to vlm/Detections and print the best box per query.

Written on the vlmnode Python SDK (python/vlmnode: pyzmq + numpy). Start a detector first, e.g.

    vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock &
    vlmnode node detect --input ipc:///tmp/cam.sock --queries "red cup, blue bowl" \
        --bind ipc:///tmp/det.sock --queries-endpoint ipc:///tmp/queries.sock --queries-bind &
    python3 detections_controller.py --connect ipc:///tmp/det.sock \
        --queries-endpoint ipc:///tmp/queries.sock --set-queries "red cup, robot gripper"

Started by `vlmnode launch` (Launch/detect_camera.launch), it needs no options: the endpoint and
topic of its `detections` input come from the VLMNODE_WIRING environment variable (and, when the
detector runs on another machine, the CURVE key files the SDK loads: Launch/robot_workstation.launch).

One line per result: the frame it came from, its latency, and per query the best box (or "-").
With --set-queries, the controller first replaces the node's queries (a vlm/Text message on the
node's queries input, which the node binds) and waits for results that use them.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vlmnode import Binding, Detections, Node, Text, WiringError  # noqa: E402


def describe(d):
    best = {}
    for box in d.detections:
        if box["label"] not in best or box["score"] > best[box["label"]]["score"]:
            best[box["label"]] = box
    cells = []
    for q in d.queries:
        b = best.get(q)
        cells.append(f"{q}: " + (f"{b['score']:.2f} [{', '.join(f'{v:.0f}' for v in b['box'])}]" if b else "-"))
    stamp = d.extra
    return (f"frame {d.source_seq} latency {stamp.get('latency_ms', 0):.0f} ms queries v{d.queries_version} "
            f"dropped {stamp.get('frames_dropped')} | " + " | ".join(cells))


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
    if args.set_queries and not args.queries_endpoint:
        sys.exit("--set-queries needs --queries-endpoint")

    queries = {"queries": Binding(args.queries_topic, "vlm/Text", args.queries_endpoint, bind=False)} if args.set_queries else {}
    try:
        node = Node.client("detections", "vlm/Detections", args.connect, args.topic, "/detections", outputs=queries)
        results = node.subscribe("detections", latest=False)  # every result, in order
    except WiringError as e:
        sys.exit(f"no detections endpoint: give --connect ENDPOINT (or run from a launch file): {e}")
    wanted = None
    if args.set_queries:
        node.publish_once("queries", Text(text=args.set_queries))
        wanted = Text(text=args.set_queries).items()

    received = 0
    try:
        for d in results.messages(Detections, timeout=args.timeout):
            if wanted is not None and d.queries != wanted:
                continue  # results still computed with the old queries
            wanted = None
            print(describe(d), flush=True)
            received += 1
            if received == args.count:
                break
    except TimeoutError:
        sys.exit(f"no detections within {args.timeout} s")
    print(f"received {received} results")
    node.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""A pick-and-place controller sketch: subscribe to vlm/Grounding and print where to act.

Needs only pyzmq. Start a grounding node first, e.g.

    vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock &
    vlmnode node ground --input ipc:///tmp/cam.sock --bind ipc:///tmp/ground.sock \
        --commands-endpoint ipc:///tmp/cmd.sock --commands-bind &
    python3 pick_place_controller.py --connect ipc:///tmp/ground.sock \
        --commands-endpoint ipc:///tmp/cmd.sock --command "pick up the red cup and put it in the blue bowl"

Started by `vlmnode launch` (Launch/pick_place.launch) it needs no options: the endpoint and topic of
its `grounding` input come from the VLMNODE_WIRING environment variable.

One line per result: "pick at (x, y) -> place at (x, y)" in image pixels (the object's and the
destination's points), with the frame it came from and the scores; "not found: ..." when a phrase
matched nothing above the node's threshold (the controller then does nothing, never guesses).
With --command, the controller first sends the command (a vlm/Text message on the node's bound
commands input) and waits for results that answer it.
"""
import argparse
import json
import os
import sys
import time

import zmq


def point(target):
    x, y = target["point"]
    return f"({x:.0f}, {y:.0f})"


def describe(h):
    """One line for a vlm/Grounding header."""
    if h.get("error"):
        return f"command refused: {h['error']}"
    targets = {t["role"]: t for t in h.get("targets", [])}
    missing = [t for t in targets.values() if not t.get("found")]
    if missing:
        return "not found: " + "; ".join(t.get("message", t.get("phrase") or "?") for t in missing)
    obj, dest = targets.get("object"), targets.get("destination")
    line = f"pick at {point(obj)}"
    if dest:
        line += f" -> place at {point(dest)}"
    scores = ", ".join(f"{r} {t['score']:.2f}" for r, t in targets.items() if t.get("score") is not None)
    return f"{line}   [frame {h.get('source_seq')}, {h.get('action')}, {scores}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connect", help="endpoint the grounding node publishes on (default: from VLMNODE_WIRING)")
    ap.add_argument("--topic", help="grounding topic (default: from VLMNODE_WIRING, else /grounding)")
    ap.add_argument("--count", type=int, default=0, help="stop after N results (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=60, help="give up after this many seconds without a result")
    ap.add_argument("--commands-endpoint", help="the grounding node's (bound) commands input")
    ap.add_argument("--commands-topic", default="/ground/command")
    ap.add_argument("--command", help='send this command first, e.g. "pick up the red cup and put it in the blue bowl"')
    args = ap.parse_args()

    if not args.connect or not args.topic:
        wiring = json.loads(os.environ.get("VLMNODE_WIRING", "{}"))
        port = wiring.get("inputs", {}).get("grounding", {})
        args.connect = args.connect or port.get("endpoint")
        args.topic = args.topic or port.get("topic") or "/grounding"
    if not args.connect:
        sys.exit("no grounding endpoint: give --connect ENDPOINT (or run from a launch file)")

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.connect(args.connect)
    sub.setsockopt_string(zmq.SUBSCRIBE, args.topic)
    sub.setsockopt(zmq.RCVTIMEO, int(args.timeout * 1000))

    if args.command:
        if not args.commands_endpoint:
            sys.exit("--command needs --commands-endpoint")
        pub = ctx.socket(zmq.PUB)
        pub.connect(args.commands_endpoint)
        time.sleep(0.5)  # let the connection and subscription settle (PUB drops until then)
        header = {"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": time.time_ns(), "text": args.command}
        pub.send_multipart([args.commands_topic.encode(), json.dumps(header).encode()])

    received = 0
    while args.count == 0 or received < args.count:
        try:
            parts = sub.recv_multipart()
        except zmq.Again:
            sys.exit(f"no grounding result within {args.timeout} s")
        if len(parts) < 2 or parts[0].decode("utf-8", "replace") != args.topic:
            continue
        try:
            h = json.loads(parts[1])
        except ValueError:
            continue
        if h.get("type") != "vlm/Grounding":
            continue
        if args.command and h.get("command") != args.command:
            continue  # results for an earlier command
        print(describe(h), flush=True)
        received += 1
    print(f"received {received} results")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

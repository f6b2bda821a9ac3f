#!/usr/bin/env python3
"""A pick-and-place controller sketch: subscribe to vlm/Grounding and print where to act.

Written on the vlmnode Python SDK (python/vlmnode: pyzmq + numpy). Start a grounding node first, e.g.

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
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vlmnode import Binding, Grounding, Node, Text, WiringError  # noqa: E402


def point(target):
    x, y = target["point"]
    return f"({x:.0f}, {y:.0f})"


def describe(g):
    """One line for a vlm/Grounding message."""
    if g.error:
        return f"command refused: {g.error}"
    targets = {t["role"]: t for t in g.targets or []}
    missing = [t for t in targets.values() if not t.get("found")]
    if missing:
        return "not found: " + "; ".join(t.get("message", t.get("phrase") or "?") for t in missing)
    obj, dest = targets.get("object"), targets.get("destination")
    line = f"pick at {point(obj)}"
    if dest:
        line += f" -> place at {point(dest)}"
    scores = ", ".join(f"{r} {t['score']:.2f}" for r, t in targets.items() if t.get("score") is not None)
    return f"{line}   [frame {g.source_seq}, {g.action}, {scores}]"


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
    if args.command and not args.commands_endpoint:
        sys.exit("--command needs --commands-endpoint")

    commands = {"commands": Binding(args.commands_topic, "vlm/Text", args.commands_endpoint, bind=False)} if args.command else {}
    try:
        node = Node.client("grounding", "vlm/Grounding", args.connect, args.topic, "/grounding", outputs=commands)
        results = node.subscribe("grounding", latest=False)  # every result, in order
    except WiringError as e:
        sys.exit(f"no grounding endpoint: give --connect ENDPOINT (or run from a launch file): {e}")
    if args.command:
        node.publish_once("commands", Text(text=args.command))

    received = 0
    try:
        for g in results.messages(Grounding, timeout=args.timeout):
            if args.command and g.command != args.command:
                continue  # results for an earlier command
            print(describe(g), flush=True)
            received += 1
            if received == args.count:
                break
    except TimeoutError:
        sys.exit(f"no grounding result within {args.timeout} s")
    print(f"received {received} results")
    node.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

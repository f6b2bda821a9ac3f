#!/usr/bin/env python3
"""A robot-controller sketch: react to a VQA node's answer changes ("is the door open?: no → yes").

Needs only pyzmq. Start a VQA node first, e.g.

    vlmnode source lavfi:testsrc=size=640x480:rate=5 --bind ipc:///tmp/cam.sock &
    vlmnode node vqa --input ipc:///tmp/cam.sock --question "is the door open?" --every 5 \
        --bind ipc:///tmp/vqa.sock &
    python3 vqa_events.py --connect ipc:///tmp/vqa.sock

Started by `vlmnode launch` (Launch/vqa.launch) it needs no options: the endpoints and topics of its
`events` and `answers` inputs come from the VLMNODE_WIRING environment variable.

Prints one line per answered frame ("answers seq=… latency=… QUESTION=ANSWER (score)") and one per
event ("EVENT QUESTION: PREVIOUS → ANSWER"); this is where a robot would act on the change.
"""
import argparse
import json
import os
import sys

import zmq


def port(wiring, role, default_topic):
    p = wiring.get("inputs", {}).get(role, {})
    return p.get("endpoint"), p.get("topic") or default_topic


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connect", help="endpoint the VQA node publishes on (default: from VLMNODE_WIRING)")
    ap.add_argument("--events-topic", help="default: from VLMNODE_WIRING, else /vqa/events")
    ap.add_argument("--answers-topic", help="default: from VLMNODE_WIRING, else /vqa/answers")
    ap.add_argument("--events", type=int, default=0, help="stop after N events (0: run until Ctrl-C)")
    ap.add_argument("--timeout", type=float, default=60, help="give up after this many seconds without a message")
    args = ap.parse_args()

    wiring = json.loads(os.environ.get("VLMNODE_WIRING", "{}"))
    events_endpoint, events_topic = port(wiring, "events", "/vqa/events")
    answers_endpoint, answers_topic = port(wiring, "answers", "/vqa/answers")
    events_topic = args.events_topic or events_topic
    answers_topic = args.answers_topic or answers_topic
    endpoints = {e for e in (args.connect, events_endpoint, answers_endpoint) if e} if not args.connect else {args.connect}
    if not endpoints:
        sys.exit("no VQA endpoint: give --connect ENDPOINT (or run from a launch file)")

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    for endpoint in endpoints:
        sub.connect(endpoint)
    for topic in (events_topic, answers_topic):
        sub.setsockopt_string(zmq.SUBSCRIBE, topic)
    sub.setsockopt(zmq.RCVTIMEO, int(args.timeout * 1000))

    seen = 0
    while args.events == 0 or seen < args.events:
        try:
            parts = sub.recv_multipart()
        except zmq.Again:
            sys.exit(f"no message for {args.timeout} s")
        if len(parts) < 2:
            continue
        try:
            header = json.loads(parts[1])
        except ValueError:
            continue  # malformed: skip, never crash
        kind = header.get("type")
        if kind == "vlm/AnswerEvent":
            seen += 1
            print(f"EVENT {header.get('text')} (score {header.get('score', 0):.3f}, frame {header.get('source_seq')})", flush=True)
        elif kind == "vlm/Answers":
            answered = []
            for q in header.get("questions", []):
                best = (q.get("answers") or [{}])[0]
                answered.append(f"{q.get('question')}={best.get('answer')} ({best.get('score', 0):.3f})")
            print(f"answers seq={header.get('source_seq')} latency={header.get('latency_ms', 0):.1f}ms " + "; ".join(answered),
                  flush=True)


if __name__ == "__main__":
    main()

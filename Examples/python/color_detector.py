#!/usr/bin/env python3
"""A detector node written on the vlmnode Python SDK: finds pixels of a colour by thresholds and
publishes their bounding box as vlm/Detections, the same message the OWL-ViT `detect` node
publishes (stamped with the source frame, its latency and the input's counters).

Launch-file node: `<node type="exec" exec="python3" args="color_detector.py">` with
`<input name="image" topic="/camera/image" type="vlm/Frame"/>`, `<output name="detections"
topic="color/detections" type="vlm/Detections"/>` and optional `<param name="colors" value="red, blue"/>`.
"""
import sys
import os

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vlmnode import Detection, Detections, Node, WiringError  # noqa: E402

# (channel that must be high, channels that must be low) per colour, on rgb pixels.
COLORS = {"red": (0, (1, 2)), "green": (1, (0, 2)), "blue": (2, (0, 1))}


def find(rgb, color, high=150, low=100):
    hi, lows = COLORS[color]
    mask = rgb[:, :, hi] >= high
    for c in lows:
        mask &= rgb[:, :, c] < low
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    score = float(mask.sum()) / mask.size
    return Detection(color, 0, min(1.0, score * 10), [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def main():
    try:
        node = Node.from_env()
        colors = [c.strip() for c in str(node.param("colors", "red")).split(",") if c.strip()]
        unknown = [c for c in colors if c not in COLORS]
        if unknown:
            raise WiringError(f"unknown colours {unknown}; known: {', '.join(COLORS)}")
        frames = node.subscribe("image", latest=True)
        print(f"color detector: {', '.join(colors)}; publishing {node.outputs['detections'].topic} "
              f"on {node.endpoint('detections')}", flush=True)
    except WiringError as e:
        sys.exit(f"color_detector: {e}")
    while True:
        frame = frames.receive(timeout=0.5)
        if frame is None:
            continue
        found = []
        for i, c in enumerate(colors):
            d = find(frame.rgb(), c)
            if d is not None:
                d["label_index"] = i
                found.append(d)
        found.sort(key=lambda d: -d["score"])
        node.publish("detections", Detections(detections=found, queries=colors, queries_version=1,
                                              image_size=[frame.width, frame.height]), source=frame)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

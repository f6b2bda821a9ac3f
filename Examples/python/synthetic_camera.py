#!/usr/bin/env python3
"""A camera node written on the vlmnode Python SDK: publishes vlm/Frame images drawn with numpy
(a red disc moving over a blue background) on its `image` output.

Started by `vlmnode launch` as an exec node with `<output name="image" topic="/camera/image"
type="vlm/Frame"/>`; by hand: `python3 synthetic_camera.py --bind ipc:///tmp/cam.sock`.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vlmnode import Binding, Frame, Node, WiringError  # noqa: E402


def draw(i, w=96, h=64):
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :, 2] = 160  # blue background
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = 20 + (i * 3) % (w - 40), h // 2
    img[(xx - cx) ** 2 + (yy - cy) ** 2 <= 12 ** 2] = (230, 20, 20)
    return img


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bind", help="endpoint to publish on (default: from VLMNODE_WIRING)")
    ap.add_argument("--fps", type=float, default=10)
    args = ap.parse_args()
    try:
        node = Node.from_env() if not args.bind else Node(outputs={"image": Binding("/camera/image", "vlm/Frame", args.bind, True)})
        print(f"synthetic camera: publishing {node.outputs['image'].topic} on {node.endpoint('image')}", flush=True)
    except WiringError as e:
        sys.exit(f"synthetic_camera: {e}")
    i = 0
    while True:
        node.publish("image", Frame.from_array(draw(i), pts=i / args.fps))
        i += 1
        time.sleep(1 / args.fps)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

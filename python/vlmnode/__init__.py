"""vlmnode's node SDK for Python: pure Python on pyzmq + numpy (docs/plugins.md, docs/protocol.md).

    from vlmnode import Node, Detections, Detection
    node = Node.from_env()                  # the launcher's VLMNODE_WIRING
    frames = node.subscribe("image")        # latest wins (a bounded queue with latest=False)
    while True:
        msg = frames.receive(timeout=0.1)   # a Frame, or None; malformed messages skipped and counted
        if msg is not None:
            node.publish("detections", Detections(detections=[...], queries=["red"], queries_version=1), source=msg)
"""
from .messages import (Detection, Detections, Frame, Grounding, LabelCounts, LabelEvent, Message, MessageError, Text,
                       VideoEvent, VideoScores, decode, PROTOCOL_VERSION)
from .node import Binding, Node, Subscription, WiringError

__all__ = ["Binding", "Detection", "Detections", "Frame", "Grounding", "LabelCounts", "LabelEvent", "Message", "MessageError", "Node",
           "PROTOCOL_VERSION", "Subscription", "Text", "VideoEvent", "VideoScores", "WiringError", "decode"]

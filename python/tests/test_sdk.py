"""Unit tests of the Python SDK: messages, validation, wiring, and a real pub/sub over loopback."""
import json
import time

import numpy as np
import pytest
import zmq

import vlmnode
from vlmnode import Binding, Detection, Detections, Frame, MessageError, Node, Text, decode


def parts_of(message, topic="/t", seq=0, stamp_ns=1000):
    header = message.header(seq, stamp_ns)
    return [topic.encode(), json.dumps(header).encode()] + [bytes(b) for b in message.blobs()]


def test_frame_round_trip_and_numpy():
    image = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    frame = Frame.from_array(image, pts=0.5)
    back = decode(parts_of(frame, "/camera/image"))
    assert isinstance(back, Frame) and back.width == 3 and back.height == 4 and back.pts == 0.5
    assert np.array_equal(back.pixels, image) and np.array_equal(back.rgb(), image)


def test_padded_rows_and_short_blobs():
    header = {"v": 1, "type": "vlm/Frame", "seq": 0, "stamp_ns": 1, "width": 2, "height": 2, "step": 8, "encoding": "gray8"}
    rows = bytes([1, 2, 0, 0, 0, 0, 0, 0, 3, 4])
    f = decode([b"/c", json.dumps(header).encode(), rows])
    assert f.pixels[:, :, 0].tolist() == [[1, 2], [3, 4]]
    with pytest.raises(MessageError):
        decode([b"/c", json.dumps(header).encode(), rows[:9]])


@pytest.mark.parametrize("parts,why", [
    ([b"/t"], "parts"),
    ([b"/t", b"not json"], "JSON"),
    ([b"/t", b"[1]"], "JSON"),
    ([b"/t", json.dumps({"v": 2, "type": "vlm/Text", "seq": 0, "stamp_ns": 0, "text": "a"}).encode()], "version"),
    ([b"/t", json.dumps({"v": 1, "type": "vlm/Text", "seq": -1, "stamp_ns": 0, "text": "a"}).encode()], "seq"),
    ([b"/t", json.dumps({"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": "x", "text": "a"}).encode()], "stamp_ns"),
    ([b"/t", json.dumps({"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": 0, "blobs": [3], "text": "a"}).encode()], "blob"),
    ([b"\xff", json.dumps({"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": 0, "text": "a"}).encode()], "UTF-8"),
    ([b"/t", json.dumps({"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": 0}).encode()], "text"),
    ([b"/t", json.dumps({"v": 1, "type": "vlm/Detections", "seq": 0, "stamp_ns": 0}).encode()], "detections"),
])
def test_malformed_messages_raise_message_error(parts, why):
    with pytest.raises(MessageError, match=why):
        decode(parts)


def test_text_field_or_blob_and_lists():
    assert decode(parts_of(Text(text="red cup, , blue bowl"))).items() == ["red cup", "blue bowl"]
    header = {"v": 1, "type": "vlm/Text", "seq": 0, "stamp_ns": 0}
    assert decode([b"/t", json.dumps(header).encode(), "hé".encode()]).text == "hé"


def test_detections_fields_match_the_swift_message():
    d = Detections(detections=[Detection("cup", 0, 0.5, [1, 2, 3, 4])], queries=["cup"], queries_version=1)
    h = d.header(3, 10, source_seq=7, source_stamp_ns=5)
    assert h["type"] == "vlm/Detections" and h["source_seq"] == 7 and h["blobs"] == []
    assert h["detections"] == [{"label": "cup", "label_index": 0, "score": 0.5, "box": [1.0, 2.0, 3.0, 4.0]}]
    back = decode([b"/d", json.dumps(h).encode()])
    assert back.queries == ["cup"] and back.source_stamp_ns == 5


def test_unknown_types_and_fields_are_kept():
    h = {"v": 1, "type": "acme/Thing", "seq": 0, "stamp_ns": 0, "x": 1}
    m = decode([b"/a", json.dumps(h).encode()])
    assert m.TYPE == "acme/Thing" and m.extra == {"x": 1}


def test_from_env_reads_the_wiring_and_names_missing_ports():
    wiring = {"version": 1, "name": "/robot/py", "namespace": "/robot", "type": "exec", "params": {"hue": 0},
              "inputs": {"image": {"topic": "/camera/image", "type": "vlm/Frame", "endpoint": "ipc:///x", "bind": False}},
              "outputs": {}}
    node = Node.from_env({"VLMNODE_WIRING": json.dumps(wiring)})
    assert node.name == "/robot/py" and node.param("hue") == 0 and node.inputs["image"].endpoint == "ipc:///x"
    with pytest.raises(vlmnode.WiringError, match="output 'detections' is not wired"):
        node.publish("detections", Text(text="x"))
    with pytest.raises(vlmnode.WiringError, match="not set"):
        Node.from_env({})
    with pytest.raises(vlmnode.WiringError, match="not valid"):
        Node.from_env({"VLMNODE_WIRING": "{"})


def test_publish_subscribe_latest_wins_stamping_and_malformed_counted(tmp_path):
    endpoint = f"ipc://{tmp_path}/frames.sock"
    out = f"ipc://{tmp_path}/out.sock"
    producer = Node(outputs={"image": Binding("/camera/image", "vlm/Frame", endpoint, True)})
    producer.endpoint("image")
    node = Node(inputs={"image": Binding("/camera/image", "vlm/Frame", endpoint)},
                outputs={"detections": Binding("/detections", "vlm/Detections", out, True)})
    frames = node.subscribe("image", latest=True)
    raw = producer._publishers["image"][0]
    deadline = time.time() + 5
    while frames.received == 0 and time.time() < deadline:  # slow joiner
        producer.publish("image", Frame.from_array(np.zeros((2, 2, 3), np.uint8)))
        time.sleep(0.05)
    assert frames.received > 0
    while frames.receive(timeout=0.2) is not None:
        pass
    base = frames.received
    raw.send_multipart([b"/camera/image", b"{not json"])
    for i in range(5):
        producer.publish("image", Frame.from_array(np.full((2, 2, 3), i, np.uint8)))
    deadline = time.time() + 5
    while frames.received < base + 5 and time.time() < deadline:
        time.sleep(0.02)
    newest = frames.receive(timeout=1)
    assert newest.pixels[0, 0, 0] == 4 and frames.receive(timeout=0.1) is None
    assert frames.overwritten >= 4 and frames.malformed == 1
    results = zmq.Context.instance().socket(zmq.SUB)
    results.connect(out)
    results.setsockopt(zmq.SUBSCRIBE, b"/detections")
    node.endpoint("detections")
    got = None
    deadline = time.time() + 5
    while got is None and time.time() < deadline:
        node.publish("detections", Detections(detections=[], queries=["x"], queries_version=1), source=newest)
        if results.poll(100):
            got = decode(results.recv_multipart())
    assert got.source_seq == newest.seq and got.source_stamp_ns == newest.stamp_ns
    assert got.extra["latency_ms"] >= 0 and got.extra["frames_overwritten"] == frames.overwritten
    results.close()
    node.close()
    producer.close()

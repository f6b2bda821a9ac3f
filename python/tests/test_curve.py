"""CURVE from the wiring's "security" object (docs/multi-host.md "Wiring"), with real pyzmq sockets on loopback."""
import json
import os
import time

import numpy as np
import pytest
import zmq

from vlmnode import Frame, Node, WiringError, decode


def write_pair(directory, name):
    """NAME.key (0600) and NAME.pub in the format `vlmnode keys generate` writes."""
    public, secret = zmq.curve_keypair()
    body = 'metadata\ncurve\n    public-key = "{}"\n'.format(public.decode())
    key = os.path.join(directory, name + ".key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(body + '    secret-key = "{}"\n'.format(secret.decode()))
    with open(os.path.join(directory, name + ".pub"), "w") as f:
        f.write(body)
    return public, secret


def authorized(directory, label, names):
    path = os.path.join(directory, "authorized-" + label)
    os.makedirs(path)
    for name in names:
        with open(os.path.join(directory, name + ".pub")) as src, open(os.path.join(path, name + ".pub"), "w") as dst:
            dst.write(src.read())
    return path


def wiring(name, inputs=None, outputs=None):
    return {"VLMNODE_WIRING": json.dumps({"version": 1, "name": name, "namespace": "/", "type": "exec", "params": {},
                                          "inputs": inputs or {}, "outputs": outputs or {}})}


def test_curve_output_and_input_from_wiring_and_strangers_are_refused(tmp_path):
    d = str(tmp_path)
    for name in ["camera", "detector", "stranger"]:
        write_pair(d, name)
    camera = Node.from_env(wiring("/camera", outputs={"image": {
        "topic": "/camera/image", "type": "vlm/Frame", "endpoint": "tcp://127.0.0.1:*", "bind": True,
        "security": {"identity": f"{d}/camera.key", "authorized": authorized(d, "camera", ["detector"])}}}),
        context=zmq.Context())
    endpoint = camera.endpoint("image")
    detector = Node.from_env(wiring("/detector", inputs={"image": {
        "topic": "/camera/image", "type": "vlm/Frame", "endpoint": endpoint, "bind": False,
        "security": {"identity": f"{d}/detector.key", "server_key": f"{d}/camera.pub"}}}))
    frames = detector.subscribe("image")

    ctx = zmq.Context()
    stranger = ctx.socket(zmq.SUB)
    stranger.curve_publickey, stranger.curve_secretkey = zmq.curve_keypair()
    stranger.curve_serverkey = zmq.auth.load_certificate(f"{d}/camera.pub")[0]
    plain = ctx.socket(zmq.SUB)
    for s in (stranger, plain):
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(endpoint)

    deadline = time.time() + 10
    while frames.received < 3 and time.time() < deadline:
        camera.publish("image", Frame.from_array(np.zeros((2, 2, 3), np.uint8)))
        time.sleep(0.05)
    assert frames.received >= 3
    assert isinstance(frames.receive(timeout=1), Frame)
    assert stranger.poll(200) == 0 and plain.poll(200) == 0
    keys = camera.outputs["image"].curve
    assert keys.accepted >= 1 and keys.refused >= 1
    for s in (stranger, plain):
        s.close(0)
    detector.close()
    camera.close()


def test_bound_curve_input_admits_only_authorized_publishers(tmp_path):
    d = str(tmp_path)
    for name in ["camera", "detector", "stranger"]:
        write_pair(d, name)
    # A free port: the kernel picks one for a throwaway socket.
    probe = zmq.Context.instance().socket(zmq.PUB)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(0)
    detector = Node.from_env(wiring("/detector", inputs={"image": {
        "topic": "/camera/image", "type": "vlm/Frame", "endpoint": f"tcp://127.0.0.1:{port}", "bind": True,
        "security": {"identity": f"{d}/detector.key", "authorized": authorized(d, "detector", ["camera"])}}}),
        context=zmq.Context())
    frames = detector.subscribe("image", latest=False)
    server_key = zmq.auth.load_certificate(f"{d}/detector.pub")[0]
    ctx = zmq.Context()
    senders = {}
    for name in ["camera", "stranger"]:
        s = ctx.socket(zmq.PUB)
        s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(f"{d}/{name}.key")
        s.curve_serverkey = server_key
        s.connect(f"tcp://127.0.0.1:{port}")
        senders[name] = s
    seq = 0
    deadline = time.time() + 10
    while frames.received < 3 and time.time() < deadline:
        for name, s in senders.items():
            text = {"v": 1, "type": "vlm/Text", "seq": seq, "stamp_ns": time.time_ns(), "text": name}
            s.send_multipart([b"/camera/image", json.dumps(text).encode()])
        seq += 1
        time.sleep(0.05)
    got = []
    while (m := frames.receive(timeout=0.3)) is not None:
        got.append(m.text)
    assert frames.received >= 3 and got and set(got) == {"camera"}
    assert detector.inputs["image"].curve.refused >= 1
    for s in senders.values():
        s.close(0)
    detector.close()


def test_bad_security_objects_are_one_wiring_error_naming_the_port(tmp_path):
    d = str(tmp_path)
    write_pair(d, "node")
    out = {"topic": "/out", "type": "vlm/Text", "endpoint": "tcp://127.0.0.1:*", "bind": True}

    def publish_with(security):
        node = Node.from_env(wiring("/n", outputs={"out": dict(out, security=security)}), context=zmq.Context())
        try:
            node.endpoint("out")
        finally:
            node.close()

    with pytest.raises(WiringError, match=r"node /n: output 'out': security: \"identity\" and \"authorized\" go together"):
        publish_with({"identity": f"{d}/node.key"})
    with pytest.raises(WiringError, match="is for a port that connects"):
        publish_with({"identity": f"{d}/node.key", "authorized": d, "server_key": f"{d}/node.pub"})
    with pytest.raises(WiringError, match="has no secret-key"):
        publish_with({"identity": f"{d}/node.pub", "authorized": d})
    os.chmod(f"{d}/node.key", 0o644)
    with pytest.raises(WiringError, match=r"accessible by group or others \(mode 644\); run chmod 600"):
        publish_with({"identity": f"{d}/node.key", "authorized": d})

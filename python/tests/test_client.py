"""Node.client and publish_once: what the Examples' controllers use (a subscriber wired from the
command line or VLMNODE_WIRING that sends one-off text to a node's bound input)."""
import json
import threading
import time

import pytest
import zmq

from vlmnode import Binding, Detections, Node, Text, WiringError


def test_client_from_connect_or_wiring():
    wiring = {"name": "/ctl", "inputs": {"detections": {"topic": "/ns/detections", "type": "vlm/Detections",
                                                        "endpoint": "ipc:///tmp/x.sock", "bind": False}}}
    env = {"VLMNODE_WIRING": json.dumps(wiring)}
    # --connect wins over the wiring; the default topic applies without --topic.
    n = Node.client("detections", "vlm/Detections", "ipc:///tmp/y.sock", None, "/detections", environ=env)
    assert (n.inputs["detections"].endpoint, n.inputs["detections"].topic) == ("ipc:///tmp/y.sock", "/detections")
    # Without --connect: the launcher's wiring, --topic still overrides the topic.
    n = Node.client("detections", "vlm/Detections", None, "/other", "/detections", environ=env)
    assert (n.name, n.inputs["detections"].endpoint, n.inputs["detections"].topic) == ("/ctl", "ipc:///tmp/x.sock", "/other")
    # Neither: subscribe names the unwired input.
    n = Node.client("detections", "vlm/Detections", environ={})
    with pytest.raises(WiringError, match="input 'detections' is not wired"):
        n.subscribe("detections")
    # Explicit outputs are added.
    n = Node.client("detections", "vlm/Detections", environ=env, outputs={"queries": Binding("/q", "vlm/Text", "ipc:///tmp/q", bind=False)})
    assert n.outputs["queries"].bind is False and "detections" in n.inputs


def test_bind_defaults_to_the_usual_side():
    assert Binding.from_json({"topic": "/t"}).bind is None
    assert Binding.from_json({"topic": "/t", "bind": True}).bind is True
    assert Binding.from_json({"topic": "/t", "bind": False}).bind is False


def test_publish_once_reaches_a_bound_subscriber(tmp_path):
    """An output with bind=False connects to a node's bound input; the first message is not lost
    to the slow joiner because publish_once waits for the connection first. The bound SUB is
    polled on its own thread, as a node's input is (an idle socket never attaches the new peer)."""
    endpoint = f"ipc://{tmp_path}/queries.sock"
    got, ready = [], threading.Event()

    def receive():
        sub = zmq.Context.instance().socket(zmq.SUB)
        sub.bind(endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, b"/detections/queries")
        ready.set()
        deadline = time.time() + 10
        while len(got) < 2 and time.time() < deadline:
            if sub.poll(20):
                got.append(sub.recv_multipart())
        sub.close()

    thread = threading.Thread(target=receive)
    thread.start()
    ready.wait(5)
    ctl = Node(outputs={"queries": Binding("/detections/queries", "vlm/Text", endpoint, bind=False)})
    start = time.time()
    header = ctl.publish_once("queries", Text(text="red cup, blue bowl"), settle=0.5)
    assert time.time() - start >= 0.5 and header["seq"] == 0
    # A second call does not wait again.
    start = time.time()
    ctl.publish_once("queries", Text(text="x"), settle=5)
    assert time.time() - start < 2
    thread.join(15)
    assert len(got) == 2, f"received {got}: the first message was lost"
    topic, raw = got[0]
    h = json.loads(raw)
    assert topic == b"/detections/queries" and h["type"] == "vlm/Text" and h["text"] == "red cup, blue bowl"
    ctl.close()


def test_an_output_binds_by_default(tmp_path):
    endpoint = f"ipc://{tmp_path}/det.sock"
    pub = Node(outputs={"detections": Binding("/detections", "vlm/Detections", endpoint)})
    assert pub.endpoint("detections") == endpoint
    sub = Node(inputs={"detections": Binding("/detections", "vlm/Detections", endpoint)})
    results = sub.subscribe("detections", latest=False)
    deadline, got = time.time() + 5, None
    while got is None and time.time() < deadline:
        pub.publish("detections", Detections(detections=[], queries=["x"], queries_version=1))
        got = results.receive(timeout=0.1)
    assert isinstance(got, Detections) and got.queries == ["x"]
    sub.close()
    pub.close()


def test_messages_yields_one_kind_and_times_out(tmp_path):
    endpoint = f"ipc://{tmp_path}/mixed.sock"
    pub = Node(outputs={"out": Binding("/mixed", "any", endpoint)})
    pub.endpoint("out")
    sub = Node(inputs={"in": Binding("/mixed", "any", endpoint)}).subscribe("in", latest=False)
    deadline = time.time() + 5
    while sub.received == 0 and time.time() < deadline:  # slow joiner
        pub.publish("out", Text(text="hello"))
        time.sleep(0.05)
    while sub.receive(timeout=0.2) is not None:
        pass
    pub.publish("out", Text(text="skipped"))
    pub.publish("out", Detections(detections=[], queries=["x"], queries_version=3))
    it = sub.messages(Detections, timeout=2)
    assert next(it).queries_version == 3
    start = time.time()
    with pytest.raises(TimeoutError, match="nothing on /mixed within 0.3 s"):
        next(sub.messages(timeout=0.3))
    assert time.time() - start >= 0.3
    sub.close()
    pub.close()

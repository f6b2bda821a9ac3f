"""A node's wiring, subscriptions and publications (docs/plugins.md, docs/launch.md)."""
import collections
import json
import os
import threading
import time
import uuid

import zmq

from . import shm as _shm
from .curve import apply_security
from .messages import MessageError, decode

WIRING_KEY = "VLMNODE_WIRING"


class WiringError(ValueError):
    """VLMNODE_WIRING (or explicit wiring) that cannot be used: names the node and the port."""


class Binding:
    """One port: resolved topic, message type, endpoint and whether this node binds it (None: the
    usual side, outputs bind and inputs connect; an output with bind=False connects to a node's
    bound input, as a controller sending queries or commands does)."""

    def __init__(self, topic, type="any", endpoint=None, bind=None, security=None):
        self.topic, self.type, self.endpoint, self.bind = topic, type, endpoint, bind
        self.security = security  # CURVE key paths, docs/multi-host.md "Wiring"; see curve.py

    @classmethod
    def from_json(cls, d):
        return cls(d["topic"], d.get("type", "any"), d.get("endpoint"), bool(d["bind"]) if "bind" in d else None,
                   d.get("security"))


class Subscription:
    """One input. A background thread owns the XSUB socket (ZeroMQ sockets stay on one thread),
    validates messages (malformed ones are skipped and counted), keeps the newest per topic
    (`latest`) or a bounded FIFO, counts seq gaps, and reports drops upstream (protocol section 5)."""

    def __init__(self, context, binding, latest=True, capacity=64, report_interval=0.5, shared_memory=False):
        self.binding, self.latest, self.capacity = binding, latest, capacity
        # Same-host frames through shared memory, negotiated with the publisher (shm.py).
        self.negotiation = _shm.Negotiation(binding.topic) if shared_memory and not binding.bind else None
        self.shared_frames = _shm.SharedFrames() if self.negotiation else None
        self.received = self.gaps = self.overwritten = self.malformed = 0
        self.last_malformed = None
        self._last_seq = None
        self._pending = collections.deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._id = uuid.uuid4().hex[:16]
        self._report_interval = report_interval
        self._context = context
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        if self._error:
            raise self._error

    @property
    def torn(self):
        """Shared-memory frames dropped because their slot was reused before or while they were read."""
        f = self.shared_frames
        return f.torn + f.reclaimed if f else 0

    @property
    def dropped(self):
        return self.gaps + self.overwritten + self.torn

    def _run(self):
        sock = self._context.socket(zmq.XSUB)
        try:
            sock.setsockopt(zmq.LINGER, 0)
            apply_security(sock, self.binding, self._context, f"input {self.binding.topic}")
            (sock.bind if self.binding.bind else sock.connect)(self.binding.endpoint)
            for topic in _shm.Negotiation.subscriptions(self.binding.topic) if self.negotiation else [self.binding.topic]:
                sock.send(b"\x01" + topic.encode())
        except WiringError as e:
            self._error = e
            self._ready.set()
            return
        except zmq.ZMQError as e:
            self._error = WiringError(f"cannot {'bind' if self.binding.bind else 'connect'} {self.binding.endpoint}: {e}")
            self._ready.set()
            return
        self._ready.set()
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        next_report, reported = time.monotonic() + self._report_interval, None
        while not self._stop.is_set():
            if poller.poll(50):
                while True:
                    try:
                        parts = sock.recv_multipart(zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    self._accept(parts)
                    if self.negotiation and self.negotiation.outbox:
                        for request in self.negotiation.outbox:
                            sock.send(request)
                        self.negotiation.outbox.clear()
            now = time.monotonic()
            if now >= next_report:
                next_report = now + self._report_interval
                state = (self.received, self.dropped)
                if state != reported:
                    reported = state
                    report = {"vlm_stats": 1, "sub": self._id,
                              "topics": {self.binding.topic: {"received": self.received, "dropped": self.dropped}}}
                    try:
                        sock.send(json.dumps(report).encode(), zmq.NOBLOCK)
                    except zmq.ZMQError:
                        pass
        sock.close(0)

    def _accept(self, parts):
        try:
            if self.negotiation:
                message, shared, unavailable = _shm.decode(parts, self.shared_frames)
                if not self.negotiation.admit(message.seq if message else None, shared, unavailable) or message is None:
                    return
            else:
                message = decode(parts)
        except (MessageError, ValueError, KeyError, TypeError) as e:
            self.malformed += 1
            self.last_malformed = str(e)
            return
        if message.topic != self.binding.topic:
            return  # a longer topic under the subscribed prefix
        if self._last_seq is not None and message.seq > self._last_seq + 1:
            self.gaps += message.seq - self._last_seq - 1
        self._last_seq = message.seq
        self.received += 1
        with self._cond:
            if self.latest and self._pending:
                self._pending.clear()
                self.overwritten += 1
            elif len(self._pending) >= self.capacity:
                self._pending.popleft()
                self.overwritten += 1
            self._pending.append(message)
            self._cond.notify()

    def receive(self, timeout=None):
        """The next message (the newest, for latest-wins inputs), or None after `timeout` seconds."""
        with self._cond:
            if not self._pending:
                self._cond.wait(timeout)
            return self._pending.popleft() if self._pending else None

    def messages(self, kind=None, timeout=None):
        """Yields received messages (of class `kind` only, when given: others are passed over) until
        the caller stops; raises TimeoutError after `timeout` seconds without one."""
        while True:
            message = self.receive(timeout=timeout)
            if message is None:
                raise TimeoutError(f"nothing on {self.binding.topic} within {timeout} s")
            if kind is None or isinstance(message, kind):
                yield message

    def close(self):
        self._stop.set()
        self._thread.join(2)


class Node:
    """A node as the launcher wires it: `Node.from_env()`, or explicit inputs/outputs for a
    program started by hand (`Node(inputs={"image": Binding("/camera/image", endpoint=…)})`)."""

    def __init__(self, name="/python_node", type="exec", params=None, inputs=None, outputs=None, context=None):
        self.name, self.type = name, type
        self.params = dict(params or {})
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.context = context or zmq.Context.instance()
        self._publishers = {}
        self._seqs = collections.Counter()
        self._subscriptions = {}

    @classmethod
    def from_env(cls, environ=None, **overrides):
        text = (environ if environ is not None else os.environ).get(WIRING_KEY)
        if text is None:
            raise WiringError(f"{WIRING_KEY} is not set: start this node from a launch file, or build Node(...) by hand")
        try:
            w = json.loads(text)
            if w.get("version", 1) > 1:
                raise WiringError(f"{WIRING_KEY} has version {w['version']}; this SDK reads up to 1")
            node = cls(name=w["name"], type=w.get("type", "exec"), params=w.get("params", {}),
                       inputs={k: Binding.from_json(v) for k, v in w.get("inputs", {}).items()},
                       outputs={k: Binding.from_json(v) for k, v in w.get("outputs", {}).items()}, **overrides)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            if isinstance(e, WiringError):
                raise
            raise WiringError(f"{WIRING_KEY} is not valid wiring JSON: {e}") from None
        return node

    @classmethod
    def client(cls, role, type, connect=None, topic=None, default_topic=None, outputs=None, environ=None):
        """A controller's node reading input `role`: connected to `connect` (a command line's
        --connect) on `topic` or `default_topic`; without `connect`, wired by VLMNODE_WIRING when it
        is set (a launch file started it; `topic` still overrides). `outputs` are added as given.
        An input left unwired fails in subscribe() with a WiringError naming it."""
        environ = environ if environ is not None else os.environ
        node = cls.from_env(environ) if WIRING_KEY in environ and not connect else cls()
        if connect:
            node.inputs[role] = Binding(topic or default_topic or role, type, connect)
        elif topic and role in node.inputs:
            node.inputs[role].topic = topic
        node.outputs.update(outputs or {})
        return node

    def param(self, name, default=None):
        return self.params.get(name, default)

    def subscribe(self, role, latest=True, capacity=64, shm=None):
        """`shm`: read frames in place from the publisher's shared memory (vlmnode/shm.py); None
        (default): for a vlm/Frame input whose publisher is on this host, negotiated (a publisher
        that does not offer it keeps sending inline)."""
        b = self.inputs.get(role)
        if b is None or not b.endpoint:
            raise WiringError(f"node {self.name}: input {role!r} is not wired (inputs: {', '.join(sorted(self.inputs))})")
        if shm is None:
            shm = b.type == "vlm/Frame" and not b.security and _shm.is_same_host(b.endpoint) and os.environ.get("VLMNODE_SHM") != "0"
        sub = Subscription(self.context, b, latest=latest, capacity=capacity, shared_memory=shm)
        self._subscriptions[role] = sub
        return sub

    def _publisher(self, role):
        if role not in self._publishers:
            b = self.outputs.get(role)
            if b is None or not b.endpoint:
                raise WiringError(f"node {self.name}: output {role!r} is not wired (outputs: {', '.join(sorted(self.outputs))})")
            sock = self.context.socket(zmq.PUB)
            sock.setsockopt(zmq.SNDHWM, 100)
            sock.setsockopt(zmq.LINGER, 500)
            apply_security(sock, b, self.context, f"node {self.name}: output {role!r}", binds=b.bind is not False)
            (sock.connect if b.bind is False else sock.bind)(b.endpoint)
            self._publishers[role] = (sock, b)
        return self._publishers[role]

    def publish(self, role, message, source=None, source_input=None):
        """Publishes on output `role`; with `source` (the message it was computed from) the header
        carries source_seq/source_stamp_ns, latency_ms and that input's counters, as the Swift runtime does."""
        if source is not None and hasattr(source, "intact") and not (source.verified or source.intact()):
            return None  # computed from a shared-memory frame overwritten while it was read: dropped
        sock, b = self._publisher(role)
        now = time.time_ns()
        header = message.header(self._seqs[role], now,
                                source.seq if source is not None else None,
                                source.stamp_ns if source is not None else None)
        if source is not None:
            header.setdefault("latency_ms", (now - source.stamp_ns) / 1e6)
            sub = self._subscriptions.get(source_input) if source_input else next(
                (s for s in self._subscriptions.values() if s.binding.topic == source.topic), None)
            if sub is not None:
                header.setdefault("frames_received", sub.received)
                header.setdefault("frames_dropped", sub.dropped)
                header.setdefault("frames_overwritten", sub.overwritten)
        self._seqs[role] += 1
        sock.send_multipart([b.topic.encode(), json.dumps(header, separators=(",", ":")).encode()] + message.blobs(),
                            copy=False)
        return header

    def publish_once(self, role, message, settle=0.5):
        """Opens output `role`, waits `settle` seconds for subscribers to connect (a PUB drops what
        it sends before that), then publishes: for one-off messages such as a query change."""
        fresh = role not in self._publishers
        self._publisher(role)
        if fresh:
            time.sleep(settle)
        return self.publish(role, message)

    def endpoint(self, role):
        """The endpoint an output is bound at."""
        sock, _ = self._publisher(role)
        return sock.getsockopt(zmq.LAST_ENDPOINT).decode()

    def close(self):
        for s in self._subscriptions.values():
            s.close()
        for sock, _ in self._publishers.values():
            sock.close()

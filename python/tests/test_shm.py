"""The SDK's shared-memory reader (vlmnode/shm.py) against a ring written here byte for byte as
docs/protocol.md section 8 lays it out, and the subscription's negotiation with an XPUB that
speaks the addition. (Against real vlmnode publishers: Tests/VLMBusTests/SharedMemoryClientTests.)"""
import itertools
import json
import mmap
import os
import struct
import time

import numpy as np
import pytest
import zmq

from vlmnode import Binding, Detections, MessageError, Node
from vlmnode import shm

_counter = itertools.count()


def _start_time():
    """This process's start time in clock ticks since boot (/proc/self/stat field 22)."""
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


class Ring:
    """A frame ring segment as a vlmnode publisher makes it (mode 0600, this user)."""

    def __init__(self, slots=2, slot_bytes=4096, mode=0o600):
        # The real pid and start time, as a publisher names its segment: a vlmnode publisher
        # starting meanwhile (tests run in parallel) reclaims segments whose process is gone or
        # whose start time is not its creator's.
        self.name = f"/vlmbus.{os.getpid()}.{_start_time()}.{90000 + next(_counter)}"
        self.slots, self.stride, self.data_offset = slots, slot_bytes, 4096
        size = self.data_offset + slots * slot_bytes
        fd = os.open("/dev/shm" + self.name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode)
        os.fchmod(fd, mode)
        os.ftruncate(fd, size)
        self.map = mmap.mmap(fd, size)
        os.close(fd)
        struct.pack_into("<8sIIQQQI", self.map, 0, b"VLMSHM01", 1, slots, slot_bytes, self.data_offset, os.getpid(), 32)

    def generation(self, slot):
        return struct.unpack_from("<Q", self.map, 64 + 64 * slot)[0]

    def set_generation(self, slot, g):
        struct.pack_into("<Q", self.map, 64 + 64 * slot, g)

    def write(self, slot, pixels):
        g = self.generation(slot)
        self.set_generation(slot, g | 1)
        off = self.data_offset + slot * self.stride
        self.map[off:off + pixels.nbytes] = pixels.tobytes()
        self.set_generation(slot, (g | 1) + 1)
        return (g | 1) + 1

    def header(self, slot, seq=0, w=4, h=2, generation=None, segment=None):
        return {"v": 1, "type": shm.MESSAGE_TYPE, "seq": seq, "stamp_ns": time.time_ns(), "width": w, "height": h,
                "encoding": "rgb8", "step": w * 3,
                "shm": {"segment": segment or self.name, "slot": slot,
                        "generation": self.generation(slot) if generation is None else generation,
                        "offset": self.data_offset + slot * self.stride, "size": w * h * 3}}

    def close(self):
        os.unlink("/dev/shm" + self.name)


@pytest.fixture
def ring():
    r = Ring()
    yield r
    r.close()


def pattern(seq, w=4, h=2):
    return ((np.arange(w * h * 3) * 7 + seq * 31) % 256).astype(np.uint8).reshape(h, w, 3)


def test_pixels_are_read_in_place_and_a_torn_read_is_dropped_and_counted_once(ring):
    frames = shm.SharedFrames()
    ring.write(0, pattern(0))
    f = frames.resolve(ring.header(0), "/camera/image")
    assert isinstance(f, shm.SharedFrame) and f.topic == "/camera/image" and f.width == 4
    assert np.array_equal(f.pixels, pattern(0)) and frames.resolved == 1
    # In place: a write into the slot shows through the view (nothing was copied).
    off = ring.data_offset
    ring.map[off] = 200
    assert f.pixels[0, 0, 0] == 200
    ring.map[off] = pattern(0)[0, 0, 0]
    assert f.intact() and frames.torn == 0
    copy = f.copy()
    g = ring.generation(0)

    # The publisher laps the ring while a reader holds the next frame's view.
    ring.write(1, pattern(1))
    held = frames.resolve(ring.header(1, seq=1), "/camera/image")
    mean = float(held.pixels.mean())
    ring.set_generation(1, ring.generation(1) + 1)  # a write begins (odd)
    assert not held.intact() and not held.intact() and frames.torn == 1
    assert held.copy() is None
    assert mean >= 0 and copy is not None and np.array_equal(copy.pixels, pattern(0)) and g % 2 == 0


def test_reclaimed_unavailable_and_hostile_references(ring, tmp_path):
    frames = shm.SharedFrames()
    ring.write(0, pattern(0))
    assert frames.resolve(ring.header(0, generation=ring.generation(0) + 2)) is None and frames.reclaimed == 1
    gone = f"/vlmbus.{os.getpid()}.1.999999"
    assert frames.resolve(ring.header(0, segment=gone)) is None and frames.unavailable == 1
    wide = Ring(mode=0o644)
    try:
        assert frames.resolve(ring.header(0, segment=wide.name)) is None and frames.unavailable == 2
    finally:
        wide.close()
    for bad in ({"segment": "/../../etc/passwd"}, {"slot": 9}, {"offset": 0}, {"generation": 3}, {"size": 1 << 40},
                {"slot": "x"}):
        h = ring.header(0)
        h["shm"].update(bad)
        with pytest.raises(MessageError):
            frames.resolve(h)
    h = ring.header(0)
    del h["shm"]
    with pytest.raises(MessageError):
        frames.resolve(h)


def test_same_host_detection():
    assert shm.is_same_host("ipc:///tmp/x.sock") and shm.is_same_host("tcp://127.0.0.1:5555")
    assert shm.is_same_host("tcp://[::1]:5555") and shm.is_same_host("tcp://localhost:1")
    assert not shm.is_same_host("tcp://10.0.0.7:5555") and not shm.is_same_host("tcp://1270.0.0.1:1")


def recv_subscriptions(xpub, n, timeout=5):
    got, deadline = [], time.time() + timeout
    while len(got) < n and time.time() < deadline:
        if xpub.poll(100):
            got.append(xpub.recv())
    return got


def test_subscription_negotiates_shared_memory_and_drops_its_inline_subscription(ring, tmp_path):
    endpoint = f"ipc://{tmp_path}/frames.sock"
    xpub = zmq.Context.instance().socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
    xpub.bind(endpoint)
    node = Node(inputs={"image": Binding("/camera/image", "vlm/Frame", endpoint)},
                outputs={"out": Binding("/out", "vlm/Detections", f"ipc://{tmp_path}/out.sock", True)})
    frames = node.subscribe("image")  # same host, a frame input: negotiated
    assert recv_subscriptions(xpub, 2) == [b"\x01@shm:/camera/image", b"\x01/camera/image"]
    for seq in range(3):
        slot = seq % 2
        ring.write(slot, pattern(seq))
        # What a vlmnode publisher sends: the reference first, then (while someone still has a
        # plain subscription) the inline copy of the same frame.
        xpub.send_multipart([b"@shm:/camera/image", json.dumps(ring.header(slot, seq=seq)).encode()])
        inline = dict(ring.header(slot, seq=seq), type="vlm/Frame", blobs=[24])
        del inline["shm"]
        xpub.send_multipart([b"/camera/image", json.dumps(inline).encode(), pattern(seq).tobytes()])
        got = frames.receive(timeout=5)
        assert isinstance(got, shm.SharedFrame) and got.seq == seq
        assert np.array_equal(got.pixels, pattern(seq)) and got.intact()
        assert frames.receive(timeout=0.1) is None  # the inline copy was dropped, not delivered
        if seq == 0:
            assert recv_subscriptions(xpub, 1) == [b"\x00/camera/image"]
    assert frames.negotiation.state == "shared" and frames.received == 3 and frames.malformed == 0

    # A result computed from a frame whose slot was overwritten meanwhile is never published.
    ring.write(1, pattern(7))
    xpub.send_multipart([b"@shm:/camera/image", json.dumps(ring.header(1, seq=7)).encode()])
    torn = frames.receive(timeout=5)
    ring.write(1, pattern(8))
    assert node.publish("out", Detections(detections=[], queries=["x"], queries_version=1), source=torn) is None
    assert frames.torn == 1 and frames.dropped >= 1
    node.close()
    xpub.close(0)


def test_a_reference_that_does_not_map_falls_back_inline(tmp_path):
    endpoint = f"ipc://{tmp_path}/frames.sock"
    xpub = zmq.Context.instance().socket(zmq.XPUB)
    xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
    xpub.bind(endpoint)
    node = Node(inputs={"image": Binding("/camera/image", "vlm/Frame", endpoint)})
    frames = node.subscribe("image", shm=True)
    assert len(recv_subscriptions(xpub, 2)) == 2
    header = {"v": 1, "type": shm.MESSAGE_TYPE, "seq": 0, "stamp_ns": 1, "width": 4, "height": 2, "encoding": "rgb8",
              "step": 12, "shm": {"segment": f"/vlmbus.{os.getpid()}.1.424242", "slot": 0, "generation": 2,
                                  "offset": 4096, "size": 24}}
    xpub.send_multipart([b"@shm:/camera/image", json.dumps(header).encode()])
    inline = {"v": 1, "type": "vlm/Frame", "seq": 0, "stamp_ns": 1, "width": 4, "height": 2, "encoding": "rgb8", "step": 12}
    xpub.send_multipart([b"/camera/image", json.dumps(inline).encode(), pattern(0).tobytes()])
    got = frames.receive(timeout=5)
    assert got is not None and not isinstance(got, shm.SharedFrame) and np.array_equal(got.pixels, pattern(0))
    assert recv_subscriptions(xpub, 1) == [b"\x00@shm:/camera/image"]
    assert frames.negotiation.state == "inline" and frames.shared_frames.unavailable == 1
    node.close()
    xpub.close(0)

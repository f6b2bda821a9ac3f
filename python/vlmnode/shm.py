"""Shared-memory frames on one host, read in place with numpy (docs/protocol.md section 8).

A vlmnode publisher writes each frame once into a ring of slots in a segment it owns
(/dev/shm/vlmbus.PID.START.N) and sends same-host subscribers of "@shm:" + topic only a
`vlm/SharedFrame` header naming the slot and its generation. `SharedFrames.resolve` maps the
segment (once; a few are kept) and returns a `SharedFrame` whose `pixels` is a numpy view of the
slot: nothing is copied. The publisher never waits for readers, so a slot can be overwritten while
you read it (a seqlock): compute what you need from the pixels, then call `intact()`; if it says
False the frame is torn and whatever you computed must be dropped (it is counted in `torn`).

    frames = node.subscribe("image")           # same host: negotiates shared memory itself
    msg = frames.receive(timeout=0.1)
    small = resize(msg.pixels)                  # read the slot in place
    if msg.intact():                            # the slot still held this frame afterwards
        node.publish("out", infer(small), source=msg)

Python readers do not pin slots (that needs an atomic compare-and-swap on the mapping), so check
`intact()` right after the pixels were consumed, not after a long inference. Generations are read
with plain aligned 8-byte loads, which x86-64 keeps in order; on weaker memory models a Python
reader may miss a tear.
"""
import mmap
import os
import re
import struct

import numpy as np

from .messages import Frame, MessageError

MARKER = "@shm:"
MESSAGE_TYPE = "vlm/SharedFrame"
_NAME = re.compile(r"^/vlmbus\.\d+\.\d+\.\d+$")
_HEADER = struct.Struct("<8sIIQQQI")  # magic, version, slots, slot bytes, data offset, pid, readers
_GEN = struct.Struct("<Q")
_SLOT_TABLE = 64  # slot i's generation word is at 64 + 64 * i


def is_same_host(endpoint):
    """True for endpoints whose publisher runs on this host: ipc:// and loopback tcp://."""
    if endpoint.startswith("ipc://"):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://"):].rpartition(":")[0].strip("[]")
    return host in ("localhost", "::1", "lo") or (host.startswith("127.") and host.count(".") == 3)


class SharedFrame(Frame):
    """A `Frame` whose `pixels` are a view of a publisher's ring slot; check `intact()` after use."""

    def intact(self):
        """True when the slot still holds this frame (what was read from `pixels` so far is valid).
        False: a torn read, counted once; drop whatever was computed from the pixels."""
        ok = _GEN.unpack_from(self._ring, _SLOT_TABLE + 64 * self._slot)[0] == self._generation
        if ok:
            self._verified = True
        elif not self._torn_counted:
            self._torn_counted = True
            self._owner.torn += 1
        return ok

    @property
    def verified(self):
        """True once `intact()` said True: what was read before that call is valid for good."""
        return self._verified

    def copy(self):
        """A plain `Frame` with its own copy of the pixels, or None if the slot was overwritten."""
        pixels = np.array(self.pixels)
        if not self.intact():
            return None
        f = Frame(pixels=pixels, **self.fields())
        f.topic, f.seq, f.stamp_ns = self.topic, self.seq, self.stamp_ns
        f.source_seq, f.source_stamp_ns = self.source_seq, self.source_stamp_ns
        return f


class SharedFrames:
    """Maps the segments named in `vlm/SharedFrame` headers (a few, reused) and resolves them.
    Counters: resolved, reclaimed (slot reused before it was read), torn (reused while it was
    read, found by `intact()`), unavailable (segment not mappable here: another host, container
    or user)."""

    def __init__(self, max_mappings=8):
        self.rings = {}
        self.max_mappings = max_mappings
        self.resolved = self.reclaimed = self.torn = self.unavailable = 0

    def _map(self, name):
        ring = self.rings.get(name)
        if ring is not None:
            return ring
        if not isinstance(name, str) or not _NAME.match(name):
            raise MessageError(f"{name!r} is not a vlmnode segment name")
        fd = os.open("/dev/shm" + name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            # Same rule as the Swift reader: ours, and nobody else may read or write it.
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                raise PermissionError(f"{name}: not owned by this user with mode 0600")
            ring = mmap.mmap(fd, st.st_size, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(fd)
        magic, version, slots, slot_bytes, data_offset, _pid, _readers = _HEADER.unpack_from(ring, 0)
        if magic != b"VLMSHM01" or version != 1 or not 0 < slots <= 1024 or data_offset + slots * slot_bytes > len(ring):
            raise ValueError(f"{name}: not a VLMBus frame ring")
        if len(self.rings) >= self.max_mappings:
            self.rings.pop(next(iter(self.rings)))  # frames still in use keep their mapping alive
        self.rings[name] = ring
        return ring

    def resolve(self, header, topic=None):
        """A `SharedFrame` for a `vlm/SharedFrame` header (`topic` without the marker), or None
        (counted) when the slot was already reused or the segment cannot be mapped here. Raises
        MessageError for a header that breaks the protocol."""
        ref = header.get("shm")
        if not isinstance(ref, dict):
            raise MessageError('header field "shm": not an object')
        try:
            slot, generation, offset, size = (int(ref[k]) for k in ("slot", "generation", "offset", "size"))
        except (KeyError, TypeError, ValueError):
            raise MessageError('header field "shm": slot, generation, offset and size must be integers') from None
        if min(slot, generation, offset, size) < 0 or generation % 2:
            raise MessageError('header field "shm": negative or odd values')
        try:
            ring = self._map(ref.get("segment"))
        except (OSError, ValueError) as e:
            if isinstance(e, MessageError):
                raise
            self.unavailable += 1
            return None
        _, _, slots, slot_bytes, data_offset, _, _ = _HEADER.unpack_from(ring, 0)
        if not (slot < slots and size <= slot_bytes and offset == data_offset + slot * slot_bytes):
            raise MessageError(f"slot {slot} offset {offset} size {size} do not fit {ref['segment']}")
        if _GEN.unpack_from(ring, _SLOT_TABLE + 64 * slot)[0] != generation:
            self.reclaimed += 1
            return None
        h = dict(header, type=Frame.TYPE)
        h.pop("shm", None)
        h.pop("blobs", None)
        view = memoryview(ring)[offset:offset + size]
        frame = SharedFrame.from_header(h, [view], topic)
        if not isinstance(frame, SharedFrame):
            raise MessageError("not a frame")
        frame._owner, frame._ring, frame._slot, frame._generation = self, ring, slot, generation
        frame._verified = frame._torn_counted = False
        self.resolved += 1
        return frame


class Negotiation:
    """Shared memory or inline for one subscription, decided by the publisher's first message
    (the Swift side: Sources/VLMBus/SharedMemory/ShmNegotiation.swift). Subscribe to both
    `subscriptions(topic)`; a publisher that speaks the addition sends a frame's reference before
    its inline copy, so when the reference maps, the plain subscription is dropped, and when it
    cannot be mapped, the "@shm:" one is. A plain publisher never sends "@shm:" topics."""

    def __init__(self, topic):
        self.topic = topic
        self.state = "negotiating"
        self._last_inline_seq = None
        self.outbox = []  # unsubscribe messages to send upstream (the socket's thread sends them)

    @staticmethod
    def subscriptions(topic):
        return [MARKER + topic, topic]

    def admit(self, seq, shared, unavailable=False):
        """Whether to deliver a message with `seq` that came through shared memory or inline."""
        if self.state == "negotiating":
            if not shared:
                self._last_inline_seq = seq
                return True
            if unavailable:
                self.state = "inline"
                self.outbox.append(b"\x00" + (MARKER + self.topic).encode())
                return False
            self.state = "shared"
            self.outbox.append(b"\x00" + self.topic.encode())
            return seq != self._last_inline_seq  # a mirrored message already delivered inline
        return shared == (self.state == "shared")  # the other copy was already on its way


def decode(parts, frames):
    """Like `messages.decode`, for a subscription that may get "@shm:" topics: returns
    (message or None, came through shared memory, segment unavailable). A shared frame becomes a
    `SharedFrame` (None when its slot was reused first or cannot be mapped: counted in `frames`);
    other "@shm:" messages are mirrors of the inline ones and decode as usual."""
    from .messages import decode as decode_inline
    first = parts[0].buffer if hasattr(parts[0], "buffer") else parts[0]
    marker = MARKER.encode()
    if bytes(first[:len(marker)]) != marker:
        return decode_inline(parts), False, False
    topic = bytes(first[len(marker):])
    message = decode_inline([topic] + list(parts[1:]))
    if message.TYPE != MESSAGE_TYPE:
        return message, True, False
    if len(parts) != 2:
        raise MessageError(f"a {MESSAGE_TYPE} has 2 parts, not {len(parts)}")
    import json
    header = json.loads(bytes(parts[1].buffer if hasattr(parts[1], "buffer") else parts[1]))
    before = frames.unavailable
    frame = frames.resolve(header, message.topic)
    return frame, True, frames.unavailable > before

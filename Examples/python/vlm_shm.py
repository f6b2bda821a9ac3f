"""Read vlmnode shared-memory frames in place with numpy (docs/protocol.md section 8).

A same-host client subscribes to "@shm:" + topic instead of the topic. Frames then arrive as
`vlm/SharedFrame` headers whose "shm" object names a slot in the publisher's ring segment
(/dev/shm/vlmbus.PID.START.N); this module maps the segment once and hands out a numpy view of
the slot (no copy). The publisher never waits for readers, so a slot can be overwritten while you
read it: compute what you need, then call `intact()` and discard the result if it says False.

    frames = SharedFrames()
    ...
    view = frames.resolve(header)           # header: the parsed JSON of a vlm/SharedFrame
    if view is not None:
        result = process(view.pixels)       # (h, w, c) uint8 array over the mapping
        if view.intact():
            use(result)                     # else: a torn read, dropped (counted in frames.torn)

Standalone (pure Python + numpy); the node-runtime branch's Python SDK may absorb it.
Generations are read with plain 8-byte loads, which x86-64 keeps in order (loads are not
reordered with loads); on weaker memory models a reader in Python may miss a tear.
"""
import mmap
import os
import re
import struct

import numpy as np

MARKER = "@shm:"
MESSAGE_TYPE = "vlm/SharedFrame"
CHANNELS = {"rgb8": 3, "bgr8": 3, "gray8": 1}
_NAME = re.compile(r"^/vlmbus\.\d+\.\d+\.\d+$")
_HEADER = struct.Struct("<8sIIQQQI")  # magic, version, slots, slot bytes, data offset, pid, readers
_GEN = struct.Struct("<Q")
_SLOT_TABLE = 64  # slot i's generation word is at 64 + 64 * i


class SharedFrameView:
    """One frame read in place: `pixels` is a view of the slot; check `intact()` after using it."""

    def __init__(self, owner, ring, slot, generation, pixels):
        self._owner, self._ring, self._slot, self._generation = owner, ring, slot, generation
        self.pixels = pixels

    def intact(self):
        ok = _GEN.unpack_from(self._ring, _SLOT_TABLE + 64 * self._slot)[0] == self._generation
        if not ok:
            self._owner.torn += 1
        return ok


class SharedFrames:
    """Maps the segments named in `vlm/SharedFrame` headers (a few, reused) and resolves them."""

    def __init__(self, max_mappings=8):
        self.rings = {}
        self.max_mappings = max_mappings
        self.resolved = self.reclaimed = self.torn = self.unavailable = 0

    def _map(self, name):
        ring = self.rings.get(name)
        if ring is not None:
            return ring
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a vlmnode segment name")
        fd = os.open("/dev/shm" + name, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            # Same rule as the Swift reader: ours, and nobody else may read or write it.
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                raise PermissionError(f"{name}: not owned by this user with mode 0600")
            ring = mmap.mmap(fd, st.st_size, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(fd)
        magic, version, slots, slot_bytes, data_offset, _pid, _readers = _HEADER.unpack_from(ring, 0)
        if magic != b"VLMSHM01" or version != 1 or data_offset + slots * slot_bytes > len(ring):
            raise ValueError(f"{name}: not a VLMBus frame ring")
        if len(self.rings) >= self.max_mappings:
            self.rings.pop(next(iter(self.rings)))  # views still in use keep their mapping alive
        self.rings[name] = ring
        return ring

    def resolve(self, header):
        """A SharedFrameView for a vlm/SharedFrame header, or None (counted) if the slot was
        already reused or the segment cannot be mapped (another host or container)."""
        ref = header["shm"]
        w, h, step, enc = header["width"], header["height"], header["step"], header["encoding"]
        c = CHANNELS.get(enc)
        if c is None:
            raise ValueError(f"encoding {enc!r} not handled here")
        slot, generation, offset, size = ref["slot"], ref["generation"], ref["offset"], ref["size"]
        if size != step * h or step < w * c:
            raise ValueError(f"{size} bytes for {w}x{h} {enc} step {step}")
        try:
            ring = self._map(ref["segment"])
        except (OSError, ValueError):
            self.unavailable += 1
            return None
        _, _, slots, slot_bytes, data_offset, _, _ = _HEADER.unpack_from(ring, 0)
        if not (0 <= slot < slots and size <= slot_bytes and offset == data_offset + slot * slot_bytes):
            raise ValueError(f"slot {slot} offset {offset} size {size} do not fit {ref['segment']}")
        if _GEN.unpack_from(ring, _SLOT_TABLE + 64 * slot)[0] != generation:
            self.reclaimed += 1
            return None
        rows = np.frombuffer(ring, dtype=np.uint8, count=size, offset=offset).reshape(h, step)
        self.resolved += 1
        return SharedFrameView(self, ring, slot, generation, rows[:, : w * c].reshape(h, w, c))

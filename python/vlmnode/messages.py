"""Typed messages of wire protocol v1, matching the Swift VLMMessages types field for field."""
import json
import time

import numpy as np

PROTOCOL_VERSION = 1
STANDARD_KEYS = ("v", "type", "seq", "stamp_ns", "source_seq", "source_stamp_ns", "blobs")
CHANNELS = {"rgb8": 3, "bgr8": 3, "gray8": 1}


class MessageError(ValueError):
    """A message that breaks the protocol: skipped and counted by subscriptions, never fatal."""


def _int(header, key, required=True, minimum=None):
    value = header.get(key)
    if value is None:
        if required:
            raise MessageError(f'header lacks "{key}"')
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f'header field "{key}": not an integer')
    if minimum is not None and value < minimum:
        raise MessageError(f'header field "{key}": below {minimum}')
    return value


class Message:
    """Base of every typed message: the standard header fields plus the type's own `FIELDS`."""
    TYPE = None
    FIELDS = ()  # (name, required)

    def __init__(self, **fields):
        self.seq = fields.pop("seq", None)
        self.stamp_ns = fields.pop("stamp_ns", None)
        self.source_seq = fields.pop("source_seq", None)
        self.source_stamp_ns = fields.pop("source_stamp_ns", None)
        self.topic = fields.pop("topic", None)
        self.extra = {}
        names = {n for n, _ in self.FIELDS}
        for name, required in self.FIELDS:
            if name not in fields and required:
                raise MessageError(f"{self.TYPE}: missing field {name!r}")
            setattr(self, name, fields.pop(name, None))
        self.extra.update(fields)  # fields this SDK does not know (newer publishers) or stamp fields
        self._names = names

    def fields(self):
        out = dict(self.extra)
        for name, _ in self.FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def blobs(self):
        return []

    def header(self, seq, stamp_ns=None, source_seq=None, source_stamp_ns=None):
        h = {"v": PROTOCOL_VERSION, "type": self.TYPE, "seq": seq,
             "stamp_ns": time.time_ns() if stamp_ns is None else stamp_ns}
        if source_seq is not None:
            h["source_seq"] = source_seq
        if source_stamp_ns is not None:
            h["source_stamp_ns"] = source_stamp_ns
        h["blobs"] = [len(b) for b in self.blobs()]
        for k, v in sorted(self.fields().items()):
            if k not in STANDARD_KEYS:
                h[k] = v
        return h

    @classmethod
    def from_header(cls, header, blobs, topic=None):
        fields = {k: v for k, v in header.items() if k not in STANDARD_KEYS}
        try:
            m = cls(**fields)
        except TypeError as e:
            raise MessageError(f"{cls.TYPE}: {e}") from None
        m.seq, m.stamp_ns = header["seq"], header["stamp_ns"]
        m.source_seq, m.source_stamp_ns = header.get("source_seq"), header.get("source_stamp_ns")
        m.topic = topic
        return m

    def __getitem__(self, key):
        return self.fields()[key]

    def __repr__(self):
        return f"{type(self).__name__}({self.fields()!r})"


class Text(Message):
    TYPE = "vlm/Text"
    FIELDS = (("text", True),)

    @classmethod
    def from_header(cls, header, blobs, topic=None):
        if "text" not in header and blobs:
            try:
                header = dict(header, text=bytes(blobs[0]).decode("utf-8"))
            except UnicodeDecodeError:
                raise MessageError('no "text" field and no UTF-8 blob') from None
        if not isinstance(header.get("text"), str):
            raise MessageError('no "text" field and no UTF-8 blob')
        return super().from_header(header, [], topic)

    def items(self):
        """"red cup, blue bowl" -> ["red cup", "blue bowl"]."""
        return [s.strip() for s in self.text.split(",") if s.strip()]


class Frame(Message):
    """An image; `pixels` is an (h, w, c) uint8 array (a view onto the received buffer)."""
    TYPE = "vlm/Frame"
    FIELDS = (("width", True), ("height", True), ("encoding", True), ("step", True), ("pts", False))

    def __init__(self, pixels=None, **fields):
        super().__init__(**fields)
        self.pixels = pixels

    @classmethod
    def from_array(cls, array, encoding="rgb8", **fields):
        array = np.ascontiguousarray(array, dtype=np.uint8)
        if array.ndim == 2:
            array = array[:, :, None]
        h, w, c = array.shape
        if CHANNELS.get(encoding) != c:
            raise MessageError(f"{c} channels do not fit {encoding}")
        return cls(pixels=array, width=w, height=h, encoding=encoding, step=w * c, **fields)

    def blobs(self):
        return [] if self.pixels is None else [memoryview(np.ascontiguousarray(self.pixels)).cast("B")]

    @classmethod
    def from_header(cls, header, blobs, topic=None):
        w, h, step = (_int(header, k, minimum=1) for k in ("width", "height", "step"))
        enc = header.get("encoding")
        if not isinstance(enc, str):
            raise MessageError('header field "encoding": not a string')
        c = CHANNELS.get(enc)
        if not blobs:
            raise MessageError("a frame needs one blob")
        if c is not None and (step < w * c or len(blobs[0]) < (h - 1) * step + w * c):
            raise MessageError(f"frame pixels do not match {w}x{h} step {step}")
        m = super().from_header(header, [], topic)
        if c is not None:
            rows = np.frombuffer(blobs[0], dtype=np.uint8, count=(h - 1) * step + w * c)
            m.pixels = np.lib.stride_tricks.as_strided(rows, shape=(h, w, c), strides=(step, c, 1))
        return m

    def rgb(self):
        """The pixels as rgb (a copy for bgr8/gray8)."""
        if self.encoding == "bgr8":
            return self.pixels[:, :, ::-1]
        if self.encoding == "gray8":
            return np.repeat(self.pixels, 3, axis=2)
        return self.pixels


class Detection(dict):
    """One box: {"label", "label_index", "score", "box": [x0, y0, x1, y1]}."""

    def __init__(self, label, label_index, score, box):
        super().__init__(label=label, label_index=int(label_index), score=float(score), box=[float(v) for v in box])


class Detections(Message):
    TYPE = "vlm/Detections"
    FIELDS = (("detections", True), ("queries", True), ("queries_version", True), ("image_size", False),
              ("inference_ms", False))


class VideoScores(Message):
    TYPE = "vlm/VideoScores"
    FIELDS = (("prompts", True), ("prompts_version", True), ("probs", True), ("logits", True), ("score_kind", True),
              ("window_start_ns", True), ("window_end_ns", True), ("frame_seqs", True), ("inference_ms", False))


class VideoEvent(Message):
    TYPE = "vlm/VideoEvent"
    FIELDS = (("prompt", True), ("prompt_index", True), ("edge", True), ("score", True), ("score_kind", True),
              ("threshold", True), ("hysteresis", True), ("window_start_ns", True), ("window_end_ns", True),
              ("prompts_version", True))


class Grounding(Message):
    TYPE = "vlm/Grounding"
    FIELDS = (("command", True), ("action", False), ("intent", False), ("image_size", False), ("threshold", False),
              ("targets", True), ("complete", False), ("command_version", True), ("error", False),
              ("inference_ms", False))


class LabelCounts(Message):
    TYPE = "vlm/LabelCounts"
    FIELDS = (("counts", True), ("total", True), ("min_score", True))


class LabelEvent(Message):
    TYPE = "vlm/LabelEvent"
    FIELDS = (("label", True), ("edge", True), ("count", True), ("previous_count", True))


TYPES = {cls.TYPE: cls for cls in (Text, Frame, Detections, VideoScores, VideoEvent, Grounding, LabelCounts, LabelEvent)}


def decode(parts, expected=None):
    """[topic, header, blob…] (bytes or zmq frames) -> a typed message; MessageError when malformed.
    Types this SDK does not define come back as a plain `Message` with every field in `extra`."""
    raw = [p.buffer if hasattr(p, "buffer") else p for p in parts]
    if len(raw) < 2:
        raise MessageError(f"message has {len(raw)} parts, expected at least 2")
    try:
        topic = bytes(raw[0]).decode("utf-8")
    except UnicodeDecodeError:
        raise MessageError("topic part is not UTF-8") from None
    try:
        header = json.loads(bytes(raw[1]))
    except (ValueError, UnicodeDecodeError):
        raise MessageError("header is not a JSON object") from None
    if not isinstance(header, dict):
        raise MessageError("header is not a JSON object")
    if header.get("v") != PROTOCOL_VERSION:
        raise MessageError(f"protocol version {header.get('v')!r} is not supported")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise MessageError('header field "type": not a non-empty string')
    _int(header, "seq", minimum=0)
    _int(header, "stamp_ns")
    _int(header, "source_seq", required=False, minimum=0)
    _int(header, "source_stamp_ns", required=False)
    blobs = raw[2:]
    sizes = header.get("blobs")
    if sizes is not None and (not isinstance(sizes, list) or [len(b) for b in blobs] != sizes):
        raise MessageError("blob sizes do not add up")
    if expected is not None and expected != "any" and kind != expected:
        raise MessageError(f"type {kind!r}, expected {expected}")
    cls = TYPES.get(kind)
    if cls is None:
        m = Message.from_header(header, blobs, topic)
        m.TYPE = kind
        return m
    return cls.from_header(header, blobs, topic)

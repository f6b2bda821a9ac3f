#!/usr/bin/env python3
"""Reads a vlmnode recording with the official MCAP tools, as a Foxglove user's script would.

usage: check_foxglove_recording.py FILE.mcap SOURCE_FRAMES.json
SOURCE_FRAMES.json maps str(stamp_ns) -> zlib.crc32 of the pixels the frame source published
(collected by the test from the bus, independently of the recorder).

Checks, printing one line per finding and exiting 1 on any failure:
  * every protobuf frame channel decodes as foxglove.RawImage (mcap-protobuf-support, with the
    descriptors embedded in the file); timestamp, size, step and data match the source frame;
  * every annotation (foxglove.ImageAnnotations) is stamped with a recorded frame's timestamp,
    and its LINE_LOOP boxes equal the boxes of the detections result it came from;
  * every json message validates against its channel's jsonschema (the jsonschema package).
Prints a summary line "frames N annotations M json K" on success.
"""
import zlib
import json
import sys

import jsonschema
from mcap.reader import make_reader
from mcap_protobuf.decoder import DecoderFactory


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def main():
    path, frames_path = sys.argv[1], sys.argv[2]
    source = json.load(open(frames_path))
    frame_stamps, annotations, results = set(), [], {}
    counts = {"frames": 0, "matched": 0, "annotations": 0, "json": 0}
    validators = {}
    with open(path, "rb") as f:
        reader = make_reader(f)
        factory, decoders = DecoderFactory(), {}
        for schema, channel, message in reader.iter_messages():
            if channel.message_encoding == "protobuf":
                if schema.id not in decoders:
                    decoders[schema.id] = factory.decoder_for("protobuf", schema)
                decoded = decoders[schema.id](message.data)
                if schema.encoding != "protobuf":
                    fail(f"{channel.topic}: protobuf channel with schema encoding {schema.encoding!r}")
                name = decoded.DESCRIPTOR.full_name
                if name != schema.name:
                    fail(f"{channel.topic}: decoded {name}, schema says {schema.name}")
                if name == "foxglove.RawImage":
                    counts["frames"] += 1
                    stamp = decoded.timestamp.seconds * 10**9 + decoded.timestamp.nanos
                    frame_stamps.add(stamp)
                    if decoded.encoding not in ("rgb8", "bgr8", "mono8"):
                        fail(f"frame {stamp}: encoding {decoded.encoding}")
                    if len(decoded.data) != decoded.step * decoded.height or decoded.step < decoded.width * 3:
                        fail(f"frame {stamp}: {len(decoded.data)} bytes for {decoded.width}x{decoded.height} step {decoded.step}")
                    if message.publish_time != stamp:
                        fail(f"frame {stamp}: MCAP publish_time {message.publish_time}")
                    want = source.get(str(stamp))
                    if want is not None:
                        if zlib.crc32(decoded.data) != want:
                            fail(f"frame {stamp}: pixels differ from what the source published")
                        counts["matched"] += 1
                elif name == "foxglove.ImageAnnotations":
                    counts["annotations"] += 1
                    annotations.append((channel.topic, decoded))
                else:
                    fail(f"{channel.topic}: unexpected protobuf schema {name}")
            elif channel.message_encoding == "json":
                if schema.encoding != "jsonschema":
                    fail(f"{channel.topic}: json channel with schema encoding {schema.encoding!r}")
                key = schema.id
                if key not in validators:
                    s = json.loads(schema.data)
                    jsonschema.Draft202012Validator.check_schema(s)
                    validators[key] = jsonschema.Draft202012Validator(s)
                obj = json.loads(message.data)
                errors = list(validators[key].iter_errors(obj))
                if errors:
                    fail(f"{channel.topic} seq {obj.get('seq')}: {errors[0].message}")
                counts["json"] += 1
                if obj.get("type") == "vlm/Detections" and "source_stamp_ns" in obj:
                    results[(channel.topic + "/annotations", obj["source_stamp_ns"], obj["seq"])] = obj
            else:
                fail(f"{channel.topic}: message encoding {channel.message_encoding!r} that viewers cannot decode")

    if counts["frames"] == 0 or counts["matched"] == 0:
        fail(f"no frames matched the source ({counts})")
    if counts["annotations"] == 0:
        fail("no annotations")
    by_stamp = {}
    for (topic, stamp, seq), obj in results.items():
        by_stamp.setdefault((topic, stamp), []).append(obj)
    boxes_checked = 0
    for topic, a in annotations:
        stamp = a.timestamp.seconds * 10**9 + a.timestamp.nanos
        if stamp not in frame_stamps:
            fail(f"{topic}: annotation at {stamp} matches no recorded frame")
        candidates = by_stamp.get((topic, stamp))
        if not candidates:
            fail(f"{topic}: annotation at {stamp} has no detections result with that source_stamp_ns")
        got = []
        for p in a.points:
            if p.type != 2:  # LINE_LOOP
                fail(f"{topic}: points annotation of type {p.type}")
            if (p.timestamp.seconds * 10**9 + p.timestamp.nanos) != stamp:
                fail(f"{topic}: a box stamped differently from its annotation message")
            xs, ys = [q.x for q in p.points], [q.y for q in p.points]
            got.append([min(xs), min(ys), max(xs), max(ys)])
        if not any(got == [d["box"] for d in obj["detections"]] for obj in candidates):
            fail(f"{topic}: annotation boxes {got} differ from the detections {[d['box'] for d in candidates[0]['detections']]}")
        boxes_checked += len(got)
    if boxes_checked == 0:
        fail("no annotation held a box")
    print(f"frames {counts['frames']} (source-matched {counts['matched']}) annotations {counts['annotations']} "
          f"boxes {boxes_checked} json {counts['json']}")


if __name__ == "__main__":
    main()

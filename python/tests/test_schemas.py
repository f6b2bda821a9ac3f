"""The SDK's message classes mirror the Swift types: their fields are the JSON Schema's (docs/schemas,
generated from the Swift definitions), required where the schema requires them."""
import json
import os

import pytest

from vlmnode.messages import STANDARD_KEYS, TYPES, decode

SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "schemas")
STAMP = {"latency_ms", "frames_received", "frames_dropped", "frames_overwritten"}


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_fields_match_the_published_schema(kind):
    with open(os.path.join(SCHEMAS, kind.replace("/", "-") + ".schema.json")) as f:
        schema = json.load(f)
    cls = TYPES[kind]
    own = set(schema["properties"]) - set(STANDARD_KEYS) - STAMP
    assert {name for name, _ in cls.FIELDS} == own
    required = set(schema.get("required", [])) - set(STANDARD_KEYS)
    assert {name for name, req in cls.FIELDS if req} == required


def test_every_published_schema_has_a_class():
    published = {n[: -len(".schema.json")].replace("-", "/", 1) for n in os.listdir(SCHEMAS) if n.endswith(".schema.json")}
    assert published == set(TYPES)


def test_label_messages_decode():
    h = {"v": 1, "type": "vlm/LabelEvent", "seq": 0, "stamp_ns": 5, "source_seq": 2, "label": "cup",
         "edge": "appeared", "count": 2, "previous_count": 0, "latency_ms": 1.5}
    e = decode([b"/label_events", json.dumps(h).encode()])
    assert (type(e).__name__, e.label, e.edge, e.count, e.extra["latency_ms"]) == ("LabelEvent", "cup", "appeared", 2, 1.5)

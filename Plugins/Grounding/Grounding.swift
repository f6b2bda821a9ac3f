/// Grounding plugin: language commands -> targets in the image (docs/grounding.md).

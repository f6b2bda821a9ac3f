// Grounding plugin node.

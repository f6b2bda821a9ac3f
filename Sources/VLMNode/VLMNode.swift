// VLMNode module. See ../../../shared/DESIGN.md section 2 for its concern.

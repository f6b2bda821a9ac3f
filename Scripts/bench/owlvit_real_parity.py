#!/usr/bin/env python3
"""Parity at the real B/32 size (dev-time, needs torch + transformers): 768 px, 24x24 patches.

    /work/venv/bin/python Scripts/bench/owlvit_real_parity.py DIR
    vlmnode detect --model DIR/model --json --threshold 0 --no-nms DIR/img768.png "a red disc" "a blue bar" > DIR/ours.json
    /work/venv/bin/python Scripts/bench/owlvit_real_parity.py DIR --compare DIR/ours.json

Writes DIR/model (OwlViTConfig() defaults; every matrix and bias drawn from N(0, 0.02), seed 1, so
logits and boxes do not saturate as with the default init; the tiny fixture's tokenizer files and
a 768 px preprocessor_config.json), DIR/img768.png (random pixels, already at the input size) and
DIR/reference.json (transformers' post_process_object_detection with the PIL image processor,
threshold 0: every patch). --compare prints the largest score and box differences.
"""
import json, os, shutil, sys


def build(root):
    import numpy as np, torch
    from PIL import Image
    from transformers import OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessorPil, CLIPTokenizer
    torch.manual_seed(1)
    model = OwlViTForObjectDetection(OwlViTConfig()).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 or name.endswith("bias"):
                p.normal_(0, 0.02)
    folder = os.path.join(root, "model")
    model.save_pretrained(folder)
    tiny = os.path.join(os.path.dirname(__file__), "../../Tests/Fixtures/models/owlvit-tiny-old")
    for f in ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(tiny, f), os.path.join(folder, f))
    pp = json.load(open(os.path.join(tiny, "preprocessor_config.json")))
    pp["size"] = pp["crop_size"] = 768
    json.dump(pp, open(os.path.join(folder, "preprocessor_config.json"), "w"))
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (768, 768, 3), dtype=np.uint8))
    img.save(os.path.join(root, "img768.png"))
    tok = CLIPTokenizer.from_pretrained(folder)
    ids = tok(["a red disc", "a blue bar"], padding="max_length", return_tensors="pt")
    ip = OwlViTImageProcessorPil.from_pretrained(folder)
    with torch.no_grad():
        out = model(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"],
                    pixel_values=ip(images=img, return_tensors="pt")["pixel_values"])
    res = ip.post_process_object_detection(out, threshold=0.0, target_sizes=torch.tensor([[768, 768]]))[0]
    json.dump({k: res[k].tolist() for k in ("scores", "labels", "boxes")}, open(os.path.join(root, "reference.json"), "w"))


def compare(root, ours_path):
    ref = json.load(open(os.path.join(root, "reference.json")))
    ours = json.load(open(ours_path))["detections"]
    order = sorted(range(len(ref["scores"])), key=lambda i: -ref["scores"][i])
    pairs = list(zip(ours, order))
    print(f"{len(ours)} detections (reference {len(order)})")
    print("max |score diff|", max(abs(d["score"] - ref["scores"][i]) for d, i in pairs))
    print("max |box diff| px", max(abs(a - b) for d, i in pairs for a, b in zip(d["box"], ref["boxes"][i])))
    print("label mismatches", sum(d["label_index"] != ref["labels"][i] for d, i in pairs))


if __name__ == "__main__":
    if "--compare" in sys.argv:
        compare(sys.argv[1], sys.argv[sys.argv.index("--compare") + 1])
    else:
        build(sys.argv[1])

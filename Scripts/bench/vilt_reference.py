"""ViLT-B/32 VQA in PyTorch eager and ONNX Runtime (random weights), the workload of `vlmnode bench vilt`,
so the three can be compared in one run. Dev-time only (needs torch, transformers, onnx, onnxruntime).
Prints one JSON object of median seconds.
  Architecture: dandelin/vilt-b32-finetuned-vqa's config (ViltConfig defaults, 3129 answers).
  Input: one 384x640 image (pixel_values as the model takes them, all pixels valid: 12x20 = 240 patches)
         and one question of 11 tokens ([CLS] ... [SEP]).
Settings follow ../shared/reference/{torch,ort}_bench.py (1 warm-up, median of N runs)."""
import json, os, sys, tempfile, time
import torch
from transformers import ViltConfig, ViltForQuestionAnswering

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.manual_seed(0)
torch.set_num_threads(threads)
labels = 3129
config = ViltConfig(id2label={i: f"answer {i}" for i in range(labels)}, label2id={f"answer {i}": i for i in range(labels)})
model = ViltForQuestionAnswering(config).eval()
ids = torch.randint(1000, 30000, (1, 11)); ids[0, 0] = 101; ids[0, -1] = 102
mask = torch.ones_like(ids)
pixels = torch.randn(1, 3, 384, 640)
pixel_mask = torch.ones(1, 384, 640, dtype=torch.long)


def median(f):
    f(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


res = {"threads": threads, "labels": labels}
with torch.inference_mode():
    res["torch_s"] = median(lambda: model(input_ids=ids, attention_mask=mask, pixel_values=pixels, pixel_mask=pixel_mask))

try:
    import onnxruntime as ort

    class W(torch.nn.Module):
        def __init__(self, m):
            super().__init__(); self.m = m

        def forward(self, ids, mask, pixels, pixel_mask):
            return self.m(input_ids=ids, attention_mask=mask, pixel_values=pixels, pixel_mask=pixel_mask).logits

    path = os.path.join(tempfile.mkdtemp(), "vilt.onnx")
    # In eval every valid patch is kept, in a torch.multinomial order attention cannot see; a fixed
    # order exports cleanly and computes the same logits.
    real = torch.multinomial
    torch.multinomial = lambda input, n, replacement=False, **kw: torch.arange(n)
    try:
        with torch.no_grad():
            torch.onnx.export(W(model), (ids, mask, pixels, pixel_mask), path, input_names=["input_ids", "attention_mask", "pixel_values", "pixel_mask"],
                              opset_version=17, dynamo=False)
    finally:
        torch.multinomial = real
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "pixel_values": pixels.numpy(), "pixel_mask": pixel_mask.numpy()}
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, pixel_mask=pixel_mask).logits.numpy()
    res["ort_max_abs_diff_vs_torch"] = float(abs(s.run(None, feed)[0] - want).max())
    res["ort_s"] = median(lambda: s.run(None, feed))
except Exception as e:  # keep the torch figure when ONNX export is unavailable
    res["ort_error"] = str(e).splitlines()[0][:200]
print(json.dumps(res))

"""X-CLIP B/32 (random weights, real sizes) in PyTorch eager and ONNX Runtime, 8 frames of 224 px + 2 texts
of 16 tokens: the workload of `vlmnode bench xclip`, so the two can be compared in one run under the
same machine load. Dev-time only (needs torch, transformers, onnx, onnxruntime). Prints one JSON object of
median seconds. Settings follow ../shared/reference/{torch,ort}_bench.py (1 warm-up, median of N runs)."""
import json, os, sys, tempfile, time
import torch
from transformers import XCLIPConfig, XCLIPModel

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.manual_seed(0)
torch.set_num_threads(threads)
ids = torch.randint(0, 49000, (2, 16)); ids[:, -1] = 49407
pixels = torch.randn(1, 8, 3, 224, 224)
model = XCLIPModel(XCLIPConfig()).eval()

def median(f):
    f(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

res = {"threads": threads}
with torch.inference_mode():
    res["torch_total_s"] = median(lambda: model(input_ids=ids, pixel_values=pixels))
try:
    import onnxruntime as ort
    class W(torch.nn.Module):
        def __init__(s, m): super().__init__(); s.m = m
        def forward(s, input_ids, pixel_values): return s.m(input_ids=input_ids, pixel_values=pixel_values)[0]
    path = os.path.join(tempfile.mkdtemp(), "xclip.onnx")
    with torch.no_grad():
        torch.onnx.export(W(model), (ids, pixels), path, input_names=["input_ids", "pixel_values"], opset_version=17, dynamo=False)
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids.numpy(), "pixel_values": pixels.numpy()}
    res["ort_total_s"] = median(lambda: s.run(None, feed))
except Exception as e:  # keep the torch figures when ONNX export is unavailable
    res["ort_error"] = str(e).splitlines()[0][:200]
print(json.dumps(res))

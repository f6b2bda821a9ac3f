"""CLIPSeg in PyTorch eager (random weights), the workloads of `vlmnode bench clipseg`, so the two can be
compared in one run. Dev-time only (needs torch, transformers). Prints one JSON object of median seconds.
  anchor:  CLIPSegConfig() defaults (ViT-B/32 patch, single ConvT head), 2 images 352 px + 2 prompts of
           16 tokens: exactly ../shared/reference/torch_bench.py's 'clipseg-rd64 352 + 2 prompts'.
  rd64:    the published CIDAS/clipseg-rd64-refined architecture (patch 16, refined head), same inputs.
Settings follow torch_bench.py (1 warm-up, median of N runs)."""
import json, sys, time
import torch
from transformers import CLIPSegConfig, CLIPSegForImageSegmentation

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.manual_seed(0)
torch.set_num_threads(threads)
ids = torch.randint(0, 49000, (2, 16)); ids[:, -1] = 49407
pixels = torch.randn(2, 3, 352, 352)

def median(f):
    f(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

res = {"threads": threads}
anchor = CLIPSegForImageSegmentation(CLIPSegConfig()).eval()
rd64c = CLIPSegConfig(use_complex_transposed_convolution=True)
rd64c.vision_config.patch_size = 16
rd64 = CLIPSegForImageSegmentation(rd64c).eval()
with torch.inference_mode():
    res["torch_anchor_s"] = median(lambda: anchor(input_ids=ids, pixel_values=pixels))
    res["torch_rd64_s"] = median(lambda: rd64(input_ids=ids, pixel_values=pixels))
print(json.dumps(res))

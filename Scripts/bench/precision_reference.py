"""ONNX Runtime int8 (quantize_dynamic) next to ORT fp32 and PyTorch fp32 on exactly the inputs and
weights `vlmnode bench accuracy` / the model benches use. Dev-time only (torch, transformers, onnx,
onnxruntime); CI never runs it.

    python precision_reference.py KIND SOURCE OUTDIR [--outliers] [--threads N] [--runs N] [--speed]

KIND: clip | owlvit | xclip | clipseg | vilt. SOURCE: a model folder (e.g. a test fixture) or "random"
(the real-size default config with seeded random weights). OUTDIR receives model/ (the weights,
saved when SOURCE is random or --outliers changed them), inputs.json + pixels.f32 (the inputs), and
the ONNX files, and result.json (what it prints). --outliers scales channels 7, 100 and 333 (mod width) of every image-encoder layer
norm's weight and bias by 20, 35 and 50: the LayerNorm outputs feeding q/k/v and fc1 then carry
the few large activation channels trained ViTs have. --speed uses the bench workloads and times
(median of --runs after a warm-up). Prints one JSON object on its last line.

Deviation metrics (reduced vs fp32 on the same inputs), the same definitions as the Swift side:
clip: image_cos_min (image embeddings), max_dprob (softmax over texts); owlvit: max_dscore
(sigmoid logits), box_iou_min/mean over the 10 best fp32 patches, topk_agree; xclip: top1_agree,
max_dprob; clipseg: mask_iou_min (sigmoid > 0.5; two empty masks count as 1), max_dprob; vilt (questions
about one image): top1_agree (questions whose best answer is unchanged), max_dscore (sigmoid answer scores)."""
import json, os, re, sys, time
import numpy as np
import torch

args = sys.argv[1:]
def opt(name, default):
    return type(default)(args[args.index(name) + 1]) if name in args else default
kind, source, outdir = args[0], args[1], args[2]
threads, runs, speed, outliers = opt("--threads", 2), opt("--runs", 5), "--speed" in args, "--outliers" in args
torch.manual_seed(0)
torch.set_num_threads(threads)
os.makedirs(outdir, exist_ok=True)

import transformers as tf
classes = {"clip": (tf.CLIPModel, tf.CLIPConfig), "owlvit": (tf.OwlViTForObjectDetection, tf.OwlViTConfig),
           "xclip": (tf.XCLIPModel, tf.XCLIPConfig), "clipseg": (tf.CLIPSegForImageSegmentation, tf.CLIPSegConfig),
           "vilt": (tf.ViltForQuestionAnswering, tf.ViltConfig)}
Model, Config = classes[kind]
if source == "random":
    config = Config()
    if kind == "clipseg":  # CIDAS/clipseg-rd64-refined, as `vlmnode bench clipseg`
        config = Config(use_complex_transposed_convolution=True); config.vision_config.patch_size = 16
    if kind == "vilt":  # dandelin/vilt-b32-finetuned-vqa's config, as `vlmnode bench vilt`: 3129 answers
        config = Config(id2label={i: f"answer {i}" for i in range(3129)}, label2id={f"answer {i}": i for i in range(3129)})
    model = Model(config).eval()
else:
    model = Model.from_pretrained(source).eval()
config = model.config
model_dir = source
if outliers:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if re.search(r"(vision_model\.encoder\.layers\.\d+\.layer_norm[12]|vilt\.encoder\.layer\.\d+\.layernorm_(before|after))\.(weight|bias)$", name):
                for c, f in ((7, 20.0), (100, 35.0), (333, 50.0)):
                    p[c % p.shape[0]] *= f
if (source == "random" or outliers) and not speed:
    model_dir = os.path.join(outdir, "model")
    model.save_pretrained(model_dir, safe_serialization=True)

# Inputs (seeded): the bench workloads with --speed, larger batches for accuracy.
g = torch.Generator().manual_seed(1)
vc, tcfg = (config, config) if kind == "vilt" else (config.vision_config, config.text_config)
size = vc.image_size if kind != "clipseg" else (352 if source == "random" else vc.image_size)
vocab, length = tcfg.vocab_size, min(16, tcfg.max_position_embeddings)
def ids_(n):
    ids = torch.randint(1, vocab - 2, (n, length), generator=g); ids[:, -1] = vocab - 1; return ids
if kind == "vilt":  # questions about one image (every pixel valid); random: the bench's 384x640 and 11 tokens
    length = 11 if source == "random" else 12
    h, w = (384, 640) if source == "random" else (64, 96)
    pixels = torch.randn(1, 3, h, w, generator=g)
    ids = torch.randint(1000 if source == "random" else 5, 30000 if source == "random" else 175, (1 if speed else 4, length), generator=g)
    ids[:, 0], ids[:, -1] = (101, 102) if source == "random" else (2, 3)
elif kind == "clip":
    pixels, ids = torch.randn(1 if speed else 4, 3, size, size, generator=g), ids_(2 if speed else 8)
elif kind == "owlvit":
    pixels, ids = torch.randn(1, 3, size, size, generator=g), ids_(2 if speed else 3)
elif kind == "xclip":
    frames = getattr(vc, "num_frames", 8)
    pixels, ids = torch.randn(1 if speed else 3, frames, 3, size, size, generator=g), ids_(2 if speed else 4)
else:
    img = torch.randn(2, 3, size, size, generator=g)
    pixels, ids = (img, ids_(2)) if speed else (img.repeat_interleave(2, 0), ids_(2).repeat(2, 1))
pixels.numpy().astype("<f4").tofile(os.path.join(outdir, "pixels.f32"))
json.dump({"kind": kind, "model": model_dir, "pixels_shape": list(pixels.shape), "ids": ids.tolist()},
          open(os.path.join(outdir, "inputs.json"), "w"))

names = ["input_ids", "pixel_values"]
class W(torch.nn.Module):
    def __init__(s, m): super().__init__(); s.m = m
    def forward(s, input_ids, pixel_values):
        if kind == "vilt":  # every question about the one image, every pixel valid
            b, (_, c, h, w) = input_ids.shape[0], pixel_values.shape
            return s.m(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), pixel_values=pixel_values.expand(b, c, h, w),
                       pixel_mask=torch.ones(b, h, w, dtype=torch.long)).logits
        o = s.m(input_ids=input_ids, pixel_values=pixel_values)
        if kind == "clip": return o.logits_per_image, o.image_embeds
        if kind == "owlvit": return o.logits, o.pred_boxes
        if kind == "xclip": return o.logits_per_video
        return o.logits

def median(f):
    f(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

def softmax(x): e = np.exp(x - x.max(-1, keepdims=True)); return e / e.sum(-1, keepdims=True)
def sigmoid(x): return 1 / (1 + np.exp(-x))
def iou_cxcywh(a, b):
    def corners(v): return v[..., 0] - v[..., 2] / 2, v[..., 1] - v[..., 3] / 2, v[..., 0] + v[..., 2] / 2, v[..., 1] + v[..., 3] / 2
    ax0, ay0, ax1, ay1 = corners(a); bx0, by0, bx1, by1 = corners(b)
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None); ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih; union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / np.maximum(union, 1e-12)

def deviation(ref, red):
    if kind == "clip":
        a, b = ref[1], red[1]
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        return {"image_cos_min": float(cos.min()), "max_dprob": float(np.abs(softmax(ref[0]) - softmax(red[0])).max())}
    if kind == "owlvit":
        s0, s1 = sigmoid(ref[0][0]), sigmoid(red[0][0])
        top0 = np.argsort(-s0.max(-1))[:10]; top1 = np.argsort(-s1.max(-1))[:10]
        iou = iou_cxcywh(ref[1][0][top0], red[1][0][top0])
        return {"max_dscore": float(np.abs(s0 - s1).max()), "box_iou_min": float(iou.min()), "box_iou_mean": float(iou.mean()),
                "topk_agree": len(set(top0.tolist()) & set(top1.tolist())) / 10}
    if kind == "vilt":
        s0, s1 = sigmoid(ref[0]), sigmoid(red[0])
        return {"top1_agree": float((s0.argmax(-1) == s1.argmax(-1)).mean()), "max_dscore": float(np.abs(s0 - s1).max())}
    if kind == "xclip":
        p0, p1 = softmax(ref[0]), softmax(red[0])
        return {"top1_agree": float((p0.argmax(-1) == p1.argmax(-1)).mean()), "max_dprob": float(np.abs(p0 - p1).max())}
    p0, p1 = sigmoid(ref[0]), sigmoid(red[0])
    ious = []
    for m0, m1 in zip(p0 > 0.5, p1 > 0.5):
        u = np.logical_or(m0, m1).sum(); ious.append(1.0 if u == 0 else np.logical_and(m0, m1).sum() / u)
    return {"mask_iou_min": float(min(ious)), "max_dprob": float(np.abs(p0 - p1).max())}

res = {"kind": kind, "source": source, "outliers": outliers, "threads": threads, "inputs": outdir}
feed = {"input_ids": ids.numpy(), "pixel_values": pixels.numpy()}
with torch.inference_mode():
    out = W(model)(ids, pixels)
    torch_out = [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]
    if speed: res["torch_s"] = median(lambda: W(model)(ids, pixels))
try:
    import onnxruntime as ort
    from onnxruntime.quantization import quantize_dynamic, QuantType
    path = os.path.join(outdir, f"{kind}.onnx"); qpath = path.replace(".onnx", ".int8.onnx")
    # ViLT keeps every valid patch in eval, in a torch.multinomial order attention cannot see; a fixed
    # order exports cleanly and computes the same logits (as vilt_reference.py).
    real = torch.multinomial
    if kind == "vilt": torch.multinomial = lambda input, n, replacement=False, **kw: torch.arange(n)
    try:
        with torch.no_grad():
            torch.onnx.export(W(model), (ids, pixels), path, input_names=names, opset_version=17, dynamo=False)
    finally:
        torch.multinomial = real
    quantize_dynamic(path, qpath, weight_type=QuantType.QInt8)  # ORT's recommended default for transformers
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    outs = {}
    for tag, p in (("fp32", path), ("int8", qpath)):
        s = ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
        outs[tag] = s.run(None, feed)
        if speed: res[f"ort_{tag}_s"] = median(lambda: s.run(None, feed))
    res["ort_fp32_vs_torch"] = deviation(torch_out, outs["fp32"])
    res["ort_int8"] = deviation(outs["fp32"], outs["int8"])
except Exception as e:  # keep the torch figures when the ONNX export fails
    res["ort_error"] = str(e).splitlines()[0][:200]
json.dump(res, open(os.path.join(outdir, "result.json"), "w"))  # reread by vlmnode without --python
print(json.dumps(res))

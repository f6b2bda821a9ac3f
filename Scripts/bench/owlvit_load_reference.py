#!/usr/bin/env python3
"""Checkpoints for `vlmnode bench load` and PyTorch's load time on the same files (dev-time only).

    /work/venv/bin/python Scripts/bench/owlvit_load_reference.py save /tmp/owl   # writes st/, bin/, f16/
    vlmnode bench load /tmp/owl/st --compare /tmp/owl/bin
    vlmnode bench load /tmp/owl/bin --evict-cache --prefetch
    /work/venv/bin/python Scripts/bench/owlvit_load_reference.py load /tmp/owl/st [--evict-cache]

`save` writes OWL-ViT B/32 (OwlViTConfig() defaults, random weights, seed 0; ~585 MB fp32) with
transformers' save_pretrained (model.safetensors), the same state dict with torch.save
(pytorch_model.bin: transformers 5 no longer writes .bin) and an fp16 safetensors copy.
`load` times OwlViTForObjectDetection.from_pretrained like ../../shared/reference/load_bench.py.
"""
import os, resource, sys, time


def rss_mib():
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024


def evict(folder):
    for name in os.listdir(folder):
        fd = os.open(os.path.join(folder, name), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)


def main():
    import torch
    from transformers import OwlViTConfig, OwlViTForObjectDetection
    torch.set_num_threads(2)
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "save":
        from safetensors.torch import save_file
        torch.manual_seed(0)
        model = OwlViTForObjectDetection(OwlViTConfig())
        model.save_pretrained(os.path.join(root, "st"))
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        for sub in ("bin", "f16"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
            model.config.save_pretrained(os.path.join(root, sub))
        torch.save(state, os.path.join(root, "bin", "pytorch_model.bin"))
        save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()},
                  os.path.join(root, "f16", "model.safetensors"), metadata={"format": "pt"})
        return
    if "--evict-cache" in sys.argv:
        evict(root)
    before = rss_mib()
    start = time.perf_counter()
    OwlViTForObjectDetection.from_pretrained(root).eval()
    elapsed = time.perf_counter() - start
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{root}: from_pretrained {elapsed:.3f} s, RSS +{rss_mib() - before:.0f} MiB, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, load average {load}")


if __name__ == "__main__":
    main()

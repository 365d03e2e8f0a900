"""PyTorch's side of the GPU check (bench/gpu/check.ts): the same workloads as Kiln's benchmark
cases, on the GPU, timed with CUDA events (median of --runs runs after warm-up). The MLP
training step is eager, as bench/peers.py runs it on the CPU. Prints one JSON object:
{"torch": version, "device": name, "results": {workload: milliseconds}}.

Usage: python3 bench/gpu/torch_ref.py --sizes '{"elementwise": {"n": 16777216}, ...}' [--runs 20]
"""
import argparse
import json
import os
import sys

import torch

# The MLP step is bench/peers.py's, on the GPU.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from peers import torch_mlp_step  # noqa: E402


def median_ms(fn, warmup=5, runs=20):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(runs):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    sizes = json.loads(args.sizes)
    runs = args.runs
    dev = torch.device("cuda")
    torch.manual_seed(0)
    res = {}

    if "elementwise" in sizes or "sum" in sizes:
        n = (sizes.get("elementwise") or sizes.get("sum"))["n"]
        x = torch.randn(n, device=dev)
        res["copy"] = median_ms(lambda: x.clone(), runs=runs)
        if "elementwise" in sizes:
            res["elementwise"] = median_ms(lambda: torch.relu(x * 2 + 1) * torch.sigmoid(x) - torch.tanh(x), runs=runs)
        if "sum" in sizes:
            res["sum"] = median_ms(lambda: x.sum(), runs=runs)

    if "matmul" in sizes:
        m = sizes["matmul"]["m"]
        a, b = torch.randn(m, m, device=dev), torch.randn(m, m, device=dev)
        res["matmul"] = median_ms(lambda: a @ b, runs=runs)

    if "mlp_step" in sizes:
        s = sizes["mlp_step"]
        step = torch_mlp_step(s["batch"], s["in"], s["hidden"], s["out"], device=dev)
        res["mlp_step"] = median_ms(step, runs=runs)

    out = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0),
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "results": res,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""PyTorch's side of the GPU check (bench/gpu/check.ts): the same workloads as Kiln's benchmark
cases, on the GPU, timed with CUDA events (median of --runs runs after warm-up). The MLP
training step is eager, as bench/peers.py runs it on the CPU. Prints one JSON object:
{"torch": version, "device": name, "results": {workload: milliseconds}}.

Usage: python3 bench/gpu/torch_ref.py --sizes '{"elementwise": {"n": 16777216}, ...}' [--runs 20]
"""
import argparse
import json

import torch


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
        bs, d, h, c = s["batch"], s["in"], s["hidden"], s["out"]
        xb = torch.randn(bs, d, device=dev)
        yb = torch.randint(0, c, (bs,), device=dev)
        w1 = (torch.randn(d, h, device=dev) * 0.01).requires_grad_()
        b1 = torch.zeros(h, device=dev, requires_grad=True)
        w2 = (torch.randn(h, c, device=dev) * 0.01).requires_grad_()
        b2 = torch.zeros(c, device=dev, requires_grad=True)
        params = [w1, b1, w2, b2]

        def step():
            logits = torch.relu(xb @ w1 + b1) @ w2 + b2
            loss = torch.nn.functional.cross_entropy(logits, yb)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.1 * g
            return loss

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

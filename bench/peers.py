"""The peers' side of `kiln bench`: the same workloads in PyTorch (eager) and JAX (jit) on the
CPU, timed the same way (median of repeated runs after warm-up). Prints one JSON object.

Usage: python bench/peers.py [--quick]
"""
import json
import sys
import time


def median_ms(fn, warmup=3, runs=15):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def torch_mlp_step(bs, d, h, c, device="cpu"):
    """One eager SGD step of the book's MLP (relu, softmax cross-entropy, lr 0.1) on random
    data, as a closure; bench/gpu/torch_ref.py times the same step on the GPU."""
    import torch

    xb = torch.randn(bs, d, device=device)
    yb = torch.randint(0, c, (bs,), device=device)
    w1 = (torch.randn(d, h, device=device) * 0.01).requires_grad_()
    b1 = torch.zeros(h, device=device, requires_grad=True)
    w2 = (torch.randn(h, c, device=device) * 0.01).requires_grad_()
    b2 = torch.zeros(c, device=device, requires_grad=True)
    params = [w1, b1, w2, b2]

    def step():
        logits = torch.relu(xb @ w1 + b1) @ w2 + b2
        loss = torch.nn.functional.cross_entropy(logits, yb)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= 0.1 * g
        return loss

    return step


def torch_results(sizes):
    import torch

    torch.manual_seed(0)
    out = {"version": torch.__version__, "threads": torch.get_num_threads()}
    x = torch.randn(sizes["ew"])
    out["copy_ms"] = median_ms(lambda: x.clone())
    out["ew_ms"] = median_ms(lambda: torch.relu(x * 2 + 1) * torch.sigmoid(x) - torch.tanh(x))
    out["sum_ms"] = median_ms(lambda: x.sum())
    n = sizes["mm"]
    a, b = torch.randn(n, n), torch.randn(n, n)
    out["matmul_ms"] = median_ms(lambda: a @ b)
    out["mlp_step_ms"] = median_ms(torch_mlp_step(256, 784, 256, 10), warmup=5, runs=50)
    return out


def jax_results(sizes):
    import jax
    import jax.numpy as jnp

    out = {"version": jax.__version__}
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (sizes["ew"],))
    copy = jax.jit(lambda v: v + 0.0)
    ew = jax.jit(lambda v: jax.nn.relu(v * 2 + 1) * jax.nn.sigmoid(v) - jnp.tanh(v))
    total = jax.jit(jnp.sum)
    out["copy_ms"] = median_ms(lambda: copy(x).block_until_ready())
    out["ew_ms"] = median_ms(lambda: ew(x).block_until_ready())
    out["sum_ms"] = median_ms(lambda: total(x).block_until_ready())
    n = sizes["mm"]
    a = jax.random.normal(key, (n, n))
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n))
    mm = jax.jit(jnp.matmul)
    out["matmul_ms"] = median_ms(lambda: mm(a, b).block_until_ready())
    bs, d, h, c = 256, 784, 256, 10
    xb = jax.random.normal(key, (bs, d))
    yb = jax.random.randint(key, (bs,), 0, c)
    params = {
        "w1": jax.random.normal(key, (d, h)) * 0.01,
        "b1": jnp.zeros(h),
        "w2": jax.random.normal(key, (h, c)) * 0.01,
        "b2": jnp.zeros(c),
    }

    def loss_fn(p):
        logits = jax.nn.relu(xb @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], axis=1))

    @jax.jit
    def step(p):
        g = jax.grad(loss_fn)(p)
        return jax.tree_util.tree_map(lambda v, gv: v - 0.1 * gv, p, g)

    state = {"p": params}

    def run():
        state["p"] = step(state["p"])
        jax.block_until_ready(state["p"])

    out["mlp_step_ms"] = median_ms(run, warmup=5, runs=50)
    return out


def load_fashion_mnist():
    import gzip
    import os

    import numpy as np

    root = os.environ.get("KILN_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

    def idx(name, offset):
        with gzip.open(os.path.join(root, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return x, y


def torch_epochs():
    """One shuffled epoch (batch 256, SGD lr 0.1) of softmax regression and the MLP."""
    import torch

    x_np, y_np = load_fashion_mnist()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    out = {}
    for name, net in (
        ("softmax", torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))),
        ("mlp", torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))),
    ):
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        loss_fn = torch.nn.CrossEntropyLoss()

        def epoch(seed):
            perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
            for i in range(0, len(x), 256):
                idx = perm[i : i + 256]
                opt.zero_grad()
                loss = loss_fn(net(x[idx]), y[idx])
                loss.backward()
                opt.step()
            return len(x)

        epoch(0)
        t0 = time.perf_counter()
        n = epoch(1)
        out[f"{name}_examples_per_s"] = n / (time.perf_counter() - t0)
    return out


def main():
    quick = "--quick" in sys.argv
    sizes = {"ew": 1 << (22 if quick else 24), "mm": 512 if quick else 1024}
    result = {"sizes": sizes}
    for name, fn in (("torch", torch_results), ("jax", jax_results)):
        try:
            result[name] = fn(sizes)
        except Exception as e:  # a peer that is not installed is reported, not fatal
            result[name] = {"error": f"{type(e).__name__}: {e}"}
    if "--epochs" in sys.argv:
        try:
            result["torch"].update(torch_epochs())
        except Exception as e:
            result["torch"]["epochs_error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()

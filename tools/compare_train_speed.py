#!/usr/bin/env python3
"""Training throughput of Denoise against PyTorch eager on the same shapes, side by side.

Builds the native denoiser in PyTorch (input MLP, learned positions, sinusoidal time MLP,
pre-LayerNorm blocks with GELU, final LayerNorm, output MLP, tied rounding head with bias) and
times one full training iteration as `denoise train` runs it: the Diffusion-LM loss (x0 MSE,
rounding cross-entropy on x0, cross-entropy on the denoiser output, prior term), backward,
gradient clipping at 1, AdamW, the EMA update and the projection of the embedding rows to
norm 4; for a self-conditioned model (config key selfConditioning) also its extra forward pass
without gradient over half the batch. Rounds alternate between `denoise bench` (key trainStepMs, data-parallel workers with
single-threaded OpenBLAS) and PyTorch with as many intra-op threads as cores, so both see the
same machine state; the medians of both and their ratio are printed.

    python3 tools/compare_train_speed.py --bin .build/release/denoise --model Models/e2e

Needs torch (CPU build is enough). Nothing in `make test` uses this file.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
        self.qkv, self.proj = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.fc1, self.fc2 = nn.Linear(h, ffn), nn.Linear(ffn, h)

    def forward(self, x):
        b, l, h = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, l, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, l, h)
        x = x + self.proj(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class Denoiser(nn.Module):
    def __init__(self, vocab, d, length, h, layers, heads, ffn, steps, self_conditioning=False):
        super().__init__()
        self.self_conditioning = self_conditioning
        self.time_scale = 1000.0 / steps  # time indices scaled to 0..<1000 before the sinusoid
        self.embedding = nn.Parameter(torch.randn(vocab, d))
        self.head_bias = nn.Parameter(torch.zeros(vocab))
        # A self-conditioned model reads [x_t, previous x0 prediction] per position.
        self.inp = nn.Sequential(nn.Linear(2 * d if self_conditioning else d, h), nn.Tanh(), nn.Linear(h, h))
        self.position = nn.Parameter(0.02 * torch.randn(length, h))
        self.time = nn.Sequential(nn.Linear(h, h), nn.SiLU(), nn.Linear(h, h))
        self.blocks = nn.ModuleList(Block(h, heads, ffn) for _ in range(layers))
        self.final = nn.LayerNorm(h)
        self.out = nn.Sequential(nn.Linear(h, h), nn.Tanh(), nn.Linear(h, d))
        half = h // 2
        self.register_buffer("freqs", torch.pow(10000.0, -torch.arange(half) / half))

    def forward(self, x, t, previous=None):
        if self.self_conditioning:
            x = torch.cat([x, torch.zeros_like(x) if previous is None else previous], dim=-1)
        arg = (t.float() * self.time_scale)[:, None] * self.freqs[None]
        temb = self.time(torch.cat([arg.sin(), arg.cos()], dim=1))
        h = self.inp(x) + self.position[None] + temb[:, None]
        for block in self.blocks:
            h = block(h)
        return self.out(self.final(h))

    def logits(self, x):
        return x @ self.embedding.t() + self.head_bias


def sqrt_schedule(steps):
    s = torch.arange(steps + 1, dtype=torch.float64) / steps
    abar = 1 - torch.sqrt(s + 1e-4)
    alphas = (abar[1:] / abar[:-1]).clamp(min=0.001)  # beta = min(1 - ratio, 0.999), as NoiseSchedule
    return torch.cumprod(alphas, 0).float()


def torch_step_ms(config, iterations, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    v, d, l = config["vocabSize"], config["embeddingDim"], config["sequenceLength"]
    steps = config.get("diffusionSteps", 2000)
    self_conditioning = bool(config.get("selfConditioning", False))
    model = Denoiser(v, d, l, config["hiddenSize"], config["layers"], config["heads"], config["ffnSize"], steps,
                     self_conditioning)
    ema = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.0)
    abar = sqrt_schedule(steps)
    sigma0 = math.sqrt(1 - abar[0].item())
    batch = 64
    times = []
    for it in range(iterations + 3):
        start = time.perf_counter()
        w = torch.randint(4, v, (batch, l))
        t = torch.randint(0, len(abar), (batch,))
        x0 = model.embedding[w] + sigma0 * torch.randn(batch, l, d)
        a = abar[t][:, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(batch, l, d)
        previous = None
        if self_conditioning:  # the first half reads the model's own prediction, made without gradient
            previous = torch.zeros_like(xt)
            with torch.no_grad():
                previous[: batch // 2] = model(xt[: batch // 2], t[: batch // 2])
        f = model(xt, t, previous)
        target = torch.where((t == 0)[:, None, None], model.embedding[w], x0)
        mse = F.mse_loss(f, target)
        ce = F.cross_entropy(model.logits(x0).view(-1, v), w.view(-1))
        out_ce = F.cross_entropy(model.logits(f).view(-1, v), w.view(-1))
        prior = (abar[-1].sqrt() * x0).pow(2).mean()
        loss = mse + ce + out_ce + prior
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.embedding.mul_(4.0 / model.embedding.norm(dim=1, keepdim=True).clamp(min=1e-12))
            for e, p in zip(ema, model.parameters()):
                e.mul_(0.999).add_(p, alpha=0.001)
        if it >= 3:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def denoise_step_ms(binary, model, iterations):
    out = subprocess.run([binary, "bench", "--model", model, "--format", "json", "--train-iterations", str(iterations)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["trainStepMs"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default=".build/release/denoise")
    p.add_argument("--model", default="Models/e2e")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iterations", type=int, default=40, help="timed iterations per round and side")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    ours, theirs = [], []
    for r in range(args.rounds):
        ours.append(denoise_step_ms(args.bin, args.model, args.iterations))
        theirs.append(torch_step_ms(config, args.iterations, args.threads))
        print(f"round {r + 1}: denoise {ours[-1]:.1f} ms  pytorch {theirs[-1]:.1f} ms", flush=True)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"median ms per training iteration (batch 64, L {config['sequenceLength']}): "
          f"denoise {a:.1f}  pytorch {b:.1f} (torch {torch.__version__}, {args.threads} threads)  ratio {b / a:.2f}x")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Check Denoise's forward pass of the reference architecture against PyTorch.

    python3 tools/check_reference_import.py [--denoise .build/debug/denoise] [--layers 2 --hidden 128 ...]
                                            [--write-fixture Tests/Fixtures/reference-bert]

Builds the reference network (Diffusion-LM's TransformerNetModel2: time MLP, input
up-projection, learned positions, LayerNorm, HF transformers' BertEncoder, output
down-projection, tied rounding head) with random weights, saves it in the reference's run-folder
layout (ema_0.9999_000000.pt, training_args.json, vocab.json), converts it with
tools/convert_diffusion_lm.py, runs `denoise predict` at several t and compares x0-hat with the
PyTorch forward: the largest absolute difference must be at most 1e-3.

--write-fixture keeps the converted model, the input latents and the expected outputs
(latents.npy, expected_tNNNN.npy) for the Swift tests, which then need no Python.
--size-only writes a converted random model (no comparison), e.g. a BERT-base-sized one for timing.
Needs torch and transformers.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn
from transformers import BertConfig
from transformers.models.bert.modeling_bert import BertEncoder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_diffusion_lm  # noqa: E402


def timestep_embedding(timesteps, dim, max_period=10000):
    """Sinusoidal features as the reference's improved_diffusion.nn.timestep_embedding: cosines first."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = timesteps[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ReferenceNet(nn.Module):
    """The modules of TransformerNetModel2 (lm mode, e2e training), with the reference's names."""

    def __init__(self, config, vocab_size, in_channels, model_channels):
        super().__init__()
        self.model_channels = model_channels
        self.word_embedding = nn.Embedding(vocab_size, in_channels)
        self.lm_head = nn.Linear(in_channels, vocab_size)
        self.lm_head.weight = self.word_embedding.weight
        time_embed_dim = model_channels * 4
        self.time_embed = nn.Sequential(nn.Linear(model_channels, time_embed_dim), nn.SiLU(),
                                        nn.Linear(time_embed_dim, config.hidden_size))
        self.input_up_proj = nn.Sequential(nn.Linear(in_channels, config.hidden_size), nn.Tanh(),
                                           nn.Linear(config.hidden_size, config.hidden_size))
        self.input_transformers = BertEncoder(config)
        self.register_buffer("position_ids", torch.arange(config.max_position_embeddings).expand((1, -1)))
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.output_down_proj = nn.Sequential(nn.Linear(config.hidden_size, config.hidden_size), nn.Tanh(),
                                              nn.Linear(config.hidden_size, in_channels))

    def forward(self, x, timesteps):
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels))
        seq_length = x.size(1)
        position_ids = self.position_ids[:, :seq_length]
        h = self.position_embeddings(position_ids) + self.input_up_proj(x) + emb.unsqueeze(1).expand(-1, seq_length, -1)
        h = self.LayerNorm(h)
        h = self.input_transformers(h).last_hidden_state
        return self.output_down_proj(h)


def build_run(folder, a):
    """Writes a random reference run folder; returns (model, training args)."""
    torch.manual_seed(a.seed)
    config = BertConfig(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.hidden // 64,
                        intermediate_size=a.ffn, max_position_embeddings=max(512, a.image_size ** 2),
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, hidden_act="gelu",
                        layer_norm_eps=1e-12)
    config._attn_implementation = "eager"
    words = ["START", "END", "UNK", "PAD"] + [f"w{i}" for i in range(a.vocab - 4)]
    # The reference puts the specials first but in its own order; shuffle a few ids so the
    # converter's mapping by name is exercised.
    ids = list(range(a.vocab))
    ids[0], ids[5] = ids[5], ids[0]
    vocab = {w: i for w, i in zip(words, ids)}
    model = ReferenceNet(config, a.vocab, a.dim, a.channels).eval()
    with torch.no_grad():
        # BERT initialises biases to 0 and LayerNorm to 1: randomise every tensor so a wrong
        # mapping of any bias or gain shows.
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn_like(p))
            elif name != "lm_head.weight":
                p.copy_(torch.randn_like(p) / math.sqrt(p.shape[-1]))
    args = {"model_arch": "transformer", "experiment_mode": "lm", "training_mode": "e2e", "predict_xstart": True,
            "learn_sigma": False, "class_cond": False, "noise_schedule": "sqrt", "logits_mode": 1,
            "image_size": a.image_size, "diffusion_steps": a.steps, "in_channel": a.dim, "out_channel": a.dim,
            "num_channels": a.channels, "vocab_size": a.vocab, "rescale_timesteps": True,
            "config_name": "bert-base-uncased"}
    os.makedirs(folder, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(folder, "ema_0.9999_000000.pt"))
    with open(os.path.join(folder, "training_args.json"), "w") as f:
        json.dump(args, f)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f)
    return model, args


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--denoise", default=".build/debug/denoise")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--channels", type=int, default=32, help="the reference's num_channels (time features)")
    p.add_argument("--dim", type=int, default=16, help="latent width (in_channel)")
    p.add_argument("--image-size", type=int, default=4, help="the reference's image_size: L = image_size^2")
    p.add_argument("--vocab", type=int, default=24)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--t", type=int, nargs="+", default=[0, 1, 250, 1000, 1999])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write-fixture", metavar="DIR")
    p.add_argument("--size-only", metavar="DIR", help="write the converted model to DIR and stop")
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        model, args = build_run(run, a)
        out = a.size_only or a.write_fixture or os.path.join(tmp, "converted")
        config, params = convert_diffusion_lm.convert(os.path.join(run, "ema_0.9999_000000.pt"), out)
        print(f"converted {params:,} parameters to {out}")
        if a.size_only:
            return
        rng = np.random.default_rng(a.seed)
        length = a.image_size ** 2
        latents = rng.standard_normal((a.batch, length, a.dim)).astype(np.float32)
        latent_path = os.path.join(out if a.write_fixture else tmp, "latents.npy")
        np.save(latent_path, latents)
        worst = 0.0
        for t in a.t:
            with torch.no_grad():
                scaled = torch.full((a.batch,), t, dtype=torch.float32) * (1000.0 / a.steps)
                expected = model(torch.from_numpy(latents), scaled).numpy()
            predicted_path = os.path.join(tmp, f"predicted_t{t}.npy")
            subprocess.run([a.denoise, "predict", "--model", out, "--latent", latent_path, "--t", str(t),
                            "--out", predicted_path], check=True)
            got = np.load(predicted_path)
            diff = float(np.abs(got - expected).max())
            worst = max(worst, diff)
            print(f"t={t:5d}  max |denoise - pytorch| = {diff:.3g}  (|x0-hat| up to {np.abs(expected).max():.3g})")
            if a.write_fixture:
                np.save(os.path.join(out, f"expected_t{t:04d}.npy"), expected.astype(np.float32))
        print(f"worst {worst:.3g}: {'OK' if worst <= 1e-3 else 'FAIL'} (tolerance 1e-3)")
        sys.exit(0 if worst <= 1e-3 else 1)


if __name__ == "__main__":
    main()

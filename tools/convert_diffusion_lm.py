#!/usr/bin/env python3
"""Convert a checkpoint of the reference Diffusion-LM implementation into a Denoise model folder.

    python3 tools/convert_diffusion_lm.py --checkpoint RUN/ema_0.9999_200000.pt --out Models/NAME [--heads N]

The reference code (github.com/XiangLi1999/Diffusion-LM, folder improved-diffusion/) trains
`TransformerNetModel2` (--model_arch transformer) and saves, in its run folder, the state dicts
(`model_NNNNNN.pt`, `ema_0.9999_NNNNNN.pt`), `training_args.json` and `vocab.json`. This script
reads the state dict with torch (a .pt file is a pickle: only torch reads it, and Denoise itself
never unpickles anything), takes the hyperparameters from training_args.json in the same folder,
as the reference's scripts/text_sample.py does, and writes:

    config.json        "architecture": "diffusion-lm-bert" and every size the forward pass needs
    vocab.json         Denoise's format: a list of words by id, PAD START END UNK first
    model.safetensors  float32 weights, matrices input-major [in, out], q/k/v fused per layer
    README.md          a model card stub naming the source checkpoint

The special tokens are mapped by name (the reference numbers them START 0, END 1, UNK 2, PAD 3;
Denoise PAD 0, START 1, END 2, UNK 3): embedding rows and head biases are reordered with them.
Attention heads and the LayerNorm epsilon are not stored in the weights: --heads defaults to
hidden / 64 and --layer-norm-eps to 1e-12, as in the BERT configs the reference builds on.
Needs torch only (no transformers, no safetensors package).
"""

import argparse
import json
import os
import struct
import sys

ARCHITECTURE = "diffusion-lm-bert"
SPECIALS_OURS = ["PAD", "START", "END", "UNK"]


class ConversionError(Exception):
    pass


def fail(message):
    raise ConversionError(message)


def load_json(path, what):
    if not os.path.isfile(path):
        fail(f"{path}: missing ({what} is read from the checkpoint's folder, as the reference's text_sample.py does)")
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: not valid JSON ({e})")


def check_reference_args(args):
    """Refuses runs whose network or diffusion Denoise does not implement."""
    def get(key, default=None):
        return args.get(key, default)

    arch = get("model_arch")
    if arch != "transformer":
        fail(f"training_args.json: model_arch {arch!r} is not supported (accepted: 'transformer', "
             "the reference's TransformerNetModel2)")
    if get("experiment_mode", "lm") != "lm":
        fail(f"training_args.json: experiment_mode {get('experiment_mode')!r} is not supported (accepted: 'lm')")
    mode = get("training_mode", "emb")
    if not str(mode).startswith("e2e"):
        fail(f"training_args.json: training_mode {mode!r} is not supported (accepted: 'e2e' or 'e2e-simple', "
             "where the word embedding is trained with the model and saved in its state dict)")
    if not get("predict_xstart", False):
        fail("training_args.json: predict_xstart is false (the model predicts noise); Denoise's chain needs a model "
             "that predicts x0 (train with --predict_xstart True, as the paper does)")
    if get("learn_sigma", False):
        fail("training_args.json: learn_sigma is true; Denoise supports fixed variances only (learn_sigma False)")
    if get("class_cond", False):
        fail("training_args.json: class_cond is true; class-conditional models are not supported")
    if get("noise_schedule") != "sqrt":
        fail(f"training_args.json: noise_schedule {get('noise_schedule')!r} is not supported (accepted: 'sqrt')")
    if get("logits_mode", 1) not in (1, 2):
        fail(f"training_args.json: logits_mode {get('logits_mode')!r} is not supported (accepted: 1 or 2)")
    for key in ("image_size", "diffusion_steps", "in_channel", "num_channels"):
        if not isinstance(get(key), int):
            fail(f"training_args.json: {key} is missing or not an integer")


def tensor(state, key, shape=None):
    if key not in state:
        fail(f"checkpoint: key {key!r} is missing (is this a TransformerNetModel2 state dict?)")
    t = state[key].detach().float().cpu()
    if shape is not None and list(t.shape) != list(shape):
        fail(f"checkpoint: {key!r} has shape {list(t.shape)}, expected {list(shape)}")
    return t


def convert_state(state, args, heads, vocab_order, layer_norm_eps):
    """Returns (config fields, [(name, shape, float32 bytes)]) in Denoise's layout."""
    import torch

    emb = tensor(state, "word_embedding.weight")
    if emb.dim() != 2:
        fail(f"checkpoint: 'word_embedding.weight' has shape {list(emb.shape)}, expected [vocab, in_channel]")
    vocab_size, dim = emb.shape
    if dim != args["in_channel"]:
        fail(f"checkpoint: embedding width {dim} differs from training_args in_channel {args['in_channel']}")
    head_weight = tensor(state, "lm_head.weight", [vocab_size, dim])
    if not torch.equal(head_weight, emb):
        fail("checkpoint: lm_head.weight differs from word_embedding.weight; Denoise needs the tied rounding head")
    head_bias = tensor(state, "lm_head.bias", [vocab_size])
    hidden = tensor(state, "input_up_proj.0.weight").shape[0]
    position = tensor(state, "position_embeddings.weight")
    length = args["image_size"] ** 2
    if position.dim() != 2 or position.shape[1] != hidden or position.shape[0] < length:
        fail(f"checkpoint: 'position_embeddings.weight' has shape {list(position.shape)}, "
             f"expected at least [{length}, {hidden}] (image_size^2 positions)")
    channels = args["num_channels"]
    time_hidden = tensor(state, "time_embed.0.weight").shape[0]
    layers = 0
    while f"input_transformers.layer.{layers}.attention.self.query.weight" in state:
        layers += 1
    if layers == 0:
        fail("checkpoint: no input_transformers.layer.0.* keys (not a BERT-encoder TransformerNetModel2)")
    ffn = tensor(state, "input_transformers.layer.0.intermediate.dense.weight").shape[0]
    heads = heads or max(1, hidden // 64)
    if hidden % heads:
        fail(f"--heads {heads} does not divide the hidden size {hidden}")
    if len(vocab_order) != vocab_size:
        fail(f"vocab.json has {len(vocab_order)} words but the embedding has {vocab_size} rows")

    def linear(key, n_in, n_out):
        # PyTorch stores [out, in]; Denoise's layers read input-major [in, out].
        return (tensor(state, key + ".weight", [n_out, n_in]).t().contiguous(), tensor(state, key + ".bias", [n_out]))

    order = torch.tensor(vocab_order, dtype=torch.long)
    out = [("embedding", emb[order]), ("head.bias", head_bias[order])]
    w, b = linear("time_embed.0", channels, time_hidden); out += [("time.w1", w), ("time.b1", b)]
    w, b = linear("time_embed.2", time_hidden, hidden); out += [("time.w2", w), ("time.b2", b)]
    w, b = linear("input_up_proj.0", dim, hidden); out += [("in.w1", w), ("in.b1", b)]
    w, b = linear("input_up_proj.2", hidden, hidden); out += [("in.w2", w), ("in.b2", b)]
    out += [("position", position[:length].contiguous()),
            ("embed_ln.gamma", tensor(state, "LayerNorm.weight", [hidden])),
            ("embed_ln.beta", tensor(state, "LayerNorm.bias", [hidden]))]
    for i in range(layers):
        p = f"input_transformers.layer.{i}."
        qw, qb = linear(p + "attention.self.query", hidden, hidden)
        kw, kb = linear(p + "attention.self.key", hidden, hidden)
        vw, vb = linear(p + "attention.self.value", hidden, hidden)
        pw, pb = linear(p + "attention.output.dense", hidden, hidden)
        f1w, f1b = linear(p + "intermediate.dense", hidden, ffn)
        f2w, f2b = linear(p + "output.dense", ffn, hidden)
        q = f"layers.{i}."
        out += [(q + "qkv.w", torch.cat([qw, kw, vw], dim=1).contiguous()), (q + "qkv.b", torch.cat([qb, kb, vb])),
                (q + "proj.w", pw), (q + "proj.b", pb),
                (q + "ln_att.gamma", tensor(state, p + "attention.output.LayerNorm.weight", [hidden])),
                (q + "ln_att.beta", tensor(state, p + "attention.output.LayerNorm.bias", [hidden])),
                (q + "fc1.w", f1w), (q + "fc1.b", f1b), (q + "fc2.w", f2w), (q + "fc2.b", f2b),
                (q + "ln_ffn.gamma", tensor(state, p + "output.LayerNorm.weight", [hidden])),
                (q + "ln_ffn.beta", tensor(state, p + "output.LayerNorm.bias", [hidden]))]
    w, b = linear("output_down_proj.0", hidden, hidden); out += [("out.w1", w), ("out.b1", b)]
    w, b = linear("output_down_proj.2", hidden, dim); out += [("out.w2", w), ("out.b2", b)]
    for name, t in out:
        if not torch.isfinite(t).all():
            fail(f"checkpoint: tensor for {name!r} holds NaN or infinite values")

    config = {
        "architecture": ARCHITECTURE,
        "vocabSize": vocab_size, "sequenceLength": length, "embeddingDim": dim,
        "hiddenSize": hidden, "layers": layers, "heads": heads, "ffnSize": ffn,
        "timeEmbeddingChannels": channels, "timeHiddenSize": time_hidden,
        "diffusionSteps": args["diffusion_steps"], "schedule": "sqrt",
        "rescaleTimesteps": bool(args.get("rescale_timesteps", True)), "layerNormEps": layer_norm_eps,
    }
    return config, [(name, list(t.shape), t.numpy().astype("<f4").tobytes()) for name, t in out]


def safetensors_bytes(tensors):
    """The safetensors layout Denoise writes: header keys sorted, F32, header padded with spaces to 8."""
    header, offset = {}, 0
    for name, shape, data in tensors:
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(data for _, _, data in tensors)


def vocabulary(path):
    """(Denoise's word list, reference id of each) with the specials moved to ids 0...3 by name."""
    ref = load_json(path, "the vocabulary")
    if not isinstance(ref, dict) or not all(isinstance(v, int) for v in ref.values()):
        fail(f"{path}: expected the reference's {{word: id}} object")
    ids = sorted(ref.values())
    if ids != list(range(len(ids))):
        fail(f"{path}: ids must be 0...{len(ids) - 1}, each once")
    missing = [s for s in SPECIALS_OURS if s not in ref]
    if missing:
        fail(f"{path}: special tokens {missing} are missing (accepted names: START, END, UNK, PAD)")
    by_id = sorted(ref.items(), key=lambda kv: kv[1])
    words = SPECIALS_OURS + [w for w, _ in by_id if w not in SPECIALS_OURS]
    return words, [ref[w] for w in words]


MODEL_CARD = """# {name}: converted from the reference Diffusion-LM implementation

Converted by `tools/convert_diffusion_lm.py` from `{checkpoint}` (training_args.json and
vocab.json of the same folder). Architecture `diffusion-lm-bert`: the reference's
TransformerNetModel2 (BERT post-LayerNorm encoder) with {layers} layers, hidden {hidden},
{heads} heads, FFN {ffn}; latent width {dim}, L = {length}, vocabulary {vocab}; sqrt schedule,
T = {steps}; {params:,} parameters. Denoise runs it for inference only.

To fill in: the data it was trained on and its licence, the training run (iterations, batch,
hardware), and how well it samples.
"""


def convert(checkpoint, out_dir, heads=None, layer_norm_eps=1e-12):
    import torch

    if not os.path.isfile(checkpoint):
        fail(f"{checkpoint}: no such checkpoint file")
    folder = os.path.dirname(os.path.abspath(checkpoint))
    args = load_json(os.path.join(folder, "training_args.json"), "training_args.json")
    check_reference_args(args)
    words, order = vocabulary(os.path.join(folder, "vocab.json"))
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a bad pickle
        fail(f"{checkpoint}: cannot be read as a PyTorch state dict ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    if not isinstance(state, dict):
        fail(f"{checkpoint}: holds a {type(state).__name__}, expected a state dict")
    config, tensors = convert_state(state, args, heads, order, layer_norm_eps)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as f:
        f.write(safetensors_bytes(tensors))
    with open(os.path.join(out_dir, "vocab.json"), "w") as f:
        json.dump(words, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    params = sum(len(data) // 4 for _, _, data in tensors)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(MODEL_CARD.format(name=os.path.basename(os.path.abspath(out_dir)), checkpoint=os.path.basename(checkpoint),
                                  layers=config["layers"], hidden=config["hiddenSize"], heads=config["heads"],
                                  ffn=config["ffnSize"], dim=config["embeddingDim"], length=config["sequenceLength"],
                                  vocab=config["vocabSize"], steps=config["diffusionSteps"], params=params))
    return config, params


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="the reference's ema_0.9999_NNNNNN.pt (or model_NNNNNN.pt)")
    parser.add_argument("--out", required=True, help="the Denoise model folder to write")
    parser.add_argument("--heads", type=int, help="attention heads (not stored in the weights; default hidden / 64)")
    parser.add_argument("--layer-norm-eps", type=float, default=1e-12,
                        help="LayerNorm epsilon (not stored in the weights; default 1e-12, BERT's)")
    a = parser.parse_args()
    if a.heads is not None and a.heads < 1:
        print("convert_diffusion_lm: --heads must be positive", file=sys.stderr)
        sys.exit(1)
    if not 0 < a.layer_norm_eps < 1:
        print("convert_diffusion_lm: --layer-norm-eps must be in (0, 1)", file=sys.stderr)
        sys.exit(1)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("convert_diffusion_lm: needs PyTorch (pip install torch): a .pt checkpoint is a pickle only torch reads",
              file=sys.stderr)
        sys.exit(1)
    try:
        config, params = convert(a.checkpoint, a.out, a.heads, a.layer_norm_eps)
    except ConversionError as e:
        print(f"convert_diffusion_lm: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"wrote {a.out}: {ARCHITECTURE}, {config['layers']} layers, hidden {config['hiddenSize']}, "
          f"{config['heads']} heads, L={config['sequenceLength']}, d={config['embeddingDim']}, "
          f"vocab {config['vocabSize']}, T={config['diffusionSteps']}, {params:,} parameters")


if __name__ == "__main__":
    main()

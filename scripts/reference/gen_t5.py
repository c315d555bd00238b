"""Records pipeline-core/src/test/resources/reference-flow/t5/ with the REAL transformers (commit d6751d91) and the
real Rust tokenizers package: what io.diffusers4j.models.t5 (T5EncoderModel) and io.diffusers4j.tokenizers
(T5TokenizerFast) are compared with.

Writes, under OUT/reference-flow/t5/:
  tokenizer_cases.json   T5TokenizerFast.from_pretrained(reference-flow/t5-tokenizer) on ~30 edge-case prompt lists:
                         input_ids / attention_mask of tokenizer(prompts, padding="max_length", max_length=N,
                         truncation=True, add_special_tokens=True), the padding="longest" untruncated ids diffusers
                         uses to warn about truncation, whether diffusers' SD3 / FLUX check warns, the removed text
                         (batch_decode(untruncated_ids[:, start:-1]) for start = N - 1 and 76, diffusers' CLIP-based
                         start) and batch_decode(input_ids)
  buckets.npz-like files buckets/<num_buckets>_<max_distance>.npy: T5Attention._relative_position_bucket
                         (bidirectional) for relative positions -1100..1100
  models/t5-gated-gelu/  a tiny random T5EncoderModel (T5 v1.1 style: gated-gelu, untied), save_pretrained, one
                         model.safetensors
  models/t5-relu/        a tiny random T5EncoderModel (T5 v1.0 style: relu, tied, other sizes), save_pretrained
                         with a small max_shard_size: model-0000N-of-0000M.safetensors + model.safetensors.index.json
  inputs/                seeded input ids (batch 2, lengths 8, 77, 300) and attention masks
  outputs/<model>/       last_hidden_state (and every block's output, for localising a difference) per input, with
                         and without the mask; t5-gated-gelu also in float16 (from_pretrained(torch_dtype=float16),
                         which keeps the `wo` layers in float32: T5PreTrainedModel._keep_in_fp32_modules)
  manifest.json          what each file is, the configs, seeds and versions
  README.md              how the folder was made and the tolerances of the Java tests

Run (the "flow" venv, see requirements-flow.txt and README.md):

    /tmp/t2env/bin/python scripts/reference/gen_t5.py --out OUT     # writes OUT/reference-flow/t5/

Deterministic: a re-run writes byte-identical files.
"""
import refenv  # noqa: I001

torch = refenv.setup(profile="flow")

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import T5Config, T5EncoderModel, T5TokenizerFast  # noqa: E402
from transformers.models.t5.modeling_t5 import T5Attention  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True, help="output root; writes OUT/reference-flow/t5/")
ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding reference-flow/t5-tokenizer")
ARGS = ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-flow", "t5")
TOKENIZER_DIR = os.path.join(ARGS.resources, "reference-flow", "t5-tokenizer")

# diffusers' SD3 / FLUX pipelines slice the untruncated ids from the CLIP tokenizer's model_max_length - 1 (77 - 1)
CLIP_SLICE_START = 76
WORDS = ("a photo of an astronaut riding horse on mars cat dog red blue green painting portrait city night rain "
         "sunset mountain river forest golden hour cinematic lighting detailed sharp focus highly intricate oil "
         "canvas trending studio soft light old man young woman wearing hat coat standing near window").split()


def long_text(seed, n_words):
    rnd = random.Random(seed)
    return " ".join(rnd.choice(WORDS) for _ in range(n_words))


def raw_len(tok, text):
    return len(tok(text, add_special_tokens=False).input_ids)


def text_with_raw_tokens(tok, target, seed):
    """A prompt of exactly `target` tokens before the EOS (words appended greedily, deterministic)."""
    rnd = random.Random(seed)
    words = []
    while True:
        n = raw_len(tok, " ".join(words))
        if n == target:
            return " ".join(words)
        candidates = list(WORDS)
        rnd.shuffle(candidates)
        for w in candidates + ["a", "o", "x"]:
            if raw_len(tok, " ".join(words + [w])) <= target:
                words.append(w)
                break
        else:
            raise RuntimeError(f"cannot reach {target} tokens")


def tokenizer_cases(tok):
    long_prompt = long_text(7, 400)
    cases = [
        ("empty", [""], 32),
        ("single_space", [" "], 32),
        ("spaces_inside_and_around", ["   multiple   spaces   inside  "], 32),
        ("tabs_newlines", ["\ttabs\tand\nnew\nlines\r\nend\n"], 32),
        ("sd_prompt", ["a photo of an astronaut riding a horse on mars"], 77),
        ("punctuation", ["Hello, World! How's it going? (fine) [ok] {yes} <no> a;b:c/d\\e|f_g-h=i+j"], 77),
        ("punctuation_only", ["!!! ??? ... --- *** ,,, ;;; ''' \"\"\""], 32),
        ("digits", ["1234567890 3.14159 1,000,000 2024-08-16 007 x2 4k 8K"], 77),
        ("capitals", ["ALL CAPS TEXT and MiXeD CaSe and Title Case Words"], 77),
        ("accents_nfc", ["caf\u00e9 na\u00efve r\u00e9sum\u00e9 Z\u00fcrich \u00c5ngstr\u00f6m \u00f1and\u00fa"], 77),
        ("accents_nfd", ["cafe\u0301 nai\u0308ve re\u0301sume\u0301 Zu\u0308rich"], 77),
        ("nfkc_compat", ["\ufb01ne \ufb02ow full-width \uff21\uff22\uff23\uff11\uff12\uff13 \u2460 x\u00b2 \u00bd \u2122 "
                         "\u216b \u3371 \u00b5 \u2126"], 77),
        ("unicode_spaces", ["non\u00a0breaking ideographic\u3000space em\u2003space thin\u2009space "
                            "zero\u200bwidth bom\ufeffend"], 77),
        ("control_chars", ["bell\u0007 null\u0000 escape\u001b delete\u007f soft\u00adhyphen"], 32),
        ("emoji", ["a cat \U0001f431 with a \U0001f3a9 and \U0001f44d\U0001f3fd \u2764\ufe0f \U0001f468\u200d"
                   "\U0001f469\u200d\U0001f467"], 77),
        ("cjk", ["\u6771\u4eac\u30bf\u30ef\u30fc \uc11c\uc6b8 \u5317\u4eac \u3053\u3093\u306b\u3061\u306f"], 32),
        ("scripts", ["\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0393\u03b5\u03b9\u03ac "
                     "\u03c3\u03bf\u03c5 \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd "
                     "\u0928\u092e\u0938\u094d\u0924\u0947"], 77),
        ("symbols_unknown", ["\u03a9\u2248\u00e7\u221a\u222b\u02dc\u00b5\u2264\u2265\u00f7 \u2211 \u2202 "
                             "\u0192 \u00a7 \u00b6 \u2020 \u2021"], 32),
        ("special_tokens_literal", ["</s> <pad> <unk> <extra_id_0> text</s>more <extra_id_99>"], 32),
        ("special_tokens_lookalike", ["<EXTRA_ID_0> < /s> <s> </S> <extra_id_100> <extra_id_>"], 32),
        ("quotes_apostrophes", ["don't won't it's \u201csmart quotes\u201d \u2018single\u2019 "
                                "\u00abguillemets\u00bb `back`"], 77),
        ("url_email_code", ["https://example.com/path?q=1&r=2 user@example.org def f(x): return x**2 # c"], 77),
        ("repeated_chars", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa zzzz"], 32),
        ("leading_trailing_space", ["  leading and trailing  "], 32),
        ("exactly_fits_32", [text_with_raw_tokens(tok, 31, 1)], 32),
        ("one_over_32", [text_with_raw_tokens(tok, 32, 2)], 32),
        ("long_max_length_1", [long_prompt], 1),
        ("long_max_length_32", [long_prompt], 32),
        ("long_max_length_77", [long_prompt], 77),
        ("long_max_length_256", [long_prompt], 256),
        ("long_max_length_512", [long_prompt], 512),
        ("batch_mixed_lengths_32", ["a red car in the rain", "", long_text(11, 40), "a bowl of fruit, still life"],
         32),
        ("batch_all_short_77", ["a cat", "a dog on the beach at sunset"], 77),
        ("batch_long_512", [long_prompt, long_text(13, 150), "short"], 512),
    ]
    out = []
    for name, prompts, max_length in cases:
        enc = tok(prompts, padding="max_length", max_length=max_length, truncation=True, add_special_tokens=True)
        untruncated = tok(prompts, padding="longest").input_ids
        ids_t = torch.tensor(enc.input_ids)
        unt_t = torch.tensor(untruncated)
        # diffusers 0.30.3 SD3 / FLUX _get_t5_prompt_embeds: the truncation warning condition
        warns = bool(unt_t.shape[-1] >= ids_t.shape[-1] and not torch.equal(ids_t, unt_t))
        removed = {}
        if warns:
            for start in (max_length - 1, CLIP_SLICE_START):
                removed[str(start)] = tok.batch_decode(unt_t[:, start:-1])
        out.append({"name": name, "prompts": prompts,
                    "call": {"padding": "max_length", "max_length": max_length, "truncation": True,
                             "add_special_tokens": True},
                    "input_ids": enc.input_ids, "attention_mask": enc.attention_mask,
                    "untruncated_ids": untruncated, "diffusers_warns": warns,
                    "removed_text": removed, "decoded": tok.batch_decode(enc.input_ids)})
    return out


def bucket_tables(store_dir):
    rel = torch.arange(-1100, 1101)
    files = []
    for num_buckets, max_distance in [(32, 128), (16, 32), (32, 64), (64, 256), (8, 20), (33, 100)]:
        b = T5Attention._relative_position_bucket(rel, bidirectional=True, num_buckets=num_buckets,
                                                   max_distance=max_distance)
        name = f"buckets/buckets_{num_buckets}_{max_distance}.npy"
        np.save(os.path.join(store_dir, name), b.numpy().astype(np.int64))
        files.append({"file": name, "relative_attention_num_buckets": num_buckets,
                      "relative_attention_max_distance": max_distance, "relative_positions": [-1100, 1100]})
    return files


MODELS = {
    "t5-gated-gelu": {
        "seed": 40,
        "kwargs": dict(d_model=96, d_kv=16, num_heads=4, d_ff=80, num_layers=2, relative_attention_num_buckets=32,
                       relative_attention_max_distance=128, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                       layer_norm_epsilon=1e-6, dropout_rate=0.1, decoder_start_token_id=0),
        "vocab": "len(tokenizer)",
        "shard": None,
    },
    "t5-relu": {
        "seed": 41,
        "kwargs": dict(vocab_size=1152, d_model=64, d_kv=8, num_heads=6, d_ff=128, num_layers=3,
                       relative_attention_num_buckets=16, relative_attention_max_distance=32, feed_forward_proj="relu",
                       tie_word_embeddings=True, layer_norm_epsilon=1e-6, dropout_rate=0.1, decoder_start_token_id=0),
        "vocab": "vocab_size 1152 (more rows than the tokenizer, as T5 v1.0's 32128 > 32100)",
        "shard": "150KB",
    },
}


def build_model(name, spec, vocab_size, model_dir):
    kwargs = dict(spec["kwargs"])
    kwargs.setdefault("vocab_size", vocab_size)
    config = T5Config(**kwargs)
    torch.manual_seed(spec["seed"])
    model = T5EncoderModel(config).eval()
    # transformers' init leaves the norm scales at 1 and a small position bias: give them visible values
    g = torch.Generator().manual_seed(spec["seed"] + 1000)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "layer_norm" in pname:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "relative_attention_bias" in pname:
                p.copy_(torch.randn(p.shape, generator=g))
    if spec["shard"]:
        model.save_pretrained(model_dir, safe_serialization=True, max_shard_size=spec["shard"])
    else:
        model.save_pretrained(model_dir, safe_serialization=True)
    cf = os.path.join(model_dir, "config.json")
    c = json.load(open(cf))
    c.pop("_name_or_path", None)
    with open(cf, "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")
    return T5EncoderModel.from_pretrained(model_dir).eval()


def make_inputs(store_dir, vocab_sizes):
    vocab = min(vocab_sizes)
    g = torch.Generator().manual_seed(5)
    inputs = {}
    for length in (8, 77, 300):
        ids = torch.randint(0, vocab, (2, length), generator=g, dtype=torch.int64)
        mask = torch.ones(2, length, dtype=torch.int64)
        mask[0, 2:4] = 0  # holes
        mask[1, length - length // 3:] = 0  # trailing padding
        np.save(os.path.join(store_dir, f"inputs/ids_len{length}.npy"), ids.numpy())
        np.save(os.path.join(store_dir, f"inputs/mask_len{length}.npy"), mask.numpy())
        inputs[length] = (ids, mask)
    return inputs


def record_outputs(store_dir, name, model, inputs, suffix=""):
    entries = []
    blocks = []
    hooks = [blk.register_forward_hook(lambda m, i, o: blocks.append(o[0].detach().clone()))
             for blk in model.encoder.block]
    try:
        for length, (ids, mask) in inputs.items():
            for masked in (False, True):
                blocks.clear()
                with torch.no_grad():
                    out = model(input_ids=ids, attention_mask=mask if masked else None).last_hidden_state
                tag = f"len{length}{'_mask' if masked else ''}{suffix}"
                last = f"outputs/{name}/{tag}_last_hidden_state.npy"
                per_block = f"outputs/{name}/{tag}_block_outputs.npy"
                np.save(os.path.join(store_dir, last), out.float().numpy())
                np.save(os.path.join(store_dir, per_block), torch.stack([b.float() for b in blocks]).numpy())
                entries.append({"input_ids": f"inputs/ids_len{length}.npy",
                                "attention_mask": f"inputs/mask_len{length}.npy" if masked else None,
                                "dtype": str(out.dtype), "last_hidden_state": last, "block_outputs": per_block,
                                "shape": list(out.shape)})
    finally:
        for h in hooks:
            h.remove()
    return entries


README = """# reference-flow/t5

transformers' `T5EncoderModel` and `T5TokenizerFast` (commit d6751d91, tokenizers 0.22.2, torch 2.13 CPU), recorded
by `scripts/reference/gen_t5.py` (`/tmp/t2env/bin/python scripts/reference/gen_t5.py --out OUT`; a re-run writes
byte-identical files). `manifest.json` says what each file is.

- `tokenizer_cases.json`: the tokenizer `../t5-tokenizer` on edge-case prompt lists; `T5TokenizerFastTest`
  compares ids, attention masks, untruncated ids, diffusers' truncation warning / removed text and `batch_decode`
  exactly.
- `buckets/`: `T5Attention._relative_position_bucket` tables; compared exactly (`T5EncoderModelTest`).
- `models/t5-gated-gelu` (T5 v1.1 style, one file) and `models/t5-relu` (T5 v1.0 style, sharded with
  `model.safetensors.index.json`): tiny random `T5EncoderModel` checkpoints; `outputs/`: their `last_hidden_state`
  (and each block's output) for the seeded `inputs/`, with and without the attention mask. `T5EncoderModelTest`:
  float32 within 1e-4 max abs; float16 (`wo` kept float32 as `from_pretrained(torch_dtype=float16)` does) within
  two float16 spacings of the largest output value.
"""


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for sub in ("buckets", "inputs", "models", "outputs/t5-gated-gelu", "outputs/t5-relu"):
        os.makedirs(os.path.join(OUT, sub))
    tok = T5TokenizerFast.from_pretrained(TOKENIZER_DIR)
    cases = tokenizer_cases(tok)
    with open(os.path.join(OUT, "tokenizer_cases.json"), "w") as f:
        json.dump({"about": "T5TokenizerFast.from_pretrained(reference-flow/t5-tokenizer) on edge-case prompt lists "
                            "(scripts/reference/gen_t5.py); compare ids exactly",
                   "len_tokenizer": len(tok), "model_max_length": tok.model_max_length,
                   "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces,
                   "clip_slice_start": CLIP_SLICE_START, "cases": cases}, f, indent=1, ensure_ascii=True)
        f.write("\n")

    buckets = bucket_tables(OUT)
    models = {}
    for name, spec in MODELS.items():
        models[name] = build_model(name, spec, len(tok), os.path.join(OUT, "models", name))
    inputs = make_inputs(OUT, [m.config.vocab_size for m in models.values()])
    outputs = {name: record_outputs(OUT, name, m, inputs) for name, m in models.items()}

    half = T5EncoderModel.from_pretrained(os.path.join(OUT, "models", "t5-gated-gelu"), torch_dtype=torch.float16).eval()
    wo_dtypes = sorted({str(p.dtype) for n, p in half.named_parameters() if ".wo." in n})
    other_dtypes = sorted({str(p.dtype) for n, p in half.named_parameters() if ".wo." not in n})
    assert wo_dtypes == ["torch.float32"] and other_dtypes == ["torch.float16"], (wo_dtypes, other_dtypes)
    outputs["t5-gated-gelu"] += record_outputs(OUT, "t5-gated-gelu", half, {77: inputs[77]}, suffix="_float16")

    manifest = {
        "about": "transformers T5EncoderModel / T5TokenizerFast references for io.diffusers4j.models.t5 and "
                 "io.diffusers4j.tokenizers.T5TokenizerFast; written by scripts/reference/gen_t5.py",
        "versions": {"transformers": transformers.__version__, "transformers_commit": refenv.SOURCES["transformers"][1],
                     "tokenizers": tokenizers.__version__, "torch": torch.__version__, "numpy": np.__version__},
        "tokenizer": {"folder": "reference-flow/t5-tokenizer", "cases": "tokenizer_cases.json",
                      "len_tokenizer": len(tok)},
        "relative_position_buckets": buckets,
        "models": {name: {"folder": f"models/{name}", "seed": spec["seed"], "config_kwargs": spec["kwargs"],
                          "vocab": spec["vocab"], "max_shard_size": spec["shard"],
                          "weights": "transformers' _init_weights (torch.manual_seed(seed)), then layer_norm "
                                     "weights = 1 + 0.2 randn and relative_attention_bias = randn (generator seed + "
                                     "1000)",
                          "files": sorted(os.listdir(os.path.join(OUT, "models", name))),
                          "outputs": outputs[name]} for name, spec in MODELS.items()},
        "inputs": "ids: torch.randint(0, min vocab, (2, L), generator seed 5) for L = 8, 77, 300 in that order; "
                  "mask: ones, row 0 positions 2..3 = 0, row 1 the last L // 3 positions = 0",
        "block_outputs": "[num_layers, batch, seq, d_model]: the hidden state after each T5Block (forward hooks), "
                         "before the final layer norm",
        "float16": "t5-gated-gelu loaded with from_pretrained(torch_dtype=torch.float16): the wo weights stay "
                   "float32 (_keep_in_fp32_modules), everything else float16; outputs saved as float32; CPU",
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(README)
    print("ok", OUT)


main()

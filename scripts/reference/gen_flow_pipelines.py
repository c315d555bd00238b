"""Records pipeline-core/src/test/resources/reference-flow/ (except t5-tokenizer/, written by gen_t5_tokenizer.py,
which this script reads) with the real diffusers 0.30.3 / transformers d6751d91:

* the tiny random checkpoints (diffusers ``save_pretrained``, safetensors, float32):
  - ``tiny-sd3/``      StableDiffusion3Pipeline: SD3Transformer2DModel, AutoencoderKL (16 latent channels, SD3's
                       shift/scale, no quant convs), two CLIPTextModelWithProjection, T5EncoderModel,
                       FlowMatchEulerDiscreteScheduler(shift=3.0), the tiny-sd CLIP tokenizer twice, the T5 tokenizer;
  - ``tiny-flux/``     FluxPipeline, FLUX.1-schnell style (no guidance embedding, static shift 1.0);
  - ``tiny-flux-dev/`` FluxPipeline, FLUX.1-dev style (guidance embedding, dynamic shifting); every component but
                       the transformer and the scheduler is a byte-identical copy of tiny-flux's;
* the pipeline cases s1..s5 (SD3) and f1..f4 (FLUX): randn draws, scheduler timesteps / sigmas, token ids and outputs
  of every text-encoder call, what ``encode_prompt`` returns, the first transformer call's inputs and output, the
  latents after every step, the VAE decoder's input and raw output, the final np image;
* direct model cases: VAE decode / encode of seeded inputs (both VAEs), T5 encoder hidden states per layer;
* ``manifest.json`` (every case with its arguments, files, shapes and tolerances) and ``README.md``.

    /tmp/t2env/bin/python scripts/reference/gen_t5_tokenizer.py  --out pipeline-core/src/test/resources   # first
    /tmp/t2env/bin/python scripts/reference/gen_flow_pipelines.py --out pipeline-core/src/test/resources
    # writes OUT/reference-flow/{tiny-sd3,tiny-flux,tiny-flux-dev,<case>/,manifest.json,README.md}

Deterministic: two runs give identical files (weights, arrays, json).
"""
import refenv  # noqa: I001

torch = refenv.setup(profile="flow")

import argparse  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
import diffusers  # noqa: E402
import transformers  # noqa: E402
from diffusers import (AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline,  # noqa: E402
                       FluxTransformer2DModel, SD3Transformer2DModel, StableDiffusion3Pipeline)
from transformers import (CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer,  # noqa: E402
                          T5Config, T5EncoderModel, T5TokenizerFast)

import refrec  # noqa: E402
from refrec import Store, log, make_generator, record_randn, save_draws, write_json  # noqa: E402

_ap = argparse.ArgumentParser()
_ap.add_argument("--out", required=True, help="output root; writes OUT/reference-flow/")
_ap.add_argument("--resources", default=refenv.RESOURCES,
                 help="test-resources root holding tiny-sd/ (CLIP tokenizer and text encoder)")
_ap.add_argument("--t5-tokenizer", default=None,
                 help="the T5 tokenizer folder (default: OUT/reference-flow/t5-tokenizer, written by gen_t5_tokenizer.py)")
ARGS = _ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-flow")
FIXTURE = os.path.join(ARGS.resources, "tiny-sd")
T5_TOKENIZER = ARGS.t5_tokenizer or os.path.join(OUT, "t5-tokenizer")
STORE = Store(OUT)
CASES = []
FILE_MEANINGS = {}

# ------------------------------------------------------------------------------------------------- the tiny configs
T5_KWARGS = dict(d_model=96, d_kv=16, num_heads=4, d_ff=80, num_layers=2, relative_attention_num_buckets=32,
                 relative_attention_max_distance=128, feed_forward_proj="gated-gelu", dropout_rate=0.0)
VAE_COMMON = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
                  up_block_types=["UpDecoderBlock2D"] * 2, block_out_channels=[16, 32], layers_per_block=1,
                  act_fn="silu", latent_channels=16, norm_num_groups=8, sample_size=32, force_upcast=True,
                  use_quant_conv=False, use_post_quant_conv=False, mid_block_add_attention=True)
CLIP_COMMON = dict(vocab_size=49408, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                   max_position_embeddings=77, layer_norm_eps=1e-5, projection_dim=32)
CLIP_NOTE = ("token_embedding copied from tiny-sd/text_encoder (49408 x 32: the tiny-sd CLIP tokenizer's ids; git "
             "delta-compresses the copies), every other weight random from the seed")
SPEC = {
    "tiny-sd3": {
        "pipeline_class": "StableDiffusion3Pipeline",
        "transformer": {"class": "SD3Transformer2DModel", "seed": 100, "kwargs": dict(
            sample_size=16, patch_size=2, in_channels=16, out_channels=16, num_layers=2, attention_head_dim=8,
            num_attention_heads=4, joint_attention_dim=96, caption_projection_dim=32, pooled_projection_dim=64,
            pos_embed_max_size=24)},
        "vae": {"class": "AutoencoderKL", "seed": 101,
                "kwargs": dict(VAE_COMMON, shift_factor=0.0609, scaling_factor=1.5305)},
        "text_encoder": {"class": "CLIPTextModelWithProjection", "seed": 102, "note": CLIP_NOTE,
                         "kwargs": dict(CLIP_COMMON, hidden_act="quick_gelu", bos_token_id=0, eos_token_id=2,
                                        pad_token_id=1)},
        "text_encoder_2": {"class": "CLIPTextModelWithProjection", "seed": 103, "note": CLIP_NOTE,
                           "kwargs": dict(CLIP_COMMON, hidden_act="gelu", bos_token_id=0, eos_token_id=2,
                                          pad_token_id=1)},
        "text_encoder_3": {"class": "T5EncoderModel", "seed": 104, "kwargs": dict(T5_KWARGS)},
        "tokenizer": {"from": "tiny-sd/tokenizer (CLIPTokenizer)"},
        "tokenizer_2": {"from": "tiny-sd/tokenizer (CLIPTokenizer)"},
        "tokenizer_3": {"from": "reference-flow/t5-tokenizer (T5TokenizerFast)"},
        "scheduler": {"class": "FlowMatchEulerDiscreteScheduler", "kwargs": dict(shift=3.0)},
    },
    "tiny-flux": {
        "pipeline_class": "FluxPipeline",
        "transformer": {"class": "FluxTransformer2DModel", "seed": 110, "kwargs": dict(
            patch_size=1, in_channels=64, num_layers=1, num_single_layers=2, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=96, pooled_projection_dim=32, guidance_embeds=False,
            axes_dims_rope=[4, 6, 6])},
        "vae": {"class": "AutoencoderKL", "seed": 111,
                "kwargs": dict(VAE_COMMON, shift_factor=0.1159, scaling_factor=0.3611)},
        "text_encoder": {"class": "CLIPTextModel", "seed": 112, "note": CLIP_NOTE,
                         "kwargs": dict(CLIP_COMMON, hidden_act="quick_gelu", bos_token_id=0, eos_token_id=2,
                                        pad_token_id=1)},
        "text_encoder_2": {"class": "T5EncoderModel", "seed": 113, "kwargs": dict(T5_KWARGS)},
        "tokenizer": {"from": "tiny-sd/tokenizer (CLIPTokenizer)"},
        "tokenizer_2": {"from": "reference-flow/t5-tokenizer (T5TokenizerFast)"},
        "scheduler": {"class": "FlowMatchEulerDiscreteScheduler", "kwargs": dict(shift=1.0, use_dynamic_shifting=False)},
    },
    "tiny-flux-dev": {
        "pipeline_class": "FluxPipeline",
        "transformer": {"class": "FluxTransformer2DModel", "seed": 120, "kwargs": dict(
            patch_size=1, in_channels=64, num_layers=1, num_single_layers=2, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=96, pooled_projection_dim=32, guidance_embeds=True,
            axes_dims_rope=[4, 6, 6])},
        "vae": {"from": "tiny-flux/vae (byte-identical copy)"},
        "text_encoder": {"from": "tiny-flux/text_encoder (byte-identical copy)"},
        "text_encoder_2": {"from": "tiny-flux/text_encoder_2 (byte-identical copy)"},
        "tokenizer": {"from": "tiny-flux/tokenizer (byte-identical copy)"},
        "tokenizer_2": {"from": "tiny-flux/tokenizer_2 (byte-identical copy)"},
        "scheduler": {"class": "FlowMatchEulerDiscreteScheduler", "kwargs": dict(
            shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15, base_image_seq_len=256,
            max_image_seq_len=4096)},
    },
}
MODEL_COMPONENTS = ("transformer", "vae", "text_encoder", "text_encoder_2", "text_encoder_3")


def _fixture_token_embedding():
    te = CLIPTextModel.from_pretrained(os.path.join(FIXTURE, "text_encoder"))
    return te.text_model.embeddings.token_embedding.weight.detach().clone()


def _seeded(seed, fn):
    torch.manual_seed(seed)
    return fn()


def _clip(spec, cls, token_embedding):
    model = _seeded(spec["seed"], lambda: cls(CLIPTextConfig(**spec["kwargs"])))
    with torch.no_grad():
        model.text_model.embeddings.token_embedding.weight.copy_(token_embedding)
    return model.eval()


def _t5(spec, vocab_size):
    return _seeded(spec["seed"], lambda: T5EncoderModel(T5Config(vocab_size=vocab_size, **spec["kwargs"]))).eval()


def _clean_configs(folder):
    """Drops _name_or_path from every component config (it names a temporary path) and sorts the keys."""
    for comp in sorted(os.listdir(folder)):
        cf = os.path.join(folder, comp, "config.json")
        if os.path.isfile(cf):
            with open(cf) as f:
                c = json.load(f)
            c.pop("_name_or_path", None)
            with open(cf, "w") as f:
                json.dump(c, f, indent=2, sort_keys=True)
                f.write("\n")


def _check_roundtrip(built, loaded, name):
    for comp in MODEL_COMPONENTS:
        a, b = getattr(built, comp, None), getattr(loaded, comp, None)
        if a is None:
            continue
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa), (name, comp)


def build_sd3(token_embedding, t5_tok):
    spec = SPEC["tiny-sd3"]
    transformer = _seeded(spec["transformer"]["seed"], lambda: SD3Transformer2DModel(**spec["transformer"]["kwargs"]))
    vae = _seeded(spec["vae"]["seed"], lambda: AutoencoderKL(**spec["vae"]["kwargs"]))
    te = _clip(spec["text_encoder"], CLIPTextModelWithProjection, token_embedding)
    te2 = _clip(spec["text_encoder_2"], CLIPTextModelWithProjection, token_embedding)
    te3 = _t5(spec["text_encoder_3"], len(t5_tok))
    tok = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    tok2 = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    sched = FlowMatchEulerDiscreteScheduler(**spec["scheduler"]["kwargs"])
    pipe = StableDiffusion3Pipeline(transformer=transformer, scheduler=sched, vae=vae, text_encoder=te, tokenizer=tok,
                                    text_encoder_2=te2, tokenizer_2=tok2, text_encoder_3=te3, tokenizer_3=t5_tok)
    d = os.path.join(OUT, "tiny-sd3")
    pipe.save_pretrained(d, safe_serialization=True)
    _clean_configs(d)
    loaded = StableDiffusion3Pipeline.from_pretrained(d)
    _check_roundtrip(pipe, loaded, "tiny-sd3")
    return loaded


def build_flux(token_embedding, t5_tok):
    spec = SPEC["tiny-flux"]
    transformer = _seeded(spec["transformer"]["seed"], lambda: FluxTransformer2DModel(**spec["transformer"]["kwargs"]))
    vae = _seeded(spec["vae"]["seed"], lambda: AutoencoderKL(**spec["vae"]["kwargs"]))
    te = _clip(spec["text_encoder"], CLIPTextModel, token_embedding)
    te2 = _t5(spec["text_encoder_2"], len(t5_tok))
    tok = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    sched = FlowMatchEulerDiscreteScheduler(**spec["scheduler"]["kwargs"])
    pipe = FluxPipeline(scheduler=sched, vae=vae, text_encoder=te, tokenizer=tok, text_encoder_2=te2,
                        tokenizer_2=t5_tok, transformer=transformer)
    d = os.path.join(OUT, "tiny-flux")
    pipe.save_pretrained(d, safe_serialization=True)
    _clean_configs(d)
    loaded = FluxPipeline.from_pretrained(d)
    _check_roundtrip(pipe, loaded, "tiny-flux")

    spec = SPEC["tiny-flux-dev"]
    transformer = _seeded(spec["transformer"]["seed"], lambda: FluxTransformer2DModel(**spec["transformer"]["kwargs"]))
    sched = FlowMatchEulerDiscreteScheduler(**spec["scheduler"]["kwargs"])
    dev = FluxPipeline(scheduler=sched, vae=vae, text_encoder=te, tokenizer=tok, text_encoder_2=te2,
                       tokenizer_2=t5_tok, transformer=transformer)
    d2 = os.path.join(OUT, "tiny-flux-dev")
    dev.save_pretrained(d2, safe_serialization=True)
    _clean_configs(d2)
    for comp in ("vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2"):
        for fn in sorted(os.listdir(os.path.join(d, comp))):
            with open(os.path.join(d, comp, fn), "rb") as f1, open(os.path.join(d2, comp, fn), "rb") as f2:
                assert f1.read() == f2.read(), (comp, fn)
    loaded_dev = FluxPipeline.from_pretrained(d2)
    _check_roundtrip(dev, loaded_dev, "tiny-flux-dev")
    return loaded, loaded_dev


# ------------------------------------------------------------------------------------------------- recording hooks
def _t(x):
    return x.detach().clone() if isinstance(x, torch.Tensor) else x


class FlowRecorder:
    """Read-only wrappers on one pipeline instance for one call: text-encoder forwards (input ids, output[0]),
    encode_prompt (its return values), scheduler.set_timesteps (timesteps / sigmas right after it), the transformer
    forward (every timestep; the first call's inputs and output), vae.decode (input latents and raw output), and
    callback_on_step_end (latents after every step)."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.text_encoder_calls = []
        self.encode_prompt = None
        self.set_timesteps = []
        self.transformer_calls = []
        self.transformer_first = None
        self.decode = None
        self.step_latents = []
        self.step_timesteps = []
        self._saved = []

    def _wrap(self, obj, attr, make):
        original = getattr(obj, attr)
        self._saved.append((obj, attr, attr in obj.__dict__, obj.__dict__.get(attr)))
        setattr(obj, attr, make(original))

    def __enter__(self):
        pipe = self.pipe
        for name in ("text_encoder", "text_encoder_2", "text_encoder_3"):
            model = getattr(pipe, name, None)
            if model is None:
                continue

            def make(orig, name=name):
                @functools.wraps(orig)  # keeps the signature (retrieve_timesteps inspects it)
                def forward(input_ids=None, *args, **kwargs):
                    out = orig(input_ids, *args, **kwargs)
                    self.text_encoder_calls.append({"component": name, "input_ids": _t(input_ids),
                                                    "output_hidden_states": bool(kwargs.get("output_hidden_states")),
                                                    "out0": _t(out[0])})
                    return out
                return forward
            self._wrap(model, "forward", make)

        def make_encode(orig):
            @functools.wraps(orig)  # keeps the signature (retrieve_timesteps inspects it)
            def encode_prompt(*args, **kwargs):
                result = orig(*args, **kwargs)
                self.encode_prompt = tuple(_t(r) for r in result)
                return result
            return encode_prompt
        self._wrap(pipe, "encode_prompt", make_encode)

        def make_set(orig):
            @functools.wraps(orig)  # keeps the signature (retrieve_timesteps inspects it)
            def set_timesteps(*args, **kwargs):
                result = orig(*args, **kwargs)
                s = pipe.scheduler
                self.set_timesteps.append({"args": list(args), "kwargs": {k: v for k, v in kwargs.items() if k != "device"},
                                           "timesteps": _t(s.timesteps), "sigmas": _t(s.sigmas)})
                return result
            return set_timesteps
        self._wrap(pipe.scheduler, "set_timesteps", make_set)

        def make_tr(orig):
            @functools.wraps(orig)  # keeps the signature (retrieve_timesteps inspects it)
            def forward(*args, **kwargs):
                out = orig(*args, **kwargs)
                self.transformer_calls.append([float(x) for x in kwargs["timestep"].flatten()])
                if self.transformer_first is None:
                    assert not args
                    self.transformer_first = {"inputs": {k: _t(v) for k, v in kwargs.items() if isinstance(v, torch.Tensor)},
                                              "output": _t(out[0])}
                return out
            return forward
        self._wrap(pipe.transformer, "forward", make_tr)

        def make_decode(orig):
            @functools.wraps(orig)  # keeps the signature (retrieve_timesteps inspects it)
            def decode(z, *args, **kwargs):
                out = orig(z, *args, **kwargs)
                self.decode = {"input": _t(z), "output": _t(out[0] if isinstance(out, tuple) else out.sample)}
                return out
            return decode
        self._wrap(pipe.vae, "decode", make_decode)
        refrec.install_randn_hook()
        return self

    def callback(self, pipe, i, t, kw):
        self.step_latents.append(kw["latents"].detach().clone())
        self.step_timesteps.append(float(t))
        return kw

    def __exit__(self, *exc):
        for obj, attr, had, old in reversed(self._saved):
            if had:
                setattr(obj, attr, old)
            else:
                delattr(obj, attr)
        return False


def float64_rerun(pipe64, call, draws, rec, out):
    """Re-runs the case on a float64 copy of the pipeline from the same initial latents (not recorded as a reference:
    it only measures how far float32 rounding moves each recorded quantity, to size the tolerances). Approximate:
    diffusers computes some parts in float32 even then (FLUX rope, sinusoidal timestep projections, SD3 pos_embed)."""
    noise = draws[0]["tensor"].to(torch.float64)
    if isinstance(pipe64, FluxPipeline):
        b, c, h, w = noise.shape
        noise = FluxPipeline._pack_latents(noise, b, c, h, w)
    rec64 = FlowRecorder(pipe64)
    torch.set_default_dtype(torch.float64)  # transformers' CLIP builds its causal mask with the default dtype
    try:
        with rec64, torch.no_grad():
            out64 = pipe64(**call, latents=noise, callback_on_step_end=rec64.callback)
    finally:
        torch.set_default_dtype(torch.float32)
    diffs = {}

    def diff(key, a, b):
        diffs[key] = float((a.to(torch.float64) - b.to(torch.float64)).abs().max())
    for i, (a, b) in enumerate(zip(rec.step_latents, rec64.step_latents)):
        diff(f"step_latents[{i}]", a, b)
    diff("transformer_out0", rec.transformer_first["output"], rec64.transformer_first["output"])
    for n, a, b in zip(SD3_ENCODE_NAMES if isinstance(pipe64, StableDiffusion3Pipeline) else FLUX_ENCODE_NAMES,
                       rec.encode_prompt, rec64.encode_prompt):
        if a is not None:
            diff(f"encode_{n}", a, b)
    diff("decoder_output", rec.decode["output"], rec64.decode["output"])
    diff("image", torch.from_numpy(out.images), torch.from_numpy(out64.images))
    return diffs


SD3_ENCODE_NAMES = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds", "negative_pooled_prompt_embeds")
FLUX_ENCODE_NAMES = ("prompt_embeds", "pooled_prompt_embeds", "text_ids")


def run_case(name, group, checkpoint, pipe, call, gen, notes=None, transformer_io=True, decoder_output=True,
             loaded_with="from_pretrained(dir)", f64_pipe=None):
    """Runs pipe(**call, generator=..., callback_on_step_end=...) under the FlowRecorder and appends the case."""
    sd3 = isinstance(pipe, StableDiffusion3Pipeline)
    case = {"name": name, "group": group, "kind": "pipeline", "checkpoint": f"reference-flow/{checkpoint}",
            "pipeline_class": type(pipe).__name__, "loaded_with": f"{type(pipe).__name__}.{loaded_with}",
            "call": call, "generator": gen}
    if notes:
        case["notes"] = notes
    generator = make_generator(gen)
    rec = FlowRecorder(pipe)
    with rec, record_randn() as draws, torch.no_grad():
        out = pipe(**call, generator=generator, callback_on_step_end=rec.callback)
    files = {}

    def save(key, arr, meaning, pattern=None):
        files[key] = STORE.save(f"{name}/{key}.npy", arr)
        FILE_MEANINGS.setdefault(pattern or key, meaning)

    # scheduler
    st = rec.set_timesteps[-1]
    case["set_timesteps"] = {"args": st["args"], "kwargs": st["kwargs"]}
    case["scheduler_config"] = dict(pipe.scheduler.config)
    save("scheduler_timesteps", st["timesteps"], "scheduler.timesteps right after set_timesteps (float32, [steps])")
    save("scheduler_sigmas", st["sigmas"], "scheduler.sigmas right after set_timesteps (float32, [steps + 1], last 0)")
    case["timesteps"] = [float(x) for x in st["timesteps"]]
    case["sigmas"] = [float(x) for x in st["sigmas"]]
    # text encoders
    calls = []
    counters = {}
    for c in rec.text_encoder_calls:
        k = counters.get(c["component"], 0)
        counters[c["component"]] = k + 1
        key = f"{c['component']}_call{k}"
        save(f"{key}_input_ids", c["input_ids"].to(torch.int64),
             "input ids given to that text encoder (text_encoder, text_encoder_2 or text_encoder_3) at its k-th call "
             "of the case (int64, [B, L])", pattern="<text_encoder>_call<k>_input_ids")
        save(f"{key}_output0", c["out0"],
             "output[0] of that text-encoder call: CLIPTextModelWithProjection text_embeds [B, proj], CLIPTextModel "
             "last_hidden_state [B, 77, hidden], T5EncoderModel last_hidden_state [B, L, d_model]",
             pattern="<text_encoder>_call<k>_output0")
        calls.append({"component": c["component"], "call": k, "output_hidden_states": c["output_hidden_states"],
                      "input_ids": files[f"{key}_input_ids"]["file"], "output0": files[f"{key}_output0"]["file"]})
    case["text_encoder_calls"] = calls
    # encode_prompt
    names = SD3_ENCODE_NAMES if sd3 else FLUX_ENCODE_NAMES
    for n, v in zip(names, rec.encode_prompt):
        if v is None:
            case.setdefault("encode_prompt_none", []).append(n)
            continue
        save(f"encode_{n}", v, "encode_prompt's return value of that name (before the pipeline's CFG "
             "concatenation); SD3: prompt_embeds = cat([pad(cat([clip_l, clip_g], -1) to 96), t5], -2)",
             pattern="encode_<name>")
    # randn
    case["randn_draws_in_order"] = save_draws(STORE, name, draws)
    # transformer
    case["transformer_timesteps"] = rec.transformer_calls
    case["num_transformer_calls"] = len(rec.transformer_calls)
    if transformer_io:
        for k, v in rec.transformer_first["inputs"].items():
            save(f"transformer_in0_{k}", v, "the first transformer call's keyword argument of that name (SD3: after "
                 "the CFG doubling; FLUX: timestep as passed, i.e. t / 1000, guidance [B] unscaled, txt_ids [B, L, 3], "
                 "img_ids [B, tokens, 3])", pattern="transformer_in0_<kwarg>")
        save("transformer_out0", rec.transformer_first["output"], "the first transformer call's output sample")
    # loop
    save("step_latents", torch.stack(rec.step_latents),
         "latents after each denoising step i (callback_on_step_end), [steps, ...latents shape]; FLUX: packed [B, tokens, 64]")
    case["callback_timesteps"] = rec.step_timesteps
    if decoder_output:
        save("decoder_input", rec.decode["input"],
             "what vae.decode receives: the final latents (step_latents[-1]) / scaling_factor + shift_factor (FLUX: "
             "unpacked first), [B, 16, h, w]")
    if decoder_output:
        save("decoder_output", rec.decode["output"], "raw vae.decode(...).sample, [B, 3, H, W] (before postprocess)")
    save("image", out.images, "pipeline output, output_type='np': float32 NHWC in [0, 1]")
    case["files"] = files
    if f64_pipe is not None:
        case["float64_rerun_max_abs_diff"] = float64_rerun(f64_pipe, call, draws, rec, out)
    CASES.append(case)
    log(name, "ok", "timesteps", [round(t, 3) for t in case["timesteps"]], "image", list(out.images.shape))
    return case


def main():
    if os.path.isdir(OUT):
        for entry in sorted(os.listdir(OUT)):
            # t5-tokenizer*: gen_t5_tokenizer.py's; t5/ and transformers/: gen_t5.py's and gen_mmdit.py's
            if entry not in ("t5-tokenizer", "t5-tokenizer-cases.json", "t5", "transformers"):
                p = os.path.join(OUT, entry)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    t5_tok = T5TokenizerFast.from_pretrained(T5_TOKENIZER)
    token_embedding = _fixture_token_embedding()
    sd3 = build_sd3(token_embedding, t5_tok)
    flux, flux_dev = build_flux(token_embedding, t5_tok)
    for p in (sd3, flux, flux_dev):
        p.set_progress_bar_config(disable=True)
    return sd3, flux, flux_dev, t5_tok


# ------------------------------------------------------------------------------------------------- direct model cases
def vae_cases(name, vae):
    """vae.decode of seeded latents (raw .sample, no shift / scale) and vae.encode(image).latent_dist mean / std."""
    g = torch.Generator().manual_seed(SPEC_DIRECT[name]["seed"])
    latents = torch.randn((2, 16, 8, 12), generator=g)
    image = torch.rand((2, 3, 16, 24), generator=g) * 2 - 1
    with torch.no_grad():
        decoded = vae.decode(latents).sample
        dist = vae.encode(image).latent_dist
    files = {}
    for key, arr in (("decode_latents", latents), ("decode_sample", decoded), ("encode_image", image),
                     ("encode_mean", dist.mean), ("encode_std", dist.std)):
        files[key] = STORE.save(f"{name}/{key}.npy", arr)
    CASES.append({"name": name, "group": "vae", "kind": "model", "checkpoint": SPEC_DIRECT[name]["checkpoint"],
                  "model_class": "AutoencoderKL", "inputs": SPEC_DIRECT[name]["inputs"], "files": files})
    log(name, "ok")


def t5_layers_case(name, pipe):
    """T5EncoderModel(input_ids, output_hidden_states=True): every hidden state, to localise a mismatch per layer."""
    tok, te = pipe.tokenizer_3, pipe.text_encoder_3
    text = "a photo of an astronaut riding a horse on mars"
    ids = tok([text, "Crème brûlée at a café, 3.5 stars!"], padding="max_length", max_length=24, truncation=True,
              add_special_tokens=True, return_tensors="pt").input_ids
    with torch.no_grad():
        out = te(ids, output_hidden_states=True)
    files = {"input_ids": STORE.save(f"{name}/input_ids.npy", ids.to(torch.int64)),
             "last_hidden_state": STORE.save(f"{name}/last_hidden_state.npy", out.last_hidden_state)}
    for i, h in enumerate(out.hidden_states):
        files[f"hidden_states_{i}"] = STORE.save(f"{name}/hidden_states_{i}.npy", h)
    CASES.append({"name": name, "group": "t5", "kind": "model", "checkpoint": "reference-flow/tiny-sd3/text_encoder_3",
                  "model_class": "T5EncoderModel", "texts": [text, "Crème brûlée at a café, 3.5 stars!"],
                  "call": "tokenizer_3(texts, padding='max_length', max_length=24, truncation=True, add_special_tokens=True) "
                          "-> text_encoder_3(input_ids, output_hidden_states=True) (no attention_mask, as the pipelines)",
                  "notes": "hidden_states_0 = embeddings (dropout 0); hidden_states_i = after block i-1 for i < num_layers; "
                           "the last hidden state is after final_layer_norm (equal to last_hidden_state)",
                  "files": files})
    log(name, "ok")


SPEC_DIRECT = {
    "vae_sd3": {"seed": 200, "checkpoint": "reference-flow/tiny-sd3/vae",
                "inputs": "g = torch.Generator().manual_seed(200); decode_latents = randn((2,16,8,12), g); encode_image = "
                          "rand((2,3,16,24), g) * 2 - 1 (same generator, after the latents); decode_sample = "
                          "vae.decode(decode_latents).sample; encode_mean / encode_std = vae.encode(encode_image).latent_dist.mean / .std"},
    "vae_flux": {"seed": 201, "checkpoint": "reference-flow/tiny-flux/vae",
                 "inputs": "as vae_sd3 with manual_seed(201)"},
}

# ------------------------------------------------------------------------------------------------- the cases
P = "a photo of an astronaut riding a horse on mars"
NEG = "low quality, blurry"
P2 = ["a red car in the rain", "a bowl of fruit, still life"]
LONG = ("a highly detailed cinematic photo of an old stone castle on a high mountain above a quiet lake at night, "
        "with a golden moon, bright stars, soft blue light, dark clouds, a small wooden boat near the beach, "
        "a red dragon flying over the tower, a knight and a queen standing on the bridge, many people walking "
        "on the road to the city, green trees, white snow, and a beautiful painting style with dramatic shadows, "
        "warm colors, sharp lines, and a very high resolution, in the style of an ancient museum painting")
G = lambda s: {"type": "single", "seed": s}  # noqa: E731


def sd3_cases(sd3, sd3_no_t5):
    run_case("s1_sd3_negative_default_size", "sd3", "tiny-sd3", sd3, f64_pipe=F64["sd3"], call=
             dict(prompt=P, negative_prompt=NEG, guidance_scale=7.0, num_inference_steps=3, output_type="np"), gen=G(0),
             notes="default height/width: transformer.sample_size (16) * vae_scale_factor (2) = 32; default "
                   "max_sequence_length 256; CFG: the transformer gets cat([negative, positive])")
    run_case("s2_sd3_no_t5_two_prompts", "sd3", "tiny-sd3", sd3_no_t5, f64_pipe=F64["sd3_no_t5"], call=
             dict(prompt=P2, guidance_scale=5.0, num_inference_steps=2, height=32, width=32, output_type="np"), gen=G(1),
             loaded_with="from_pretrained(dir, text_encoder_3=None, tokenizer_3=None)",
             notes="loaded with text_encoder_3=None, tokenizer_3=None: the T5 part of the embeddings is zeros "
                   "[B, tokenizer_max_length (77), joint_attention_dim (96)]; negative_prompt None -> '' for each prompt")
    run_case("s3_sd3_no_cfg_nipp2", "sd3", "tiny-sd3", sd3, f64_pipe=F64["sd3"], call=
             dict(prompt=P, guidance_scale=1.0, num_images_per_prompt=2, max_sequence_length=64, height=48, width=32,
                  num_inference_steps=3, output_type="np"), gen={"type": "list", "seeds": [7, 8]},
             notes="guidance_scale 1.0: no CFG, the negative prompt is not encoded (encode_prompt returns None for it); "
                   "a list of 2 generators: row i of the latents drawn from generator i")
    run_case("s4_sd3_prompt23_negative23_clip_skip1", "sd3", "tiny-sd3", sd3, f64_pipe=F64["sd3"], call=
             dict(prompt=P, prompt_2="a watercolor painting of a castle", prompt_3="a bowl of fruit, still life",
                  negative_prompt=NEG, negative_prompt_2="dark, grainy", negative_prompt_3="ugly", clip_skip=1,
                  guidance_scale=6.0, max_sequence_length=32, height=32, width=32, num_inference_steps=2,
                  output_type="np"), gen=G(3),
             notes="clip_skip 1: positive CLIP embeds = hidden_states[-3] of both CLIP encoders; the negative ones "
                   "always use hidden_states[-2] (clip_skip=None in the negative branch of encode_prompt)")
    run_case("s5_sd3_long_prompt_truncation", "sd3", "tiny-sd3", sd3, f64_pipe=F64["sd3"], call=
             dict(prompt=LONG, negative_prompt=NEG, guidance_scale=7.0, max_sequence_length=32, height=32, width=32,
                  num_inference_steps=2, output_type="np"), gen=G(4),
             notes="CLIP truncates the prompt to 77 tokens (bos + 75 + eos), T5 to max_sequence_length 32 (31 + </s>)")


def flux_cases(flux, flux_dev):
    run_case("f1_flux_schnell_64", "flux", "tiny-flux", flux, f64_pipe=F64["flux"], call=
             dict(prompt=P, guidance_scale=0.0, num_inference_steps=4, max_sequence_length=256, height=64, width=64,
                  output_type="np"), gen=G(10),
             notes="schnell style: no guidance embedding (guidance=None), static shift 1.0: sigmas = linspace(1, 1/4, 4); "
                   "vae_scale_factor = 2 ** len(block_out_channels) = 4: latents 2 * (64 // 4) = 32 square, packed to "
                   "16 * 16 = 256 tokens of 64")
    run_case("f2_flux_dev_guidance_dynamic_shift", "flux", "tiny-flux-dev", flux_dev, f64_pipe=F64["flux_dev"], call=
             dict(prompt=P, prompt_2="a watercolor painting of a castle", guidance_scale=3.5, num_inference_steps=3,
                  max_sequence_length=128, height=32, width=48, output_type="np"), gen=G(11),
             notes="dev style: guidance embedding (transformer gets guidance = [3.5] * B), dynamic shifting with "
                   "mu = calculate_shift(image_seq_len = 8 * 12 = 96, 256, 4096, 0.5, 1.15); prompt_2 goes to T5, "
                   "prompt to CLIP")
    run_case("f3_flux_dev_two_prompts_nipp2", "flux", "tiny-flux-dev", flux_dev, f64_pipe=F64["flux_dev"], call=
             dict(prompt=P2, num_images_per_prompt=2, num_inference_steps=2, max_sequence_length=64, height=32,
                  width=32, output_type="np"), gen={"type": "list", "seeds": [12, 13, 14, 15]},
             notes="default guidance_scale 3.5; batch order prompt-major (p0, p0, p1, p1); generator i draws row i")
    seq = (2 * (64 * 4 // 4) // 2) ** 2
    assert seq <= 4096
    run_case("f4_flux_schnell_default_size", "flux", "tiny-flux", flux, f64_pipe=F64["flux"], call=
             dict(prompt=P, num_inference_steps=1, output_type="np"), gen=G(16), transformer_io=False, decoder_output=False,
             notes=f"default height/width: default_sample_size (64) * vae_scale_factor (4) = 256; {seq} image tokens; "
                   "default max_sequence_length 512; guidance_scale default 3.5 unused (no guidance embedding); one "
                   "step: sigmas [1.0]. transformer_in0/out0 and decoder_output are not stored (size)")


def main_cases(sd3, flux, flux_dev, sd3_no_t5):
    sd3_cases(sd3, sd3_no_t5)
    flux_cases(flux, flux_dev)
    vae_cases("vae_sd3", sd3.vae)
    vae_cases("vae_flux", flux.vae)
    t5_layers_case("t5_encoder_layers", sd3)


# ------------------------------------------------------------------------------------------------- manifest / README
TOLERANCES = {
    "about": "absolute tolerances (max |java - reference|) per recorded file kind, float32 on CPU. They are ~10-100x the "
             "float32 rounding the recorder measured by re-running each pipeline case in float64 from the same initial "
             "latents (each case's float64_rerun_max_abs_diff: 2e-7 .. 5e-6)",
    "input_ids": {"atol": 0, "note": "token ids: exact (int64)"},
    "randn": {"atol": 1e-6, "note": "the randn draws (torch CPU generator): bit-exact expected, 1e-6 allowed"},
    "scheduler_sigmas": {"atol": 1e-6},
    "scheduler_timesteps": {"atol": 1e-4, "note": "values up to 1000: 1e-4 is ~1.6 float32 ulp at 1000"},
    "text_encoder_output0": {"atol": 1e-4, "note": "CLIP / T5 outputs, values O(1)"},
    "encode_prompt": {"atol": 1e-4, "note": "encode_*.npy; encode_text_ids exact (zeros)"},
    "transformer_in0": {"atol": 1e-4, "note": "the first transformer call's inputs; txt_ids / img_ids exact"},
    "transformer_out0": {"atol": 1e-4},
    "step_latents": {"atol": 1e-4, "note": "per step; the flow-matching Euler step adds (sigma_next - sigma) * v, |v| ~ 1, so "
                     "an error does not grow faster than the transformer's; compare step by step to localise"},
    "decoder_input": {"atol": 1e-4},
    "decoder_output": {"atol": 1e-4, "note": "raw vae.decode sample, values O(1)"},
    "image": {"atol": 1e-3, "note": "final np image in [0, 1]"},
    "vae_direct": {"atol": 1e-4, "note": "vae_* cases: decode_sample, encode_mean, encode_std"},
    "t5_layers": {"atol": 1e-4, "note": "t5_encoder_layers: every hidden state"},
}


def _dir_listing(folder):
    out = {}
    for root, _, names in sorted(os.walk(folder)):
        for n in sorted(names):
            path = os.path.join(root, n)
            with open(path, "rb") as f:
                data = f.read()
            out[os.path.relpath(path, OUT)] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return out


def _weight_keys(folder):
    """{component: {key: shape}} of every safetensors file of a checkpoint folder (read with the stand-in)."""
    from safetensors.torch import load_file
    out = {}
    for comp in sorted(os.listdir(folder)):
        d = os.path.join(folder, comp)
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            if n.endswith(".safetensors"):
                out[f"{comp}/{n}"] = {k: list(v.shape) for k, v in sorted(load_file(os.path.join(d, n)).items())}
    return out


def write_manifest(t5_tok):
    checkpoints = {}
    for name, spec in SPEC.items():
        folder = os.path.join(OUT, name)
        checkpoints[f"reference-flow/{name}"] = {
            "spec": spec, "files": _dir_listing(folder), "weights": _weight_keys(folder),
            "saved_with": "pipeline.save_pretrained(dir, safe_serialization=True) (pure-Python safetensors stand-in, "
                          "same format); _name_or_path removed from the component configs, keys sorted"}
    manifest = {
        "about": "SD3 / FLUX.1 reference data recorded with the real diffusers 0.30.3 (see README.md)",
        "generated_by": "scripts/reference/gen_flow_pipelines.py (after gen_t5_tokenizer.py)",
        "versions": refenv.versions(),
        "t5_tokenizer": {"dir": "reference-flow/t5-tokenizer", "len": len(t5_tok),
                         "cases": "reference-flow/t5-tokenizer-cases.json"},
        "conventions": {
            "paths": "file paths are relative to reference-flow/",
            "generator": "{'type': 'single', 'seed': s} -> torch.Generator('cpu').manual_seed(s); {'type': 'list', "
                         "'seeds': [...]} -> one generator per seed (row i of the latents drawn from generator i)",
            "randn": "randn_NN.npy: every randn_tensor draw of the call in order (shape / caller / generator kind in "
                     "randn_draws_in_order); SD3 draws the [B, 16, H/2, W/2] latents, FLUX the unpacked "
                     "[B, 16, 2 * (H // 4), 2 * (W // 4)] latents that prepare_latents then packs",
            "text_encoder_calls": "every forward of text_encoder / text_encoder_2 / text_encoder_3 in pipeline order "
                                  "(SD3: positive then negative, each CLIP-L, CLIP-G, T5)",
            "float64_rerun_max_abs_diff": "measurement only (not references): float32 vs a float64 re-run of the case",
            "dtype": "every float array is float32; ids int64",
        },
        "tolerances": TOLERANCES,
        "file_meanings": FILE_MEANINGS,
        "checkpoints": checkpoints,
        "cases": CASES,
    }
    write_json(os.path.join(OUT, "manifest.json"), manifest)
    return manifest


README_HEAD = """# reference-flow: SD3 / FLUX.1 references (diffusers 0.30.3)

Recorded by `scripts/reference/gen_t5_tokenizer.py` (the T5 tokenizer) and `scripts/reference/gen_flow_pipelines.py`
(everything else) with the real diffusers 0.30.3 / transformers d6751d91 on torch 2.13 CPU (`refenv.setup(profile="flow")`;
versions in manifest.json). Both scripts are deterministic: re-running them gives byte-identical files.

    /tmp/t2env/bin/python scripts/reference/gen_t5_tokenizer.py  --out pipeline-core/src/test/resources
    /tmp/t2env/bin/python scripts/reference/gen_flow_pipelines.py --out pipeline-core/src/test/resources

`manifest.json` has, for every case, the exact call (arguments, generator seeds), every file with its shape and dtype,
the scheduler's timesteps / sigmas, the transformer timesteps, the randn draws in order, and the tolerances
(`tolerances`); for every checkpoint its spec (constructor kwargs and seeds), files (bytes, sha256) and weight keys.
All float arrays are float32 `.npy`, ids int64.

## Tokenizer

| path | what |
|---|---|
| `t5-tokenizer/` | T5TokenizerFast (`save_pretrained`): `tokenizer.json`, `spiece.model`, `tokenizer_config.json`, `special_tokens_map.json`. SentencePiece unigram, 1000 pieces (pad=0 `<pad>`, eos=1 `</s>`, unk=2 `<unk>`, no bos, `nmt_nfkc` normalization: the tokenizer.json normalizer is Precompiled + Strip(right) + Replace(' {2,}', '▁'), pre-tokenizer Metaspace(prepend_scheme 'always'), post-processor `$A </s>`), plus 100 `<extra_id_N>` (`<extra_id_0>` = 1099, `<extra_id_99>` = 1000): `len(tokenizer)` = 1100 = the T5 `vocab_size` |
| `t5-tokenizer-cases.json` | token ids / attention masks of edge-case texts (accents, NFKC, unknown characters, spaces, special tokens in the text, truncation, batch) with the pipelines' call (`padding='max_length'`, `truncation=True`); compare exactly |

## Checkpoints

| path | pipeline | components |
|---|---|---|
| `tiny-sd3/` | StableDiffusion3Pipeline | transformer SD3Transformer2DModel (2 layers, 4 heads x 8, patch 2, joint_attention_dim 96, caption_projection_dim 32, pooled_projection_dim 64, pos_embed_max_size 24, sample_size 16); vae AutoencoderKL (16 latent channels, block_out_channels [16, 32]: vae_scale_factor 2, shift_factor 0.0609, scaling_factor 1.5305, no quant convs); text_encoder / text_encoder_2 CLIPTextModelWithProjection (hidden 32, 2 layers, 4 heads, projection 32; quick_gelu / gelu); text_encoder_3 T5EncoderModel (d_model 96, 2 layers, 4 heads x 16, d_ff 80, gated-gelu, vocab 1100); tokenizer / tokenizer_2 = tiny-sd's CLIP tokenizer; tokenizer_3 = t5-tokenizer; FlowMatchEulerDiscreteScheduler(shift=3.0) |
| `tiny-flux/` | FluxPipeline (FLUX.1-schnell style) | transformer FluxTransformer2DModel (1 double-stream + 2 single-stream blocks, 2 heads x 16, in_channels 64, joint_attention_dim 96, pooled_projection_dim 32, axes_dims_rope [4, 6, 6], guidance_embeds false); vae as SD3's layout with shift_factor 0.1159, scaling_factor 0.3611 (FluxPipeline's vae_scale_factor = 2 ** len(block_out_channels) = 4); text_encoder CLIPTextModel (hidden 32, 2 layers; Flux uses its pooler_output); text_encoder_2 T5EncoderModel (as SD3's config, other weights); FlowMatchEulerDiscreteScheduler(shift=1.0, use_dynamic_shifting=False) |
| `tiny-flux-dev/` | FluxPipeline (FLUX.1-dev style) | transformer as tiny-flux's with guidance_embeds true (other weights); scheduler use_dynamic_shifting true, base_shift 0.5, max_shift 1.15, base_image_seq_len 256, max_image_seq_len 4096, shift 3.0; every other component a byte-identical copy of tiny-flux's |

Weights: float32 safetensors, random from the seeds in manifest.json; the CLIP token embeddings (49408 x 32, the tiny-sd
tokenizer's ids) are copied from `tiny-sd/text_encoder`. The T5 checkpoints hold `shared.weight` only (transformers
ties `encoder.embed_tokens.weight` to it and does not save the tied copy).

## Cases

"""


def write_readme(manifest):
    lines = [README_HEAD]
    for c in manifest["cases"]:
        lines.append(f"### `{c['name']}/`\n")
        if c["kind"] == "pipeline":
            call = ", ".join(f"{k}={v!r}" for k, v in c["call"].items())
            lines.append(f"`{c['loaded_with'].replace('(dir', '(' + c['checkpoint'])}` then `pipe({call}, generator={c['generator']})`; "
                         f"timesteps {[round(t, 4) for t in c['timesteps']]}.")
        else:
            lines.append(f"{c['model_class']} from `{c['checkpoint']}`: {c.get('inputs') or c.get('call')}.")
        if c.get("notes"):
            lines.append(f" {c['notes']}.")
        lines.append("\n\n| file | shape | dtype |\n|---|---|---|")
        entries = list(c["files"].values()) + [{"file": d["file"], "shape": d["shape"], "dtype": d["dtype"]}
                                               for d in c.get("randn_draws_in_order", [])]
        for e in entries:
            lines.append(f"| `{e['file']}` | {e['shape']} | {e['dtype']} |")
        lines.append("")
    lines.append("## File meanings (pipeline cases)\n")
    lines.append("| file | meaning |\n|---|---|")
    lines.append("| `randn_NN.npy` | the NN-th randn_tensor draw of the call (see randn_draws_in_order) |")
    for k in sorted(manifest["file_meanings"]):
        lines.append(f"| `{k}.npy` | {manifest['file_meanings'][k]} |")
    lines.append("")
    lines.append("## Tolerances (atol)\n")
    for k, v in manifest["tolerances"].items():
        if k == "about":
            lines.append(v + ".\n")
        else:
            lines.append(f"- `{k}`: {v['atol']}" + (f" ({v['note']})" if v.get("note") else ""))
    lines.append("")
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


F64 = {}


def _load(cls, name, **kwargs):
    p = cls.from_pretrained(os.path.join(OUT, name), **kwargs)
    p.set_progress_bar_config(disable=True)
    return p


if __name__ == "__main__":
    SD3, FLUX, FLUX_DEV, T5_TOK = main()
    NO_T5 = dict(text_encoder_3=None, tokenizer_3=None)
    SD3_NO_T5 = _load(StableDiffusion3Pipeline, "tiny-sd3", **NO_T5)
    F64.update(sd3=_load(StableDiffusion3Pipeline, "tiny-sd3", torch_dtype=torch.float64),
               sd3_no_t5=_load(StableDiffusion3Pipeline, "tiny-sd3", torch_dtype=torch.float64, **NO_T5),
               flux=_load(FluxPipeline, "tiny-flux", torch_dtype=torch.float64),
               flux_dev=_load(FluxPipeline, "tiny-flux-dev", torch_dtype=torch.float64))
    main_cases(SD3, FLUX, FLUX_DEV, SD3_NO_T5)
    write_readme(write_manifest(T5_TOK))
    log("done", len(CASES), "cases")

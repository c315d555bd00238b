"""Records pipeline-core/src/test/resources/reference-unconditional/ with the real diffusers 0.30.3: the tiny random
checkpoints tiny-ddpm (DDPMPipeline), tiny-ddim (DDIMPipeline) and tiny-dance (DanceDiffusionPipeline), saved with
save_pretrained; the pipeline cases (per-step samples, the randn draws, the final np images / audio); UNet2DModel
forward cases of the variants no pipeline reaches (class embeddings, Fourier and learned time embeddings, ...), each
model saved with save_pretrained under models/; the IPNDMScheduler tables; and manifest.json. See README.md.

    /usr/bin/python3 scripts/reference/gen_unconditional.py --out OUT     # writes OUT/reference-unconditional/
"""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402

from diffusers import (  # noqa: E402
    DanceDiffusionPipeline, DDIMPipeline, DDIMScheduler, DDPMPipeline, DDPMScheduler, IPNDMScheduler, UNet1DModel,
    UNet2DModel)

from refrec import Store, log, make_generator, record_randn, save_draws, write_json  # noqa: E402

_ap = argparse.ArgumentParser()
_ap.add_argument("--out", required=True, help="output root; writes OUT/reference-unconditional/")
ARGS = _ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-unconditional")
os.makedirs(OUT, exist_ok=True)
STORE = Store(OUT)
CASES = []

# ------------------------------------------------------------------------------------------------- checkpoints
UNET_DDPM = dict(sample_size=16, in_channels=3, out_channels=3, block_out_channels=(16, 32), layers_per_block=1,
                 down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
                 norm_num_groups=8, attention_head_dim=8, freq_shift=1, flip_sin_to_cos=False, downsample_padding=0,
                 norm_eps=1e-6)
SCHED_DDPM = dict(num_train_timesteps=1000, beta_schedule="linear", clip_sample=True, variance_type="fixed_small")
UNET_DDIM = dict(sample_size=(16, 8), in_channels=3, out_channels=3, block_out_channels=(8, 16, 16), layers_per_block=1,
                 down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D"),
                 up_block_types=("UpBlock2D", "AttnUpBlock2D", "UpBlock2D"), norm_num_groups=4,
                 attention_head_dim=None, attn_norm_num_groups=2, resnet_time_scale_shift="scale_shift",
                 mid_block_scale_factor=1.414, center_input_sample=True)
SCHED_DDIM = dict(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True, clip_sample_range=1.5,
                  set_alpha_to_one=False, steps_offset=1, timestep_spacing="leading")
UNET_DANCE = dict(block_out_channels=(32, 32, 32), extra_in_channels=16, sample_size=512, sample_rate=16000,
                  in_channels=2, out_channels=2, flip_sin_to_cos=True, use_timestep_embedding=False,
                  time_embedding_type="fourier", mid_block_type="UNetMidBlock1D",
                  down_block_types=("DownBlock1DNoSkip", "DownBlock1D", "AttnDownBlock1D"),
                  up_block_types=("AttnUpBlock1D", "UpBlock1D", "UpBlock1DNoSkip"))
CHECKPOINTS = {
    "tiny-ddpm": {"pipeline": DDPMPipeline, "unet": (UNet2DModel, 30, UNET_DDPM), "scheduler": (DDPMScheduler, SCHED_DDPM)},
    "tiny-ddim": {"pipeline": DDIMPipeline, "unet": (UNet2DModel, 31, UNET_DDIM), "scheduler": (DDIMScheduler, SCHED_DDIM)},
    "tiny-dance": {"pipeline": DanceDiffusionPipeline, "unet": (UNet1DModel, 32, UNET_DANCE), "scheduler": (IPNDMScheduler, {})},
}


def build(name):
    spec = CHECKPOINTS[name]
    unet_cls, seed, kwargs = spec["unet"]
    torch.manual_seed(seed)
    unet = unet_cls(**kwargs)
    sched_cls, sched_kwargs = spec["scheduler"]
    pipe = spec["pipeline"](unet=unet, scheduler=sched_cls(**sched_kwargs))
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    pipe.save_pretrained(d, safe_serialization=True)
    cf = os.path.join(d, "unet", "config.json")
    c = json.load(open(cf))
    c.pop("_name_or_path", None)
    json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    loaded = spec["pipeline"].from_pretrained(d)
    a, b = pipe.unet.state_dict(), loaded.unet.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    loaded.set_progress_bar_config(disable=True)
    n_params = sum(v.numel() for v in a.values())
    log(f"{name}: {unet_cls.__name__} with {n_params} values")
    return loaded


PIPES = {name: build(name) for name in CHECKPOINTS}


# ------------------------------------------------------------------------------------------------- pipeline cases
def run_case(name, checkpoint, pipeline_cls, call, gen, notes=None):
    """pipeline_cls(**PIPES[checkpoint].components)(**call, generator=...), recording every scheduler.step output,
    the model calls' timesteps, the randn draws and the output."""
    base = PIPES[checkpoint]
    pipe = pipeline_cls(**base.components)
    pipe.set_progress_bar_config(disable=True)
    steps, timesteps = [], []
    sched = pipe.scheduler
    original_step = sched.step
    unet_forward = pipe.unet.forward
    first = {}

    def step(*args, **kwargs):
        out = original_step(*args, **kwargs)
        steps.append(out.prev_sample.detach().clone())
        return out

    def forward(sample, timestep, *args, **kwargs):
        out = unet_forward(sample, timestep, *args, **kwargs)
        timesteps.append(float(timestep))
        if not first:
            first["sample"] = sample.detach().clone()
            first["out"] = out.sample.detach().clone()
        return out

    sched.step = step
    pipe.unet.forward = forward
    kwargs = dict(call)
    generator = make_generator(gen)
    try:
        with record_randn() as draws:
            out = pipe(**kwargs, generator=generator)
    finally:
        del sched.step
        del pipe.unet.forward
    files = {}
    if hasattr(out, "audios"):
        files["audio"] = STORE.save(f"{name}/audio.npy", out.audios, "audios: float32 [batch, channels, samples] in [-1, 1]")
    else:
        files["image"] = STORE.save(f"{name}/image.npy", out.images, "output_type='np': float32 NHWC in [0,1]")
    files["step_samples"] = STORE.save(f"{name}/step_samples.npy", torch.stack(steps),
                                       "scheduler.step(...).prev_sample after each denoising iteration, [iterations, ...]")
    files["unet_input_0"] = STORE.save(f"{name}/unet_input_0.npy", first["sample"], "sample given to the UNet at the first call")
    files["unet_output_0"] = STORE.save(f"{name}/unet_output_0.npy", first["out"], "UNet output at the first call")
    case = {"name": name, "kind": "pipeline", "checkpoint": checkpoint, "pipeline_class": pipeline_cls.__name__,
            "scheduler_class": type(pipe.scheduler).__name__, "call": call, "generator": gen, "files": files,
            "randn_draws_in_order": save_draws(STORE, name, draws), "timesteps_used": timesteps,
            "scheduler_timesteps_after_call": [float(t) for t in pipe.scheduler.timesteps]}
    if notes:
        case["notes"] = notes
    CASES.append(case)
    log(name, "ok", len(steps), "steps")


run_case("ddpm_seed0", "tiny-ddpm", DDPMPipeline, {"num_inference_steps": 10, "output_type": "np"},
         {"type": "single", "seed": 0})
run_case("ddpm_batch2_generators", "tiny-ddpm", DDPMPipeline, {"batch_size": 2, "num_inference_steps": 5, "output_type": "np"},
         {"type": "list", "seeds": [1, 2]}, "one generator per image: the initial noise and every step's noise per row")
run_case("ddim_eta0", "tiny-ddim", DDIMPipeline, {"num_inference_steps": 10, "output_type": "np"},
         {"type": "single", "seed": 3}, "non-square sample_size [16, 8], scale_shift resnets, center_input_sample")
run_case("ddim_eta05_generators", "tiny-ddim", DDIMPipeline,
         {"batch_size": 2, "eta": 0.5, "num_inference_steps": 8, "output_type": "np"}, {"type": "list", "seeds": [4, 5]})
run_case("ddim_clipped_eta1", "tiny-ddim", DDIMPipeline,
         {"eta": 1.0, "use_clipped_model_output": True, "num_inference_steps": 6, "output_type": "np"},
         {"type": "single", "seed": 6})
run_case("ddim_on_ddpm_components", "tiny-ddpm", DDIMPipeline, {"batch_size": 2, "num_inference_steps": 5, "output_type": "np"},
         {"type": "single", "seed": 7}, "DDIMPipeline(**ddpm_pipe.components): the DDPMScheduler runs as DDIMScheduler.from_config")
run_case("dance_default_length", "tiny-dance", DanceDiffusionPipeline, {"num_inference_steps": 10},
         {"type": "single", "seed": 0}, "audio_length_in_s None: sample_size / sample_rate = 512 samples")
run_case("dance_cut_generators", "tiny-dance", DanceDiffusionPipeline,
         {"batch_size": 2, "num_inference_steps": 6, "audio_length_in_s": 0.0213}, {"type": "list", "seeds": [8, 9]},
         "340.8 samples: the model runs 344 (a multiple of 2 ** 3), the output is cut to int(340.8) = 340")
run_case("dance_batch3_single_generator", "tiny-dance", DanceDiffusionPipeline,
         {"batch_size": 3, "num_inference_steps": 4, "audio_length_in_s": 0.016}, {"type": "single", "seed": 10})


# ------------------------------------------------------------------------------------------------- UNet2DModel variants
def small(**overrides):
    kw = dict(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(8, 16), layers_per_block=1,
              down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
              norm_num_groups=4, attention_head_dim=4)
    kw.update(overrides)
    return kw


MODEL_CASES = [
    ("unet2d_class_table", 40, small(num_class_embeds=5), {"timestep": [17.0, 250.0], "class_labels": [3, 0]}),
    ("unet2d_class_timestep", 41, small(class_embed_type="timestep"), {"timestep": [999.0, 3.0], "class_labels": [10.0, 500.0]}),
    ("unet2d_class_identity", 42, small(class_embed_type="identity"), {"timestep": [42.0, 42.0], "class_labels": "randn"}),
    ("unet2d_fourier", 43, small(time_embedding_type="fourier", down_block_types=("AttnDownBlock2D", "DownBlock2D"),
                                 up_block_types=("UpBlock2D", "AttnUpBlock2D")), {"timestep": [0.5, 7.25]}),
    ("unet2d_learned_no_mid_attention", 44, small(time_embedding_type="learned", num_train_timesteps=100, add_attention=False,
                                                  act_fn="gelu"), {"timestep": [99.0, 0.0]}),
    ("unet2d_deprecated_attention_names", 45, small(), {"timestep": [500.0, 500.0]}),
]


def model_case(name, seed, kwargs, inputs):
    torch.manual_seed(seed)
    model = UNet2DModel(**kwargs).eval()
    d = os.path.join(OUT, "models", name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    model.save_pretrained(d, safe_serialization=True)
    cf = os.path.join(d, "config.json")
    c = json.load(open(cf))
    c.pop("_name_or_path", None)
    json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    notes = None
    if name == "unet2d_deprecated_attention_names":
        # rewrite the attention keys as diffusers < 0.14 named them (query/key/value/proj_attn); from_pretrained
        # converts them back (_convert_deprecated_attention_blocks)
        from safetensors.torch import load_file, save_file
        wf = os.path.join(d, "diffusion_pytorch_model.safetensors")
        sd = load_file(wf)
        renamed = {}
        for k, v in sd.items():
            for new, old in (("to_q", "query"), ("to_k", "key"), ("to_v", "value"), ("to_out.0", "proj_attn")):
                if ".attentions." in k and f".{new}." in k:
                    k = k.replace(f".{new}.", f".{old}.")
            renamed[k] = v
        save_file(renamed, wf, metadata={"format": "pt"})
        notes = "attention weights saved under the pre-0.14 names query / key / value / proj_attn"
    model = UNet2DModel.from_pretrained(d).eval()
    g = torch.Generator().manual_seed(seed + 1000)
    sample = torch.randn(2, kwargs["in_channels"], 8, 8, generator=g)
    t = torch.tensor(inputs["timestep"], dtype=torch.float32)
    if kwargs.get("time_embedding_type") == "learned":
        t = t.long()
    labels = inputs.get("class_labels")
    if labels == "randn":
        labels = torch.randn(2, kwargs["block_out_channels"][0] * 4, generator=g)
    elif labels is not None:
        labels = torch.tensor(labels, dtype=torch.long if kwargs.get("num_class_embeds") else torch.float32)
    with torch.no_grad():
        out = model(sample, t, class_labels=labels).sample
    files = {"sample": STORE.save(f"models/{name}/sample.npy", sample), "timestep": STORE.save(f"models/{name}/timestep.npy", t),
             "output": STORE.save(f"models/{name}/output.npy", out)}
    if labels is not None:
        files["class_labels"] = STORE.save(f"models/{name}/class_labels.npy", labels)
    case = {"name": name, "kind": "unet2d", "model": f"models/{name}", "seed": seed, "kwargs": kwargs, "files": files}
    if notes:
        case["notes"] = notes
    CASES.append(case)
    log(name, "ok", tuple(out.shape))


for mc in MODEL_CASES:
    model_case(*mc)

# ------------------------------------------------------------------------------------------------- scheduler tables
TABLES = {}
for n in (1, 2, 4, 10, 25, 100):
    s = IPNDMScheduler()
    s.set_timesteps(n)
    TABLES[f"IPNDMScheduler_{n}"] = {"num_inference_steps": n, "timesteps": [float(x) for x in s.timesteps],
                                     "betas": [float(x) for x in s.betas], "alphas": [float(x) for x in s.alphas]}
for name in ("tiny-ddpm", "tiny-ddim"):
    s = PIPES[name].scheduler
    TABLES[f"{name}_alphas_cumprod"] = {"class": type(s).__name__, "alphas_cumprod": [float(x) for x in s.alphas_cumprod]}
write_json(os.path.join(OUT, "scheduler_tables.json"), TABLES, indent=None)

manifest = {"generated_by": "scripts/reference/gen_unconditional.py", "versions": refenv.versions(),
            "checkpoints": {k: {"pipeline": v["pipeline"].__name__, "unet": v["unet"][0].__name__, "unet_seed": v["unet"][1],
                                "unet_kwargs": v["unet"][2], "scheduler": v["scheduler"][0].__name__,
                                "scheduler_kwargs": v["scheduler"][1]} for k, v in CHECKPOINTS.items()},
            "cases": CASES}
write_json(os.path.join(OUT, "manifest.json"), manifest)
log("wrote", len(CASES), "cases to", OUT)

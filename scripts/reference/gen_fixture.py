"""Records the tiny-sd fixture's expected arrays (pipeline-core/src/test/resources/tiny-sd/expected/: manifest.json,
the tokenizer / text encoder / UNet / VAE arrays, the four pipeline cases and schedulers/) with the real diffusers
0.30.3, from the committed fixture pipeline. See README.md.

    /usr/bin/python3 scripts/reference/gen_fixture.py --out OUT        # writes OUT/tiny-sd/expected/

--rebuild-weights additionally rebuilds the fixture's UNet / VAE / text encoder from their seeds (0 / 1 / 2) and the
committed configs into OUT/tiny-sd-rebuilt/ (tokenizer and scheduler copied), for a byte comparison of the weights.
"""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import diffusers  # noqa: E402
from diffusers import AutoencoderKL, DDIMScheduler, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

import refrec  # noqa: E402
from refrec import Store, log  # noqa: E402

LONG = ("a majestic red fox standing in a snowy forest at dawn with soft golden light filtering through tall pine trees "
        "while gentle snowflakes fall around")
TOKENIZER_PROMPTS = [
    ("plain", "a photo of a cat"),
    ("upper", "A PHOTO OF A CAT"),
    ("mixed_case", "A Photo Of An Astronaut Riding A Horse On Mars"),
    ("punctuation", "a cat, sitting on a mat!!! (masterpiece) [best quality] {4k}; high-res... #art @home $5 50%"),
    ("whitespace", "  a   photo\tof\n\na  cat  "),
    ("accents", "caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade, Z\xfcrich, S\xe3o Paulo"),
    ("emoji", "a cute \U0001f431 cat with \U0001f389 confetti and \U0001f44d\U0001f3fd thumbs up"),
    ("cjk", "\u4e00\u53ea\u732b\u7684\u7167\u7247 \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 "
            "\uace0\uc591\uc774 \uc0ac\uc9c4"),
    ("numbers", "1girl, 2024, 3.14159, 1,000,000 cats and 42nd street 100%"),
    ("long_100_words", " ".join([LONG] * 5)),
    ("empty", ""),
    ("html", "<b>bold</b> &amp; <i>italic</i> &lt;tag&gt; <br/> a&b"),
    ("contractions", "don't won't it's I'm we're they've y'all 'quoted'"),
    ("special_token_text", "a cat <|endoftext|> a dog"),
    ("cat_photo_repeat", "a photo of a cat. A photo of a cat!"),
]
TE_PROMPTS = ["a photo of a cat", "an astronaut riding a horse, 4k!"]
PIPELINE_CASES = [
    ("ddim_3steps_cfg7.5_seed0", DDIMScheduler,
     {"prompt": "a photo of an astronaut riding a horse on mars", "num_inference_steps": 3, "guidance_scale": 7.5, "height": 64,
      "width": 64, "eta": 0.0}, 0, None),
    ("pndm_3steps_cfg7.5_seed0", PNDMScheduler,
     {"prompt": "a photo of an astronaut riding a horse on mars", "num_inference_steps": 3, "guidance_scale": 7.5, "height": 64,
      "width": 64}, 0, None),
    ("ddim_batch2_negative_seed7", DDIMScheduler,
     {"prompt": ["a red car in the rain", "a bowl of fruit, still life"], "negative_prompt": ["low quality, blurry", ""],
      "num_inference_steps": 4, "guidance_scale": 6.0, "height": 64, "width": 64, "eta": 0.0}, 7,
     "negative_prompt must be a list when prompt is a list (diffusers raises TypeError for str)"),
    ("pndm_negative_default_size_seed123", PNDMScheduler,
     {"prompt": "a cozy cabin in the woods", "negative_prompt": "ugly, deformed", "num_inference_steps": 5, "guidance_scale": 7.5},
     123, "height/width omitted -> unet.sample_size * vae_scale_factor = 64"),
]
SCHED_BASE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
              "steps_offset": 1}
SCHED_ENTRIES = [
    ("DDIMScheduler", DDIMScheduler, {"set_alpha_to_one": False, "clip_sample": False}),
    ("DDIMScheduler_leading", DDIMScheduler, {"set_alpha_to_one": False, "clip_sample": False, "timestep_spacing": "leading"}),
    ("DDIMScheduler_linspace", DDIMScheduler, {"set_alpha_to_one": False, "clip_sample": False, "timestep_spacing": "linspace"}),
    ("DDIMScheduler_trailing", DDIMScheduler, {"set_alpha_to_one": False, "clip_sample": False, "timestep_spacing": "trailing"}),
    ("DDIMScheduler_vpred", DDIMScheduler, {"set_alpha_to_one": False, "clip_sample": False, "prediction_type": "v_prediction"}),
    ("PNDMScheduler", PNDMScheduler, {"set_alpha_to_one": False, "skip_prk_steps": True}),
    ("PNDMScheduler_leading", PNDMScheduler, {"set_alpha_to_one": False, "skip_prk_steps": True, "timestep_spacing": "leading"}),
    ("PNDMScheduler_linspace", PNDMScheduler, {"set_alpha_to_one": False, "skip_prk_steps": True, "timestep_spacing": "linspace"}),
    ("PNDMScheduler_trailing", PNDMScheduler, {"set_alpha_to_one": False, "skip_prk_steps": True, "timestep_spacing": "trailing"}),
]
INITIAL_NOTE = ("initial_noise = randn_tensor(shape, generator) drawn by prepare_latents; the pipeline multiplies it by "
                "scheduler.init_noise_sigma (after set_timesteps) -> initial_latents. Passing latents=initial_noise with the same "
                "call reproduces the image for deterministic schedulers.")


def gen(seed):
    return torch.Generator("cpu").manual_seed(seed)


def component_cases(store, pipe):
    cases = []
    tok = pipe.tokenizer
    prompts = []
    for name, p in TOKENIZER_PROMPTS:
        enc = tok(p, padding="max_length", max_length=77, truncation=True)
        full = tok(p).input_ids
        prompts.append({"name": name, "prompt": p, "input_ids": enc.input_ids, "attention_mask": enc.attention_mask,
                        "untruncated_length": len(full), "tokens": tok.convert_ids_to_tokens(full)})
    ids = np.array([p["input_ids"] for p in prompts], dtype=np.int64)
    cases.append({"name": "tiny-sd_tokenizer", "kind": "tokenizer", "tokenizer_dir": "tiny-sd", "pad_token": str(tok.pad_token),
                  "pad_token_id": tok.pad_token_id,
                  "call": "tokenizer(prompt, padding='max_length', max_length=77, truncation=True).input_ids",
                  "note": "ftfy not installed -> transformers CLIPTokenizer uses BasicTokenizer(strip_accents=False, "
                          "do_split_on_punc=False) + whitespace cleanup + lowercase for normalization; 'tokens' are the "
                          "untruncated BPE tokens (with bos/eos)",
                  "ids_file": store.save("tiny-sd_tokenizer_ids.npy", ids), "prompts": prompts})
    with torch.no_grad():
        te_ids = tok(TE_PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
        hs = pipe.text_encoder(te_ids)[0]
        sample = torch.randn((2, 4, 32, 32), generator=gen(42))
        u = pipe.unet(sample, torch.tensor(981), encoder_hidden_states=hs).sample
        lat = torch.randn((1, 4, 32, 32), generator=gen(43))
        dec = pipe.vae.decode(lat / pipe.vae.config.scaling_factor).sample
        post = (dec / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1)
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
        x = torch.stack([xx, yy, xx * yy])[None]
        dist = pipe.vae.encode(x).latent_dist
    cases.append({"name": "tiny-sd_text_encoder", "kind": "text_encoder", "prompts": TE_PROMPTS,
                  "call": "text_encoder(input_ids)[0]  (last_hidden_state after final_layer_norm; no attention_mask passed, as "
                          "the SD pipeline does when config.use_attention_mask is unset)",
                  "input_ids": store.save("tiny-sd_te_input_ids.npy", te_ids),
                  "last_hidden_state": store.save("tiny-sd_te_last_hidden_state.npy", hs)})
    cases.append({"name": "tiny-sd_unet_forward", "kind": "unet",
                  "call": "unet(sample, timestep=torch.tensor(981) (0-dim int64), encoder_hidden_states).sample",
                  "sample_generation": "torch.randn((2,4,32,32), generator=torch.Generator('cpu').manual_seed(42))",
                  "timestep": 981, "sample": store.save("tiny-sd_unet_sample.npy", sample),
                  "encoder_hidden_states": "tiny-sd_te_last_hidden_state.npy", "output": store.save("tiny-sd_unet_out.npy", u)})
    cases.append({"name": "tiny-sd_vae_decode", "kind": "vae_decode", "call": "vae.decode(latents / vae.config.scaling_factor).sample",
                  "scaling_factor": pipe.vae.config.scaling_factor,
                  "latents_generation": "torch.randn((1,4,32,32), generator=torch.Generator('cpu').manual_seed(43))",
                  "latents": store.save("tiny-sd_vae_latents.npy", lat), "decoded_nchw": store.save("tiny-sd_vae_decoded.npy", dec),
                  "postprocessed_nhwc": store.save("tiny-sd_vae_decoded_post.npy", post),
                  "postprocess": "(x/2+0.5).clamp(0,1), NCHW->NHWC (what output_type='np' does)"})
    cases.append({"name": "tiny-sd_vae_encode", "kind": "vae_encode",
                  "call": "vae.encode(x).latent_dist -> mean, std (std = exp(0.5*clamp(logvar,-30,20)))",
                  "input": store.save("tiny-sd_vae_enc_input.npy", x),
                  "input_generation": "yy,xx=meshgrid(linspace(-1,1,H),linspace(-1,1,W),indexing='ij'); x=stack([xx,yy,xx*yy])[None]",
                  "mean": store.save("tiny-sd_vae_enc_mean.npy", dist.mean), "std": store.save("tiny-sd_vae_enc_std.npy", dist.std)})
    return cases


def pipeline_cases(store, pipe, fixture_label):
    cases = []
    for name, cls, call, seed, note in PIPELINE_CASES:
        p = StableDiffusionPipeline(**dict(pipe.components, scheduler=cls.from_config(pipe.scheduler.config)),
                                    requires_safety_checker=False)
        p.set_progress_bar_config(disable=True)
        rec = refrec.PipelineRecorder(p)
        with rec, refrec.record_randn() as draws:
            out = p(**call, output_type="np", generator=gen(seed), callback_on_step_end=rec.callback)
        noise = draws[0]["tensor"]
        again = p(**call, output_type="np", latents=noise.clone()).images
        c = {"name": name, "kind": "pipeline", "pipeline_class": "StableDiffusionPipeline", "pipeline_dir": fixture_label,
             "scheduler": {"class": cls.__name__, "built_as": f"{cls.__name__}.from_config(<pipeline scheduler config>, **overrides)",
                           "overrides": {}, "effective_config": dict(p.scheduler.config)},
             "call": call, "output_type": "np", "generator": {"type": "torch.Generator('cpu')", "seed": seed},
             "init_noise_sigma": float(p.scheduler.init_noise_sigma), "timesteps_used": [t for t, _ in rec.unet_calls]}
        if note:
            c["note"] = note
        c["randn_draws_in_order"] = [{"caller": d["caller"][0], "shape": d["shape"], "generator": d["generator"],
                                      **{k: v for k, v in store.save(f"{name}/randn_{i:02d}.npy", d["tensor"]).items() if k != "shape"}}
                                     for i, d in enumerate(draws)]
        c["files"] = {
            "image": store.save(f"{name}/image.npy", out.images),
            "step_latents": store.save(f"{name}/step_latents.npy", torch.stack(rec.step_latents),
                                       "latents after scheduler.step at step i (callback_on_step_end), [steps, B, C, h, w]"),
            "prompt_embeds_cfg_concat": store.save(f"{name}/prompt_embeds.npy", rec.unet_first["encoder_hidden_states"],
                                                   "prompt embeddings fed to the UNet: cat([negative, positive]) when guidance_scale>1, else positive only"),
            "initial_noise": store.save(f"{name}/initial_noise.npy", noise),
            "initial_latents": store.save(f"{name}/initial_latents.npy", rec.prepare_latents[0][2]),
        }
        c["initial_latents_note"] = INITIAL_NOTE
        c["check_latents_argument_path_max_abs_diff"] = float(np.abs(again - out.images).max())
        log(name, c["timesteps_used"], "latents= path diff", c["check_latents_argument_path_max_abs_diff"])
        cases.append(c)
    return cases


def scheduler_tables(store):
    entries = []
    for name, cls, extra in SCHED_ENTRIES:
        kwargs = dict(SCHED_BASE, **extra)
        s = cls(**kwargs)
        e = {"name": name, "class": cls.__name__, "constructor_kwargs": kwargs, "effective_config": dict(s.config),
             "set_timesteps": {}}
        for n in (1, 4, 20, 50):
            s = cls(**kwargs)
            s.set_timesteps(n)
            e["set_timesteps"][str(n)] = {"timesteps": [int(t) for t in s.timesteps], "timesteps_dtype": str(s.timesteps.dtype),
                                          "init_noise_sigma": float(s.init_noise_sigma)}
        s = cls(**kwargs)
        s.set_timesteps(4)
        takes_gen = "generator" in __import__("inspect").signature(s.step).parameters
        g = gen(3000)
        sample = torch.randn((1, 4, 8, 8), generator=gen(1000)) * s.init_noise_sigma
        sample0 = sample
        outs, scaled, prevs = [], [], []
        for k, t in enumerate(s.timesteps):
            mo = torch.randn((1, 4, 8, 8), generator=gen(2000 + k))
            x = s.scale_model_input(sample, t)
            prev = (s.step(mo, t, sample, generator=g) if takes_gen else s.step(mo, t, sample)).prev_sample
            outs.append(mo)
            scaled.append(x)
            prevs.append(prev)
            sample = prev
        store.save(f"schedulers/{name}_sample0.npy", sample0)
        store.save(f"schedulers/{name}_model_outputs.npy", torch.stack(outs))
        store.save(f"schedulers/{name}_scaled_inputs.npy", torch.stack(scaled))
        store.save(f"schedulers/{name}_prev_samples.npy", torch.stack(prevs))
        e["step_trajectory"] = {
            "num_inference_steps": 4, "timesteps": [float(t) for t in s.timesteps],
            "sample0": f"{name}_sample0.npy = torch.randn((1,4,8,8), generator=Generator('cpu').manual_seed(1000)) * init_noise_sigma",
            "model_outputs": f"{name}_model_outputs.npy [k] = torch.randn((1,4,8,8), generator=Generator('cpu').manual_seed(2000+k))",
            "scaled_inputs": f"{name}_scaled_inputs.npy [k] = scheduler.scale_model_input(sample_k, t_k)",
            "prev_samples": f"{name}_prev_samples.npy [k] = scheduler.step(model_outputs[k], t_k, sample_k, generator=g).prev_sample; "
                            "sample_{k+1} = prev_samples[k]",
            "step_generator": "one torch.Generator('cpu').manual_seed(3000) passed to every step() call" if takes_gen
            else "step() takes no generator"}
        entries.append(e)
    store.save("schedulers/alphas_cumprod_sd15.npy", DDIMScheduler(**SCHED_BASE).alphas_cumprod)
    refrec.write_json(os.path.join(store.root, "schedulers", "schedulers.json"), {"config_base": SCHED_BASE, "entries": entries})


def ftfy_variant(store, tok):
    """The tokenizer case with ftfy 6.1.1 importable: CLIPTokenizer then normalizes with whitespace_clean(ftfy.fix_text(
    text)).lower() instead of BasicTokenizer."""
    assert tok.fix_text is not None, "ftfy is not importable"
    prompts = []
    for name, p in TOKENIZER_PROMPTS:
        ids = tok(p, padding="max_length", max_length=77, truncation=True).input_ids
        prompts.append({"name": name, "prompt": p, "input_ids": ids, "tokens": tok.convert_ids_to_tokens(tok(p).input_ids)})
    ids = np.array([p["input_ids"] for p in prompts], dtype=np.int64)
    plain = np.load(os.path.join(store.root, "tiny-sd_tokenizer_ids.npy"))
    store.save("tiny-sd_tokenizer_ids_ftfy.npy", ids)
    refrec.write_json(os.path.join(store.root, "tiny-sd_tokenizer_ftfy_variant.json"), {
        "what": "same prompts/call as case 'tiny-sd_tokenizer' in manifest.json, but with ftfy 6.1.1 importable",
        "file": "tiny-sd_tokenizer_ids_ftfy.npy",
        "prompts_that_differ_from_no_ftfy": [p["name"] for p, a, b in zip(prompts, ids, plain) if not np.array_equal(a, b)],
        "prompts": prompts})
    log("ftfy variant written")


def rebuild_weights(fixture, out):
    """The fixture's models from their seeds: unet 0, vae 1, text encoder 2 (configs from the committed files)."""
    d = os.path.join(out, "tiny-sd-rebuilt")
    if os.path.isdir(d):
        shutil.rmtree(d)
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(os.path.join(fixture, "unet")))
    torch.manual_seed(1)
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(os.path.join(fixture, "vae")))
    torch.manual_seed(2)
    te = CLIPTextModel(CLIPTextConfig.from_pretrained(os.path.join(fixture, "text_encoder")))
    unet.save_pretrained(os.path.join(d, "unet"), safe_serialization=True)
    vae.save_pretrained(os.path.join(d, "vae"), safe_serialization=True)
    te.save_pretrained(os.path.join(d, "text_encoder"), safe_serialization=True)
    for sub in ("tokenizer", "scheduler"):
        shutil.copytree(os.path.join(fixture, sub), os.path.join(d, sub))
    shutil.copy(os.path.join(fixture, "model_index.json"), d)
    for rel in ("unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"):
        same = open(os.path.join(fixture, rel), "rb").read() == open(os.path.join(d, rel), "rb").read()
        log("rebuilt", rel, "byte-identical to the fixture" if same else "DIFFERS from the fixture")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root; writes OUT/tiny-sd/expected/")
    ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture")
    ap.add_argument("--rebuild-weights", action="store_true")
    ap.add_argument("--ftfy-variant", action="store_true",
                    help="only write the ftfy tokenizer variant (run with REF_WITH_FTFY=1; the main run does that itself "
                         "when $REF_SRC/ftfy holds ftfy 6.1.1)")
    args = ap.parse_args()
    fixture = os.path.join(args.resources, "tiny-sd")
    exp = os.path.join(args.out, "tiny-sd", "expected")
    os.makedirs(exp, exist_ok=True)
    store = Store(exp)
    if args.ftfy_variant:
        ftfy_variant(store, CLIPTokenizer.from_pretrained(os.path.join(fixture, "tokenizer")))
        return
    pipe = StableDiffusionPipeline.from_pretrained(fixture)
    pipe.set_progress_bar_config(disable=True)
    cases = component_cases(store, pipe)
    cases += pipeline_cases(store, pipe, "tiny-sd")
    scheduler_tables(store)
    v = refenv.versions()
    manifest = {"versions": {k: v[k] for k in ("diffusers", "transformers", "torch", "numpy", "python")},
                "generated_by": "scripts/reference/gen_fixture.py",
                "torch_randn_check": {"call": "torch.manual_seed(0); torch.randn(1,4,8,8).flatten()[:8]",
                                      "values": (torch.manual_seed(0), [float(x) for x in torch.randn(1, 4, 8, 8).flatten()[:8]])[1]},
                "pipeline_dir": "tiny-sd", "cases": cases}
    refrec.write_json(os.path.join(exp, "manifest.json"), manifest)
    if args.rebuild_weights:
        rebuild_weights(fixture, args.out)
    if os.path.isdir(os.path.join(refenv.src_root(), "ftfy", "ftfy")):
        subprocess.run([sys.executable, os.path.abspath(__file__), "--out", args.out, "--resources", args.resources,
                        "--ftfy-variant"], env=dict(os.environ, REF_WITH_FTFY="1", _REFENV_REEXEC=""), check=True)
    else:
        log("no ftfy 6.1.1 source at $REF_SRC/ftfy: the ftfy tokenizer variant was not recorded")
    log("tiny-sd/expected: %d cases -> %s (diffusers %s)" % (len(cases), exp, diffusers.__version__))


if __name__ == "__main__":
    main()

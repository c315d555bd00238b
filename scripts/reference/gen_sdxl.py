"""Records pipeline-core/src/test/resources/reference-sdxl/ (checkpoints tiny-sdxl and tiny-sdxl-te2only, the 12
text-to-image cases and manifest.json) with the real diffusers 0.30.3 (StableDiffusionXLPipeline). See README.md.
gen_sdxl_image.py then adds the img2img / refiner / inpainting checkpoints and cases to the same folder.

    /usr/bin/python3 scripts/reference/gen_sdxl.py --out OUT        # writes OUT/reference-sdxl/
"""
from sdxl_common import *  # noqa: F401,F403  (refenv.setup(), OUT, FIXTURE, CASES, run_pipeline_case, ...)
from diffusers import StableDiffusionXLPipeline
from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTextConfig, CLIPTokenizer

DIR = os.path.join(OUT, "tiny-sdxl")
FIX_TE = os.path.join(FIXTURE, "text_encoder")
SPEC = {
    "unet": {"seed": 20, "kwargs": dict(block_out_channels=(16, 32), layers_per_block=2, sample_size=32, in_channels=4,
             out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
             attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
             transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80, cross_attention_dim=64, norm_num_groups=1)},
    "vae": {"seed": 21, "kwargs": dict(block_out_channels=[16, 32], norm_num_groups=8, in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 2,
            up_block_types=["UpDecoderBlock2D"] * 2, latent_channels=4, sample_size=128, scaling_factor=0.13025, force_upcast=True)},
    "text_encoder": {"from": "tiny-sd/text_encoder (the fixture's CLIPTextModel, weights and config unchanged; model.safetensors byte-identical)"},
    "text_encoder_2": {"seed": 22, "kwargs": dict(vocab_size=49408, hidden_size=32, intermediate_size=37, num_hidden_layers=4,
                       num_attention_heads=4, max_position_embeddings=77, hidden_act="gelu", layer_norm_eps=1e-5, projection_dim=32,
                       bos_token_id=0, eos_token_id=2, pad_token_id=1),
                       "note": "CLIPTextModelWithProjection; token_embedding copied from the fixture text encoder (keeps the repository small: git delta-compresses it), every other weight random from the seed; bos/eos/pad ids 0/2/1 as in the real SDXL text_encoder_2 config (legacy argmax pooling)"},
    "tokenizer": {"from": "tiny-sd/tokenizer"},
    "tokenizer_2": {"from": "tiny-sd/tokenizer", "overrides": {"pad_token": "!"}},
    "scheduler": {"class": "EulerDiscreteScheduler", "config": {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                  "beta_schedule": "scaled_linear", "trained_betas": None, "steps_offset": 1, "prediction_type": "epsilon",
                  "interpolation_type": "linear", "use_karras_sigmas": False, "timestep_spacing": "leading", "sample_max_value": 1.0,
                  "clip_sample": False, "set_alpha_to_one": False, "skip_prk_steps": True}},
}


def build():
    torch.manual_seed(SPEC["unet"]["seed"]); unet = UNet2DConditionModel(**SPEC["unet"]["kwargs"])
    torch.manual_seed(SPEC["vae"]["seed"]); vae = AutoencoderKL(**SPEC["vae"]["kwargs"])
    te = CLIPTextModel.from_pretrained(FIX_TE)
    torch.manual_seed(SPEC["text_encoder_2"]["seed"])
    te2 = CLIPTextModelWithProjection(CLIPTextConfig(**SPEC["text_encoder_2"]["kwargs"]))
    with torch.no_grad():
        te2.text_model.embeddings.token_embedding.weight.copy_(te.text_model.embeddings.token_embedding.weight)
    tok = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"))
    tok2 = CLIPTokenizer.from_pretrained(os.path.join(FIXTURE, "tokenizer"), pad_token="!")
    sch = EulerDiscreteScheduler.from_config(SPEC["scheduler"]["config"])
    p = StableDiffusionXLPipeline(vae=vae, text_encoder=te, text_encoder_2=te2, tokenizer=tok, tokenizer_2=tok2, unet=unet,
                                  scheduler=sch, force_zeros_for_empty_prompt=True)
    if os.path.isdir(DIR):
        shutil.rmtree(DIR)
    p.save_pretrained(DIR, safe_serialization=True)
    for m in ("unet", "vae", "text_encoder", "text_encoder_2"):
        cf = os.path.join(DIR, m, "config.json")
        c = json.load(open(cf)); c.pop("_name_or_path", None); json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    q = StableDiffusionXLPipeline.from_pretrained(DIR)
    for m in ("unet", "vae", "text_encoder", "text_encoder_2"):
        a, bb = getattr(p, m).state_dict(), getattr(q, m).state_dict()
        assert a.keys() == bb.keys() and all(torch.equal(a[k], bb[k]) for k in a), m
    q.set_progress_bar_config(disable=True)
    return q


base = build()
print("watermark:", getattr(base, "watermark", None))
BASE_SCHED_CFG = dict(base.scheduler.config)
INFO = {"checkpoint": "reference-sdxl/tiny-sdxl", "pipeline_class": "StableDiffusionXLPipeline"}


def case(name, sched_cls, overrides, call, gen, notes=None):
    comps = dict(base.components)
    comps["scheduler"] = sched_cls.from_config(BASE_SCHED_CFG, **overrides)
    p = StableDiffusionXLPipeline(**comps)
    p.set_progress_bar_config(disable=True)
    built = f"{sched_cls.__name__}.from_config(<pipeline scheduler config>" + (", **overrides)" if overrides else ")")
    c = run_pipeline_case(name, "sdxl", p, dict(INFO), describe_sched(p, sched_cls, overrides, built), call, gen, notes, unet_io=True)
    print(name, "ERROR" if c.get("error") else "ok", c.get("timesteps_used"), flush=True)


P = "a photo of an astronaut riding a horse on mars"
NEG = "low quality, blurry"
P2 = ["a red car in the rain", "a bowl of fruit, still life"]
NEG2 = ["low quality, blurry", "ugly"]
G = lambda s: {"type": "single", "seed": s}
b = {"prompt": P, "num_inference_steps": 4, "output_type": "np"}

case("sdxl_euler_default", EulerDiscreteScheduler, {}, dict(b), G(0),
     notes="defaults: guidance_scale 5.0, size unet.sample_size*vae_scale_factor = 64x64, negative_prompt None + force_zeros_for_empty_prompt -> zero negative embeds and pooled embeds")
case("sdxl_ddim_negative_prompt2", DDIMScheduler, {}, dict(b, prompt_2="a watercolor painting of a castle", negative_prompt=NEG,
     negative_prompt_2="dark, grainy", guidance_scale=7.0, height=64, width=64), G(1))
case("sdxl_euler_negative_empty_string", EulerDiscreteScheduler, {}, dict(b, negative_prompt="", height=64, width=64), G(2),
     notes="negative_prompt '' is not None: it is encoded (not zeroed) although force_zeros_for_empty_prompt is true")
case("sdxl_ddim_genlist_nipp2", DDIMScheduler, {}, dict(b, prompt=P2, negative_prompt=NEG2, num_images_per_prompt=2, height=64, width=64),
     {"type": "list", "seeds": [5, 6, 7, 8]}, notes="batch order prompt-major; gens[i] seeds row i")
case("sdxl_euler_clip_skip1", EulerDiscreteScheduler, {}, dict(b, negative_prompt=NEG, clip_skip=1, height=64, width=64), G(3),
     notes="clip_skip=1: positive embeds = hidden_states[-3] of both encoders (no final layer norm); negative embeds always hidden_states[-2]")
case("sdxl_euler_nonsquare_micro", EulerDiscreteScheduler, {}, dict(b, negative_prompt=NEG, height=48, width=80, original_size=[128, 96],
     crops_coords_top_left=[8, 16], target_size=[64, 96], negative_original_size=[32, 32], negative_crops_coords_top_left=[0, 4],
     negative_target_size=[48, 80], num_images_per_prompt=2), G(4),
     notes="add_time_ids = cat([negative, positive]).repeat(batch*n, 1): rows alternate negative/positive (diffusers 0.30.3 behaviour)")
case("sdxl_euler_no_cfg", EulerDiscreteScheduler, {}, dict(b, negative_prompt=NEG, guidance_scale=1.0, height=64, width=64), G(9),
     notes="guidance_scale 1.0: no CFG, the negative prompt is not encoded")
case("sdxl_euler_ancestral_output_latent", EulerAncestralDiscreteScheduler, {}, dict(b, negative_prompt=NEG, height=64, width=64, output_type="latent"), G(10))
case("sdxl_ddim_rescale_denoising_end", DDIMScheduler, {}, dict(b, negative_prompt=NEG, num_inference_steps=5, guidance_rescale=0.7,
     denoising_end=0.6, height=64, width=64), G(11), notes="denoising_end 0.6: timesteps >= round(1000 - 600) kept")

# ---------------------------------------------------------------- refiner-style: no text_encoder / tokenizer
DIR2 = os.path.join(OUT, "tiny-sdxl-te2only")
SPEC2 = {"unet": {"seed": 23, "kwargs": dict(SPEC["unet"]["kwargs"], block_out_channels=(8, 16), cross_attention_dim=32)},
         "other components": "vae, text_encoder_2, tokenizer_2, scheduler: those of tiny-sdxl (identical files); text_encoder and tokenizer None"}


def build2():
    torch.manual_seed(SPEC2["unet"]["seed"]); unet = UNet2DConditionModel(**SPEC2["unet"]["kwargs"])
    p = StableDiffusionXLPipeline(vae=base.vae, text_encoder=None, text_encoder_2=base.text_encoder_2, tokenizer=None,
                                  tokenizer_2=base.tokenizer_2, unet=unet, scheduler=EulerDiscreteScheduler.from_config(BASE_SCHED_CFG))
    if os.path.isdir(DIR2):
        shutil.rmtree(DIR2)
    p.save_pretrained(DIR2, safe_serialization=True)
    for m in ("unet", "vae", "text_encoder_2"):
        cf = os.path.join(DIR2, m, "config.json")
        c = json.load(open(cf)); c.pop("_name_or_path", None); json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    q = StableDiffusionXLPipeline.from_pretrained(DIR2)
    assert q.text_encoder is None and q.tokenizer is None
    q.set_progress_bar_config(disable=True)
    return q


te2only = build2()
p2 = te2only
p2i = {"checkpoint": "reference-sdxl/tiny-sdxl-te2only", "pipeline_class": "StableDiffusionXLPipeline"}
c = run_pipeline_case("sdxl_te2only_prompt2_ignored", "sdxl", p2, p2i, describe_sched(p2, EulerDiscreteScheduler, {}, "the checkpoint's EulerDiscreteScheduler"),
                      dict(b, prompt_2="a watercolor painting of a castle", negative_prompt=NEG, height=64, width=64), G(12),
                      notes="text_encoder None: zip([prompt, prompt_2], [tokenizer_2], [text_encoder_2]) encodes prompt (prompt_2 is unused); prompt embeds are text_encoder_2's alone", unet_io=True)
print(c["name"], "ERROR" if c.get("error") else "ok", flush=True)
SPEC["tiny-sdxl-te2only"] = SPEC2

# custom schedules through retrieve_timesteps (unet_io off)
b2 = {"prompt": P, "negative_prompt": NEG, "height": 64, "width": 64, "output_type": "np"}
for name, sched_cls, extra, seed, notes in (
        ("sdxl_euler_sigmas", EulerDiscreteScheduler, {"sigmas": [14.615, 3.861, 1.396, 0.399, 0.029]}, 30,
         "custom sigmas through retrieve_timesteps (the last one is the final sigma)"),
        ("sdxl_dpmpp_timesteps_denoising_end", DPMSolverMultistepScheduler,
         {"timesteps": [999, 800, 600, 400, 200], "denoising_end": 0.5}, 31,
         "custom timesteps, then denoising_end 0.5 keeps timesteps >= 500")):
    comps = dict(base.components, scheduler=sched_cls.from_config(BASE_SCHED_CFG))
    p = StableDiffusionXLPipeline(**comps)
    p.set_progress_bar_config(disable=True)
    c = run_pipeline_case(name, "sdxl", p, dict(INFO),
                          describe_sched(p, sched_cls, {}, f"{sched_cls.__name__}.from_config(<pipeline scheduler config>)"),
                          dict(b2, **extra), G(seed), notes, unet_io=False)
    print(name, "ERROR" if c.get("error") else "ok", c.get("timesteps_used"), flush=True)

manifest = {
    "about": "SDXL reference cases generated by the real diffusers 0.30.3 (see README.md); same case format as ../reference/manifest.json",
    "versions": {"diffusers": diffusers.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
                 "invisible_watermark_installed": False, "safetensors": "pure-Python format-compatible stand-in"},
    "checkpoints": {"reference-sdxl/tiny-sdxl": {"spec": SPEC, "saved_with": "pipeline.save_pretrained(dir, safe_serialization=True); _name_or_path removed from model configs"}},
    "cases": CASES,
}
write_json(os.path.join(OUT, "manifest.json"), manifest)
print("done", len(CASES))

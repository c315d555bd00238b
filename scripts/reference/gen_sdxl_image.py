"""Adds the SDXL image-to-image, refiner and inpainting checkpoints (tiny-sdxl-refiner, tiny-sdxl-inpaint) and cases to
the reference-sdxl/ folder that gen_sdxl.py wrote (real diffusers 0.30.3), without touching its other cases or
checkpoints. See README.md.

    /usr/bin/python3 scripts/reference/gen_sdxl_image.py --out OUT  # after gen_sdxl.py --out OUT
"""
from sdxl_common import *  # noqa: F401,F403  (refenv.setup(), OUT, FIXTURE, CASES, run_pipeline_case, ...)
from diffusers import StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline, StableDiffusionXLInpaintPipeline

base = StableDiffusionXLPipeline.from_pretrained(os.path.join(OUT, "tiny-sdxl"))
base.set_progress_bar_config(disable=True)
CFG = dict(base.scheduler.config)
UNET_SMALL = dict(block_out_channels=(8, 16), layers_per_block=2, sample_size=32, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                  up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4), use_linear_projection=True,
                  addition_embed_type="text_time", addition_time_embed_dim=8, transformer_layers_per_block=(1, 2), out_channels=4,
                  norm_num_groups=1)
SPEC_R = {"unet": {"seed": 24, "kwargs": dict(UNET_SMALL, in_channels=4, projection_class_embeddings_input_dim=72, cross_attention_dim=32)},
          "note": "refiner layout: text_encoder/tokenizer None; projection_class_embeddings_input_dim = addition_time_embed_dim * 5 "
                  "(original_size, crops_coords_top_left, aesthetic_score) + text_encoder_2 projection_dim = 8*5 + 32; "
                  "vae, text_encoder_2, tokenizer_2, scheduler: those of tiny-sdxl (identical files); model_index "
                  "requires_aesthetics_score true, force_zeros_for_empty_prompt false (as stabilityai/stable-diffusion-xl-refiner-1.0)"}
SPEC_I = {"unet": {"seed": 25, "kwargs": dict(UNET_SMALL, in_channels=9, projection_class_embeddings_input_dim=80, cross_attention_dim=64)},
          "note": "9-channel inpainting UNet (latents + mask + masked-image latents, as diffusers/stable-diffusion-xl-1.0-inpainting-0.1); "
                  "vae, text_encoder(_2), tokenizer(_2), scheduler: those of tiny-sdxl (identical files); model_index "
                  "requires_aesthetics_score false, force_zeros_for_empty_prompt true"}


def build(name, spec, cls, models, **comps):
    """A checkpoint with tiny-sdxl's other components and a seeded UNet, saved like gen_sdxl.py does, then reloaded."""
    torch.manual_seed(spec["unet"]["seed"]); unet = UNet2DConditionModel(**spec["unet"]["kwargs"])
    d = os.path.join(OUT, name)
    p = cls(**dict(base.components, unet=unet, scheduler=EulerDiscreteScheduler.from_config(CFG), **comps))
    if os.path.isdir(d):
        shutil.rmtree(d)
    p.save_pretrained(d, safe_serialization=True)
    for m in models:
        cf = os.path.join(d, m, "config.json")
        c = json.load(open(cf)); c.pop("_name_or_path", None); json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    q = cls.from_pretrained(d)
    x, y = unet.state_dict(), q.unet.state_dict()
    assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
    q.set_progress_bar_config(disable=True)
    return q


refiner = build("tiny-sdxl-refiner", SPEC_R, StableDiffusionXLImg2ImgPipeline, ("unet", "vae", "text_encoder_2"), text_encoder=None,
                tokenizer=None, requires_aesthetics_score=True, force_zeros_for_empty_prompt=False)
assert refiner.text_encoder is None and refiner.config.requires_aesthetics_score and not refiner.config.force_zeros_for_empty_prompt
inpaint9 = build("tiny-sdxl-inpaint", SPEC_I, StableDiffusionXLInpaintPipeline, ("unet", "vae", "text_encoder", "text_encoder_2"))
BASE = {"checkpoint": "reference-sdxl/tiny-sdxl"}
REF = {"checkpoint": "reference-sdxl/tiny-sdxl-refiner"}
IN9 = {"checkpoint": "reference-sdxl/tiny-sdxl-inpaint"}
I2I, INP = StableDiffusionXLImg2ImgPipeline, StableDiffusionXLInpaintPipeline


def case(name, pipe_cls, src, info, sched_cls, call, gen, notes=None):
    """pipe_cls(**src.components, <src's config>) with sched_cls from the base scheduler config."""
    comps = dict(src.components, scheduler=sched_cls.from_config(CFG))
    kw = {}
    if pipe_cls is not StableDiffusionXLPipeline:
        kw = dict(requires_aesthetics_score=src.config.get("requires_aesthetics_score", False),
                  force_zeros_for_empty_prompt=src.config.force_zeros_for_empty_prompt)
    p = pipe_cls(**comps, **kw)
    p.set_progress_bar_config(disable=True)
    si = describe_sched(p, sched_cls, {}, f"{sched_cls.__name__}.from_config(<pipeline scheduler config>)")
    group = "sdxl-inpaint" if pipe_cls is INP else "sdxl-img2img"
    c = run_pipeline_case(name, group, p, dict(info, pipeline_class=pipe_cls.__name__), si, call, gen, notes, unet_io=True)
    print(name, "ERROR " + str(c.get("error")) if c.get("error") else "ok", c.get("timesteps_used"), flush=True)


P = "a photo of an astronaut riding a horse on mars"
NEG = "low quality, blurry"
IMG = {"$png": "../reference/inputs/image_64x64.png"}
IMG_NS = {"$png": "../reference/inputs/image_81x73.png"}
MASK = {"$png": "../reference/inputs/mask_64x64.png"}
G = lambda s: {"type": "single", "seed": s}
b = {"prompt": P, "image": IMG, "num_inference_steps": 10, "output_type": "np"}

case("sdxl_img2img_euler_default", I2I, base, BASE, EulerDiscreteScheduler, dict(b), G(40),
     notes="defaults: strength 0.3 (int(10*0.3) = 3 steps), guidance 5.0, negative None + force_zeros -> zero negatives; "
           "tiny-sdxl's components in StableDiffusionXLImg2ImgPipeline (requires_aesthetics_score False: "
           "time ids original_size + crops + target_size, sizes from the image)")
case("sdxl_img2img_euler_strength06", I2I, base, BASE, EulerDiscreteScheduler, dict(b, strength=0.6, num_inference_steps=5,
     negative_prompt=NEG), G(41), notes="no set_begin_index in SDXL img2img's get_timesteps: add_noise and the first step find the timestep's index")
case("sdxl_img2img_ddim_strength06", I2I, base, BASE, DDIMScheduler, dict(b, strength=0.6, num_inference_steps=5, negative_prompt=NEG,
     guidance_scale=7.0), G(42))
case("sdxl_img2img_ddim_genlist_prompts2", I2I, base, BASE, DDIMScheduler, dict(b, prompt=["a red car in the rain", "a bowl of fruit, still life"],
     negative_prompt=["low quality, blurry", "ugly"], num_images_per_prompt=2, strength=0.5, num_inference_steps=4),
     {"type": "list", "seeds": [43, 44, 45, 46]},
     notes="image repeated to 4 and encoded per generator; add_time_ids = cat([neg.repeat(4,1), pos.repeat(4,1)]) (blocks, unlike text-to-image)")
case("sdxl_img2img_euler_nonsquare_micro", I2I, base, BASE, EulerDiscreteScheduler, dict(b, image=IMG_NS, strength=0.5, negative_prompt=NEG,
     crops_coords_top_left=[8, 16], negative_original_size=[32, 32], negative_crops_coords_top_left=[0, 4]), G(47),
     notes="81x73 image -> 80x72 (multiples of 8); original/target size default to the latents' size; without aesthetics the "
           "negative time ids take negative_original_size + crops_coords_top_left (not the negative crops) + negative_target_size (= target_size)")
case("sdxl_img2img_dpmpp_timesteps", I2I, base, BASE, DPMSolverMultistepScheduler, dict(b, timesteps=[999, 800, 600, 400, 200],
     strength=0.6, negative_prompt=NEG), G(48), notes="custom timesteps through retrieve_timesteps, then strength 0.6 keeps the last int(5*0.6) = 3")
case("sdxl_img2img_euler_output_latent", I2I, base, BASE, EulerDiscreteScheduler, dict(b, strength=0.5, negative_prompt=NEG,
     output_type="latent"), G(49))
case("sdxl_refiner_euler_default", I2I, refiner, REF, EulerDiscreteScheduler, dict(b), G(50),
     notes="refiner defaults: aesthetic_score 6.0 / negative 2.5, force_zeros_for_empty_prompt False -> negative '' encoded by text_encoder_2")
case("sdxl_refiner_ddim_aesthetic", I2I, refiner, REF, DDIMScheduler, dict(b, strength=0.5, negative_prompt=NEG, aesthetic_score=7.5,
     negative_aesthetic_score=1.5, original_size=[128, 96], crops_coords_top_left=[8, 16], negative_original_size=[32, 32],
     negative_crops_coords_top_left=[0, 4], guidance_scale=6.0, num_images_per_prompt=2), G(51),
     notes="aesthetic time ids: original_size + crops + (aesthetic_score,), negative: negative sizes + (negative_aesthetic_score,)")

# base -> refiner ensemble (denoising_end / denoising_start 0.8)
ens = {"prompt": P, "negative_prompt": NEG, "num_inference_steps": 10}
case("sdxl_ensemble_base_latent", StableDiffusionXLPipeline, base, BASE,
     EulerDiscreteScheduler, dict(ens, height=64, width=64, denoising_end=0.8, output_type="latent"), G(52),
     notes="ensemble stage 1: the base runs the timesteps >= 200 and returns latents")
case("sdxl_ensemble_refiner", I2I, refiner, REF, EulerDiscreteScheduler,
     dict(ens, image={"$npy": "sdxl_ensemble_base_latent/output_latents.npy"}, denoising_start=0.8, output_type="np"), G(53),
     notes="ensemble stage 2: image = stage 1's output latents (4 channels: used as they are, no VAE encode); denoising_start 0.8 "
           "runs the timesteps < 200 without adding noise (no random draw)")


# ---------------------------------------------------------------- inpainting
b = dict(b, mask_image=MASK)
case("sdxl_inpaint_euler_default", INP, base, BASE, EulerDiscreteScheduler, dict(b), G(60),
     notes="tiny-sdxl (4-channel UNet) in StableDiffusionXLInpaintPipeline: defaults strength 0.9999 (not 1: image + noise, "
           "int(10*0.9999) = 9 steps), guidance 7.5, size unet.sample_size*vae_scale_factor, the known region blended back each step")
case("sdxl_inpaint_euler_strength1", INP, base, BASE, EulerDiscreteScheduler, dict(b, strength=1.0, negative_prompt=NEG), G(61),
     notes="strength 1.0: pure noise times init_noise_sigma (the image latents are still encoded for the blend)")
case("sdxl_inpaint_ddim_genlist_nipp2", INP, base, BASE, DDIMScheduler, dict(b, strength=0.6, negative_prompt=NEG, num_images_per_prompt=2,
     num_inference_steps=5), {"type": "list", "seeds": [62, 63]},
     notes="a list of 2 generators: the single image is encoded with generator 0 only, then repeated (SDXL inpaint's _encode_vae_image)")
case("sdxl_inpaint9_euler_default", INP, inpaint9, IN9, EulerDiscreteScheduler, dict(b, negative_prompt=NEG), G(64),
     notes="9-channel UNet: cat([latents, mask, masked_image_latents]) as the UNet input")
case("sdxl_inpaint9_dpmpp_nonsquare_latent", INP, inpaint9, IN9, DPMSolverMultistepScheduler, dict(b, height=48, width=80, strength=0.7,
     crops_coords_top_left=[8, 16], output_type="latent"), G(65), notes="image and mask resized to 80x48; output latents")
case("sdxl_inpaint_refiner_aesthetic", INP, refiner, REF, EulerDiscreteScheduler, dict(b, strength=0.5, aesthetic_score=7.0,
     negative_aesthetic_score=2.0), G(66), notes="the refiner's components in the inpainting pipeline with requires_aesthetics_score")


mf = os.path.join(OUT, "manifest.json")
m = json.load(open(mf))
names = {c["name"] for c in CASES}
m["cases"] = [c for c in m["cases"] if c["name"] not in names] + jsonable(CASES)
for n, spec, cls in (("tiny-sdxl-refiner", SPEC_R, "StableDiffusionXLImg2ImgPipeline"), ("tiny-sdxl-inpaint", SPEC_I, "StableDiffusionXLInpaintPipeline")):
    m["checkpoints"]["reference-sdxl/" + n] = {"spec": jsonable(spec), "saved_with": cls + ".save_pretrained(dir, safe_serialization=True); _name_or_path removed from model configs"}
write_json(mf, m)
print("cases", len(m["cases"]))

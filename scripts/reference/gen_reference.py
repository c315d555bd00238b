"""Records pipeline-core/src/test/resources/reference/ (groups 1..10: manifest.json, the inputs, the checkpoints
tiny-sd-inpaint / tiny-sd2 / tiny-lcm and every case folder) with the real diffusers 0.30.3. See README.md.

    /usr/bin/python3 scripts/reference/gen_reference.py --out OUT      # writes OUT/reference/
"""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from diffusers import (  # noqa: E402
    AutoencoderKL, DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler, HeunDiscreteScheduler, LatentConsistencyModelPipeline, LCMScheduler, LMSDiscreteScheduler,
    PNDMScheduler, StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline, StableDiffusionPipeline,
    UNet2DConditionModel, UniPCMultistepScheduler)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer  # noqa: E402

import refrec  # noqa: E402
from refrec import N, N2, P, P2, Store, describe_sched, jsonable, log, run_pipeline_case  # noqa: E402

TOKENIZER_EDGE_PROMPTS = [
    ('plain', 'a photo of a cat'),
    ('accents_precomposed', 'caf\xe9 na\xefve r\xe9sum\xe9 \xfcber se\xf1or'),
    ('accents_combining', 'cafe\u0301 nai\u0308ve n\u0303 a\u030a'),
    ('emoji', 'a cat \U0001f431 with a hat \U0001f3a9\U0001f44d\U0001f3fd and \u2764\ufe0f'),
    ('emoji_zwj_family', 'family \U0001f468\u200d\U0001f469\u200d\U0001f467 flag \U0001f1ef\U0001f1f5'),
    ('zero_width', 'zero\u200bwidth\u200cnon\u200djoiner\ufeffbom'),
    ('nbsp', 'non\xa0breaking\xa0space\u2009thin\u3000ideographic'),
    ('korean', '\ud55c\uad6d\uc5b4 \ud504\ub86c\ud504\ud2b8 \uace0\uc591\uc774'),
    ('japanese_kana', '\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \uff8a\uff9d\uff76\uff78'),
    ('cjk', '\u4e00\u53ea\u732b\u5728\u6708\u7403\u4e0a'),
    ('japanese_mixed', '\u732b\u304c\u6708\u3067\u5bdd\u3066\u3044\u308b'),
    ('arabic', '\u0642\u0637\u0629 \u0639\u0644\u0649 \u0627\u0644\u0642\u0645\u0631'),
    ('rtl_marks', 'a\u200fb\u200e c \u202bembedded\u202c \u2067iso\u2069'),
    ('control_chars', 'a\x00b\x07c\x1bd\x7fe\x85f'),
    ('tabs_newlines', 'a\tphoto\nof\r\na  cat\x0b\x0c  end'),
    ('very_long_200_words', ' '.join('cat' if i % 3 == 0 else 'word%d' % (i % 10) for i in range(200))),
    ('literal_special_tokens', '<|startoftext|>a cat<|endoftext|> dog <|endoftext|>'),
    ('apostrophes', "it\u2019s the cat's hat, don't \u2018quote\u2019 \u201cdouble\u201d I'M we'LL"),
    ('numbers', '1 12 123 1234 3.14159 1,000,000 2024-08-16 4k 8K 1080p 0.5x'),
    ('exclamations', '!!!'),
    ('exclamation_words', 'wow! amazing!! a cat ! ! !'),
    ('empty', ''),
    ('only_spaces', '     '),
    ('punctuation_run', '...???---___***,,,;;;'),
    ('latin_special', '\u03a9mega stra\xdfe \u01c5 \ufb01ne \ufb00 \xbd \u2167'),
    ('fullwidth', '\uff21\uff22\uff23\u3000\uff46\uff55\uff4c\uff4c\uff01'),
    ('astral_math', '\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 \U0001d7d9\U0001d7da\U0001d7db'),
    ('case_unicode', '\xc9COLE \u0130stanbul \u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3 \u1e9e'),
    ('html_like', '<b>bold</b> &amp; <i>it</i> <|weird|>'),
    ('weights_syntax', '(masterpiece:1.2), [blurry], {cat|dog}, a_b-c/d\\e'),
]
SD2_TOKENIZER_PROMPTS = [
    ('plain', 'a photo of a cat'),
    ('bang_end', 'hello world!'),
    ('bangs', 'a cat!! ! wow!!!'),
    ('only_bang', '!'),
    ('astronaut', 'a photo of an astronaut riding a horse on mars'),
    ('empty', ''),
]

FIXTURE_NOTE = "the fixture (test resources tiny-sd/)"
GEN_NOTE_LIST = "generator list: image i drawn as randn((1,4,32,32), generator=gens[i])"
INPAINT4_NOTE = ("4-channel UNet: after each step latents = (1-mask)*add_noise(image_latents, noise, t_next) + mask*latents "
                 "(no add_noise after the last step); step_latents are taken after this blend")
TOKENIZER_CALL = "tokenizer(prompt, padding='max_length', max_length=tokenizer.model_max_length, truncation=True)"
TOKENIZER_NOTES = ("slow transformers CLIPTokenizer without ftfy: text -> BasicTokenizer(do_lower_case... strip_accents=False, "
                   "do_split_on_punc=False).tokenize (drops control chars / U+FFFD, maps whitespace incl. NBSP to spaces, splits "
                   "CJK ideographs) -> whitespace_clean -> lower -> CLIP regex -> byte-level BPE; untruncated_ids/tokens = "
                   "tokenizer(prompt).input_ids with bos/eos and no truncation")
G = lambda s: {"type": "single", "seed": s}  # noqa: E731
GL = lambda *s: {"type": "list", "seeds": list(s)}  # noqa: E731

SD2_SPEC = {
    "unet": {"seed": 10, "kwargs": dict(sample_size=16, in_channels=4, out_channels=4, layers_per_block=2,
                                         block_out_channels=(32, 64), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                         up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
                                         attention_head_dim=[2, 4], use_linear_projection=True, upcast_attention=True,
                                         norm_num_groups=32)},
    "vae": {"seed": 11, "kwargs": dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 3,
                                        up_block_types=["UpDecoderBlock2D"] * 3, block_out_channels=[32, 64, 64],
                                        layers_per_block=2, latent_channels=4, norm_num_groups=32, sample_size=64,
                                        scaling_factor=0.13025)},
    "text_encoder": {"weights": "the fixture text encoder's state dict (load_state_dict); model.safetensors is byte-identical "
                                "to tiny-sd/text_encoder/model.safetensors",
                     "kwargs": dict(vocab_size=49408, hidden_size=32, intermediate_size=37, num_hidden_layers=5,
                                    num_attention_heads=4, max_position_embeddings=77, hidden_act="gelu", layer_norm_eps=1e-5,
                                    projection_dim=32, bos_token_id=0, eos_token_id=2, pad_token_id=1)},
    "tokenizer": {"from": "tiny-sd/tokenizer", "overrides": {"pad_token": "!"}},
    "scheduler": {"class": "DDIMScheduler",
                  "config": {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                             "beta_schedule": "scaled_linear", "trained_betas": None, "clip_sample": False,
                             "set_alpha_to_one": False, "steps_offset": 1, "prediction_type": "v_prediction",
                             "skip_prk_steps": True}},
}

CHECKPOINTS = {
    "tiny-sd": "the fixture (see tiny-sd/README.md); pipeline scheduler PNDMScheduler (SD-1.5 config)",
    "reference/tiny-sd-inpaint": {
        "pipeline_class": "StableDiffusionInpaintPipeline",
        "unet": "UNet2DConditionModel.from_config(tiny-sd unet config, in_channels=9) after torch.manual_seed(3) (same config "
                "as the fixture UNet otherwise)",
        "vae/text_encoder/tokenizer/scheduler": "the fixture's (identical weights; safetensors files byte-identical to the fixture's)",
        "saved_with": "pipeline.save_pretrained(dir, safe_serialization=True)"},
    "reference/tiny-sd2": {
        "pipeline_class": "StableDiffusionPipeline",
        "spec": SD2_SPEC,
        "notes": ["seeds: torch.manual_seed(seed) immediately before constructing each model",
                  "UNet attention_head_dim [2,4] = NUMBER of heads per down block (diffusers naming); up blocks use the reversed "
                  "list, the mid block the last entry",
                  "vae_scale_factor = 2^(3-1) = 4; default size = 16*4 = 64",
                  "text encoder config bos/eos/pad ids 0/2/1 like the real SD-2 text encoder config (eos_token_id==2 selects "
                  "transformers' legacy pooled-output path)",
                  "tokenizer = fixture tokenizer re-saved with pad_token='!' (id 0)"],
        "saved_with": "pipeline.save_pretrained(dir, safe_serialization=True)"},
    "reference/tiny-lcm": {
        "pipeline_class": "LatentConsistencyModelPipeline",
        "unet": "UNet2DConditionModel.from_config(tiny-sd unet config, time_cond_proj_dim=32) after torch.manual_seed(12)",
        "scheduler": "LCMScheduler() (its __init__ defaults: scaled_linear 0.00085..0.012, original_inference_steps 50, "
                     "set_alpha_to_one true, timestep_scaling 10)",
        "vae/text_encoder/tokenizer": "the fixture's (identical weights; safetensors files byte-identical to the fixture's)",
        "saved_with": "pipeline.save_pretrained(dir, safe_serialization=True); _name_or_path removed from the model configs"},
}

CONVENTIONS = {
    "call": "keyword arguments of pipeline.__call__ exactly as passed, plus generator=<generator> and callback_on_step_end=<recorder>; "
            "a value {\"$png\": path} is PIL.Image.open(path) (no conversion), {\"$npy\": path} is torch.from_numpy(np.load(path))",
    "generator": "{type: single, seed: s} -> torch.Generator('cpu').manual_seed(s); {type: list, seeds: [...]} -> one such generator "
                 "per seed, passed as a list",
    "randn_draws_in_order": "every diffusers.utils.torch_utils.randn_tensor call during the case, in order; caller = innermost "
                            "diffusers frames (file:function); generator = how randn_tensor saw it ('single', or 'list[n]': then the "
                            "draw is n torch.randn((1,)+shape[1:], generator=gens[i]) concatenated)",
    "timesteps_used": "the timestep passed to every UNet call, in order (float of the tensor; timesteps_dtype is its torch dtype)",
    "step_latents": "[loop iterations, B, C, h, w]: latents after scheduler.step (and, for 4-channel inpainting, after the mask "
                    "blend) at each loop iteration",
    "arrays": ".npy, little-endian, C order, float32 or int64 (numpy 1.24 np.save)",
    "raises": "a case with raises=true has an error {type, message} from diffusers itself instead of files",
}


# ----------------------------------------------------------------------------------------------- inputs
def make_inputs(ref):
    d = os.path.join(ref, "inputs")
    os.makedirs(d, exist_ok=True)
    y, x = np.mgrid[0:64, 0:64]
    img = np.stack([(4 * x) % 256, (4 * y) % 256, (4 * (x ^ y)) % 256], axis=-1).astype(np.uint8)
    img[(x - 40) ** 2 + (y - 24) ** 2 < 144] = (230, 40, 60)
    Image.fromarray(img, "RGB").save(os.path.join(d, "image_64x64.png"))
    y, x = np.mgrid[0:73, 0:81]
    img = np.stack([(3 * x) % 256, (3 * y) % 256, (x * y) % 256], axis=-1).astype(np.uint8)
    Image.fromarray(img, "RGB").save(os.path.join(d, "image_81x73.png"))
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 20:52] = 255
    Image.fromarray(mask, "L").save(os.path.join(d, "mask_64x64.png"))
    np.save(os.path.join(d, "latents_argument_input.npy"),
            torch.randn((1, 4, 32, 32), generator=torch.Generator("cpu").manual_seed(99)).numpy())
    recipes = {
        "inputs/image_64x64.png": "y,x = mgrid[0:64,0:64]; R=(4x)%256, G=(4y)%256, B=(4*(x xor y))%256; pixels with "
                                  "(x-40)^2+(y-24)^2<144 set to (230,40,60); uint8; Pillow PNG",
        "inputs/image_81x73.png": "width 81, height 73; y,x = mgrid[0:73,0:81]; R=(3x)%256, G=(3y)%256, B=(x*y)%256; uint8; Pillow PNG",
        "inputs/mask_64x64.png": "64x64 black (0), rows 16..47 and columns 20..51 white (255); uint8 grayscale; Pillow PNG. "
                                 "White = repaint",
    }
    out = {}
    for rel, recipe in recipes.items():
        p = os.path.join(ref, rel)
        im = Image.open(p)
        out[rel] = {"size_wh": list(im.size), "mode": im.mode, "recipe": recipe,
                    "sha256": hashlib.sha256(open(p, "rb").read()).hexdigest()}
    return out


# ----------------------------------------------------------------------------------------------- checkpoints
def _strip_name_or_path(d, models):
    for m in models:
        cf = os.path.join(d, m, "config.json")
        c = json.load(open(cf))
        if c.pop("_name_or_path", None) is not None:
            with open(cf, "w") as f:
                json.dump(c, f, indent=2, sort_keys=True)
                f.write("\n")


def _save_and_reload(pipe, cls, d, models):
    if os.path.isdir(d):
        shutil.rmtree(d)
    pipe.save_pretrained(d, safe_serialization=True)
    _strip_name_or_path(d, models)
    q = cls.from_pretrained(d)
    for m in models:
        a, b = getattr(pipe, m).state_dict(), getattr(q, m).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), f"{d}/{m} did not reload exactly"
    q.set_progress_bar_config(disable=True)
    return q


def build_inpaint(base, ref):
    torch.manual_seed(3)
    unet = UNet2DConditionModel.from_config(base.unet.config, in_channels=9)
    p = StableDiffusionInpaintPipeline(**dict(base.components, unet=unet), requires_safety_checker=False)
    return _save_and_reload(p, StableDiffusionInpaintPipeline, os.path.join(ref, "tiny-sd-inpaint"),
                            ("unet", "vae", "text_encoder"))


def build_sd2(base, ref, fixture):
    torch.manual_seed(SD2_SPEC["unet"]["seed"])
    unet = UNet2DConditionModel(**SD2_SPEC["unet"]["kwargs"])
    torch.manual_seed(SD2_SPEC["vae"]["seed"])
    vae = AutoencoderKL(**SD2_SPEC["vae"]["kwargs"])
    te = CLIPTextModel(CLIPTextConfig(**SD2_SPEC["text_encoder"]["kwargs"]))
    te.load_state_dict(base.text_encoder.state_dict())
    tok = CLIPTokenizer.from_pretrained(os.path.join(fixture, "tokenizer"), pad_token="!")
    sch = DDIMScheduler.from_config(SD2_SPEC["scheduler"]["config"])
    p = StableDiffusionPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, scheduler=sch, safety_checker=None,
                                feature_extractor=None, image_encoder=None, requires_safety_checker=False)
    return _save_and_reload(p, StableDiffusionPipeline, os.path.join(ref, "tiny-sd2"), ("unet", "vae", "text_encoder"))


def build_lcm(base, ref):
    torch.manual_seed(12)
    unet = UNet2DConditionModel.from_config(base.unet.config, time_cond_proj_dim=32)
    p = LatentConsistencyModelPipeline(vae=base.vae, text_encoder=base.text_encoder, tokenizer=base.tokenizer, unet=unet,
                                       scheduler=LCMScheduler(), safety_checker=None, feature_extractor=None,
                                       image_encoder=None, requires_safety_checker=False)
    return _save_and_reload(p, LatentConsistencyModelPipeline, os.path.join(ref, "tiny-lcm"), ("unet", "vae", "text_encoder"))


# ----------------------------------------------------------------------------------------------- fixture check
def fixture_check(base, fixture):
    """Re-runs the fixture's expected cases (tiny-sd/expected) in this environment: all must be 0.0."""
    exp = os.path.join(fixture, "expected")
    m = json.load(open(os.path.join(exp, "manifest.json")))
    out = {}
    for c in m["cases"]:
        if c["kind"] == "tokenizer":
            ids = [base.tokenizer(p["prompt"], padding="max_length", max_length=77, truncation=True).input_ids
                   for p in c["prompts"]]
            out["tokenizer_ids_equal"] = bool(np.array_equal(np.array(ids), np.load(os.path.join(exp, c["ids_file"]["file"]))))
    for c in m["cases"]:
        if c["kind"] != "pipeline":
            continue
        cls = getattr(__import__("diffusers"), c["scheduler"]["class"])
        p = StableDiffusionPipeline(**dict(base.components, scheduler=cls.from_config(base.scheduler.config)),
                                    requires_safety_checker=False)
        p.set_progress_bar_config(disable=True)
        img = p(**c["call"], output_type="np", generator=torch.Generator("cpu").manual_seed(c["generator"]["seed"])).images
        out[c["name"] + "/image"] = float(np.abs(img - np.load(os.path.join(exp, c["files"]["image"]["file"]))).max())
    with torch.no_grad():
        ids = torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_te_input_ids.npy")))
        hs = base.text_encoder(ids)[0]
        out["text_encoder"] = float((hs - torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_te_last_hidden_state.npy")))).abs().max())
        sample = torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_unet_sample.npy")))
        u = base.unet(sample, torch.tensor(981), encoder_hidden_states=hs).sample
        out["unet_forward"] = float((u - torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_unet_out.npy")))).abs().max())
        lat = torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_vae_latents.npy")))
        dec = base.vae.decode(lat / base.vae.config.scaling_factor).sample
        out["vae_decode"] = float((dec - torch.from_numpy(np.load(os.path.join(exp, "tiny-sd_vae_decoded.npy")))).abs().max())
    return out


# ----------------------------------------------------------------------------------------------- component cases
def tokenizer_case(store, cases, name, tok, label, prompts, notes):
    ids = np.array([tok(p, padding="max_length", max_length=tok.model_max_length, truncation=True).input_ids
                    for _, p in prompts], dtype=np.int64)
    mask = np.array([tok(p, padding="max_length", max_length=tok.model_max_length, truncation=True).attention_mask
                     for _, p in prompts], dtype=np.int64)
    plist = []
    for pname, p in prompts:
        full = tok(p).input_ids
        plist.append({"name": pname, "prompt": p, "untruncated_length": len(full), "untruncated_ids": full,
                      "tokens": tok.convert_ids_to_tokens(full),
                      "codepoints": [ord(ch) for ch in p] if len(p) <= 200 else None})
    cases.append({"name": name, "group": 7, "kind": "tokenizer", "tokenizer": label, "pad_token": str(tok.pad_token),
                  "pad_token_id": tok.pad_token_id, "model_max_length": tok.model_max_length,
                  "files": {"input_ids": store.save(f"{name}/input_ids.npy", ids,
                                                    "tokenizer(prompt, padding='max_length', max_length=77, truncation=True).input_ids, one row per prompt"),
                            "attention_mask": store.save(f"{name}/attention_mask.npy", mask)},
                  "prompts": plist, "call": TOKENIZER_CALL, "notes": notes})


def sd2_component_cases(store, cases, sd2, ref):
    prompts = ["a photo of a cat", "an astronaut riding a horse, 4k!", ""]
    with torch.no_grad():
        ids = sd2.tokenizer(prompts, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
        o = sd2.text_encoder(ids, output_hidden_states=True)
        skip = sd2.text_encoder.text_model.final_layer_norm(o.hidden_states[-2])
    d = "sd2_text_encoder"
    cases.append({"name": d, "group": 7, "kind": "text_encoder", "checkpoint": "reference/tiny-sd2", "prompts": prompts,
                  "call": "text_encoder(input_ids, output_hidden_states=True) (no attention_mask)",
                  "files": {"input_ids": store.save(f"{d}/input_ids.npy", ids),
                            "last_hidden_state": store.save(f"{d}/last_hidden_state.npy", o.last_hidden_state,
                                                            "text_encoder(ids)[0] (after final_layer_norm)"),
                            "pooler_output": store.save(f"{d}/pooler_output.npy", o.pooler_output,
                                                        "pooled: eos_token_id == 2 in config -> legacy path, hidden state at argmax(input_ids) (= first 49407)"),
                            "hidden_states_minus2": store.save(f"{d}/hidden_states_minus2.npy", o.hidden_states[-2],
                                                               "hidden_states[-2] (output of layer 4 of 5, before final_layer_norm)"),
                            "clip_skip1_embeds": store.save(f"{d}/clip_skip1_embeds.npy", skip,
                                                            "final_layer_norm(hidden_states[-2]) = what the pipeline uses with clip_skip=1")}})
    d = "sd2_unet_forward"
    sample = torch.randn((2, 4, 16, 16), generator=torch.Generator("cpu").manual_seed(142))
    ehs = o.last_hidden_state[:2]
    with torch.no_grad():
        out = sd2.unet(sample, torch.tensor(501), encoder_hidden_states=ehs).sample
    cases.append({"name": d, "group": 7, "kind": "unet_forward", "checkpoint": "reference/tiny-sd2",
                  "timestep": {"value": 501, "dtype": "int64", "shape": []},
                  "files": {"sample": store.save(f"{d}/sample.npy", sample, "torch.randn((2,4,16,16), generator=manual_seed(142))"),
                            "encoder_hidden_states": store.save(f"{d}/encoder_hidden_states.npy", ehs,
                                                                "= sd2_text_encoder last_hidden_state[:2]"),
                            "out": store.save(f"{d}/out.npy", out, "unet(sample, timestep, encoder_hidden_states).sample")}})
    d = "sd2_vae"
    lat = torch.randn((1, 4, 16, 16), generator=torch.Generator("cpu").manual_seed(143))
    x = sd2.image_processor.preprocess(Image.open(os.path.join(ref, "inputs", "image_64x64.png")))
    with torch.no_grad():
        dec = sd2.vae.decode(lat / sd2.vae.config.scaling_factor).sample
        dist = sd2.vae.encode(x).latent_dist
    cases.append({"name": d, "group": 7, "kind": "vae", "checkpoint": "reference/tiny-sd2", "vae_scale_factor": sd2.vae_scale_factor,
                  "files": {"latents": store.save(f"{d}/latents.npy", lat, "torch.randn((1,4,16,16), generator=manual_seed(143))"),
                            "decoded": store.save(f"{d}/decoded.npy", dec, "vae.decode(latents / 0.13025).sample, raw [-1,1]-ish NCHW"),
                            "enc_input": store.save(f"{d}/enc_input.npy", x,
                                                    "VaeImageProcessor.preprocess(inputs/image_64x64.png): [1,3,64,64] in [-1,1]"),
                            "enc_mean": store.save(f"{d}/enc_mean.npy", dist.mean),
                            "enc_std": store.save(f"{d}/enc_std.npy", dist.std)}})


def vae_cases(store, cases, base, fixture, ref):
    vae = AutoencoderKL.from_pretrained(os.path.join(fixture, "vae"))
    sf = vae.config.scaling_factor
    x = base.image_processor.preprocess(Image.open(os.path.join(ref, "inputs", "image_64x64.png")))
    d = "vae_encode_sample"
    with torch.no_grad(), refrec.record_randn() as draws:
        dist = vae.encode(x).latent_dist
        s = dist.sample(generator=torch.Generator("cpu").manual_seed(80))
    randn = refrec.save_draws(store, d, draws)
    cases.append({"name": d, "group": 8, "kind": "vae", "checkpoint": "tiny-sd", "randn_draws_in_order": randn,
                  "files": {"enc_input": store.save(f"{d}/enc_input.npy", x, "VaeImageProcessor.preprocess(inputs/image_64x64.png)"),
                            "mean": store.save(f"{d}/mean.npy", dist.mean), "std": store.save(f"{d}/std.npy", dist.std),
                            "logvar": store.save(f"{d}/logvar.npy", dist.logvar),
                            "sample": store.save(f"{d}/sample.npy", s, "latent_dist.sample(generator=manual_seed(80)) = mean + std * randn"),
                            "randn_00": {"file": randn[0]["file"], "shape": randn[0]["shape"], "dtype": randn[0]["dtype"]}}})

    def tiling():
        vae.enable_tiling()
        vae.tile_sample_min_size = 32
        vae.tile_latent_min_size = 16
        vae.tile_overlap_factor = 0.25

    tiling_info = {"tile_sample_min_size": 32, "tile_latent_min_size": 16, "tile_overlap_factor": 0.25}
    derived = {"overlap_size_latent": int(16 * (1 - 0.25)), "blend_extent_px": int(32 * 0.25), "row_limit_px": 32 - int(32 * 0.25)}
    for d, seed, shape in (("vae_tiled_decode", 81, (1, 4, 32, 32)), ("vae_tiled_decode_h64_w96", 83, (1, 4, 32, 48))):
        lat = torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))
        with torch.no_grad():
            tiling()
            tiled = vae.decode(lat / sf).sample
            vae.disable_tiling()
            untiled = vae.decode(lat / sf).sample
        cases.append({"name": d, "group": 8, "kind": "vae", "checkpoint": "tiny-sd",
                      "tiling": dict(tiling_info, enable="vae.enable_tiling() then the 3 attributes set"),
                      "tiling_derived": derived, "max_abs_diff_tiled_vs_untiled": float((tiled - untiled).abs().max()),
                      "files": {"latents": store.save(f"{d}/latents.npy", lat,
                                                      f"torch.randn({shape}, generator=manual_seed({seed}))"),
                                "tiled": store.save(f"{d}/tiled.npy", tiled, "vae.decode(latents / 0.18215).sample with tiling on"),
                                "untiled": store.save(f"{d}/untiled.npy", untiled, "same without tiling")}})
    d = "vae_tiled_encode"
    with torch.no_grad():
        tiling()
        td = vae.encode(x).latent_dist
        vae.disable_tiling()
        ud = vae.encode(x).latent_dist
    cases.append({"name": d, "group": 8, "kind": "vae", "checkpoint": "tiny-sd", "tiling": tiling_info,
                  "files": {"enc_input": store.save(f"{d}/enc_input.npy", x), "mean": store.save(f"{d}/mean.npy", td.mean),
                            "std": store.save(f"{d}/std.npy", td.std)},
                  "notes": "tiled_encode: 32px tiles every 24px, blend_extent 4 latent px, row_limit 12 latent px",
                  "max_abs_diff_mean_tiled_vs_untiled": float((td.mean - ud.mean).abs().max())})
    d = "vae_sliced_decode"
    lat = torch.randn((2, 4, 32, 32), generator=torch.Generator("cpu").manual_seed(82))
    with torch.no_grad():
        vae.enable_slicing()
        sliced = vae.decode(lat / sf).sample
        vae.disable_slicing()
        unsliced = vae.decode(lat / sf).sample
    cases.append({"name": d, "group": 8, "kind": "vae", "checkpoint": "tiny-sd",
                  "files": {"latents": store.save(f"{d}/latents.npy", lat, "torch.randn((2,4,32,32), generator=manual_seed(82))"),
                            "sliced": store.save(f"{d}/sliced.npy", sliced, "vae.enable_slicing(); vae.decode(latents / 0.18215).sample"),
                            "unsliced": store.save(f"{d}/unsliced.npy", unsliced)},
                  "max_abs_diff_sliced_vs_unsliced": float((sliced - unsliced).abs().max())})


def guidance_embedding_case(store, cases, lcm):
    d = "guidance_scale_embedding"
    w = [7.5, 2.3, 0.0, -0.5, 1.7, 10.0]
    files = {}
    real_exp = torch.exp
    for dim in (32, 7, 256):
        tables = []

        def exp(x, *a, **k):
            r = real_exp(x, *a, **k)
            tables.append(r.detach().clone())
            return r
        torch.exp = exp
        try:
            emb = lcm.get_guidance_scale_embedding(torch.tensor(w), embedding_dim=dim)
        finally:
            torch.exp = real_exp
        assert len(tables) == 1, len(tables)
        files[f"dim{dim}"] = store.save(f"{d}/dim{dim}.npy", emb, f"get_guidance_scale_embedding(torch.tensor(w), embedding_dim={dim})")
        files[f"freqs_dim{dim}"] = store.save(f"{d}/freqs_dim{dim}.npy", tables[0],
                                              "the torch.exp(arange(half) * -emb) frequency table inside that call (recorded by wrapping torch.exp)")
    cases.append({"name": d, "group": 9, "kind": "guidance_embedding", "w": w,
                  "call": "LatentConsistencyModelPipeline.get_guidance_scale_embedding(torch.tensor(w) (float32), embedding_dim=dim)",
                  "files": files})


# ----------------------------------------------------------------------------------------------- pipeline cases
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root; the recorder writes OUT/reference/")
    ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture")
    ap.add_argument("--groups", default="1,2,3,4,5,6,7,8,9,10", help="comma-separated groups to record (default: all)")
    args = ap.parse_args()
    groups = {int(g) for g in args.groups.split(",")}
    fixture = os.path.join(args.resources, "tiny-sd")
    ref = os.path.join(args.out, "reference")
    os.makedirs(ref, exist_ok=True)
    store = Store(ref)
    cases = []

    base = StableDiffusionPipeline.from_pretrained(fixture)
    base.set_progress_bar_config(disable=True)
    assert base.text_encoder.config._attn_implementation == "eager"
    check = fixture_check(base, fixture)
    log("fixture reproduction check:", check)
    inputs = make_inputs(ref)
    inpaint9 = build_inpaint(base, ref)
    sd2 = build_sd2(base, ref, fixture)
    lcm = build_lcm(base, ref)
    comps = dict(base.components)
    base_cfg = base.scheduler.config

    def case(name, group, sched_cls, call, gen, overrides=None, notes=None, unet_io=False, pipe_cls=StableDiffusionPipeline,
             src=None, info=None, sched_cfg=None, sched_built=None, extra_files=None):
        overrides = overrides or {}
        if group not in groups:
            return
        src_comps = src.components if src is not None else comps
        sched = sched_cls.from_config(sched_cfg if sched_cfg is not None else base_cfg, **overrides)
        p = pipe_cls(**dict(src_comps, scheduler=sched))
        p.set_progress_bar_config(disable=True)
        built = sched_built or (f"{sched_cls.__name__}.from_config(<pipeline scheduler config>"
                                + (", **overrides)" if overrides else ")"))
        if info is None:
            info = {"checkpoint": "tiny-sd", "checkpoint_note": FIXTURE_NOTE}
        info = dict(info, pipeline_class=pipe_cls.__name__)
        c = run_pipeline_case(store, cases, name, group, p, info, describe_sched(p, sched_cls, overrides, built), call, gen,
                              notes=notes, unet_io=unet_io, inputs_dir=ref, extra_files=extra_files)
        log(name, c["timesteps_used"])

    # group 1: every scheduler on the fixture, text-to-image
    b1 = {"prompt": P, "negative_prompt": N, "num_inference_steps": 4, "guidance_scale": 7.5, "height": 64, "width": 64,
          "output_type": "np"}
    b15 = dict(b1, num_inference_steps=5)
    case("t2i_euler", 1, EulerDiscreteScheduler, b1, G(0), unet_io=True)
    case("t2i_euler_ancestral", 1, EulerAncestralDiscreteScheduler, b1, G(0), unet_io=True)
    case("t2i_lms", 1, LMSDiscreteScheduler, b1, G(0), unet_io=True)
    case("t2i_heun", 1, HeunDiscreteScheduler, b1, G(0), unet_io=True,
         notes="Heun is order 2: 2*steps-1 loop iterations / UNet calls")
    case("t2i_dpmpp_2m", 1, DPMSolverMultistepScheduler, b15, G(0), unet_io=True)
    case("t2i_dpmpp_2m_karras", 1, DPMSolverMultistepScheduler, b15, G(0), {"use_karras_sigmas": True}, unet_io=True)
    case("t2i_dpmpp_sde", 1, DPMSolverMultistepScheduler, b15, G(0), {"algorithm_type": "sde-dpmsolver++"}, unet_io=True)
    case("t2i_unipc", 1, UniPCMultistepScheduler, b15, G(0), unet_io=True)
    case("t2i_ddpm", 1, DDPMScheduler, b1, G(0), unet_io=True)
    case("t2i_lcm", 1, LCMScheduler, b1, G(0), unet_io=True)
    case("t2i_lcm_cfg1", 1, LCMScheduler, dict(b1, guidance_scale=1.0), G(0), unet_io=True,
         notes="guidance_scale 1.0: no CFG, negative_prompt ignored")
    case("t2i_ddim_eta0.5", 1, DDIMScheduler, dict(b1, eta=0.5), G(0), unet_io=True)
    case("t2i_pndm_prk", 1, PNDMScheduler, b1, G(0), {"skip_prk_steps": False}, unet_io=True)
    case("t2i_euler_trailing", 1, EulerDiscreteScheduler, b1, G(0), {"timestep_spacing": "trailing"}, unet_io=True)
    case("t2i_euler_karras", 1, EulerDiscreteScheduler, b1, G(0), {"use_karras_sigmas": True}, unet_io=True)

    # group 2: batches and generator lists
    b2 = {"num_inference_steps": 4, "guidance_scale": 7.5, "height": 64, "width": 64, "output_type": "np"}
    case("batch_nipp2_one_generator", 2, DDIMScheduler, dict(b2, prompt=P, negative_prompt=N, num_images_per_prompt=2), G(1),
         notes="one generator: a single randn of shape [2,4,32,32]")
    case("batch_genlist_2prompts", 2, DDIMScheduler, dict(b2, prompt=P2, negative_prompt=N2), GL(11, 12), notes=GEN_NOTE_LIST)
    case("batch_genlist4_2prompts_nipp2", 2, EulerDiscreteScheduler,
         dict(b2, prompt=P2, negative_prompt=N2, num_images_per_prompt=2), GL(21, 22, 23, 24),
         notes="batch order is prompt-major: [p0 img0, p0 img1, p1 img0, p1 img1]; gens[i] seeds row i")
    case("batch_euler_ancestral_genlist", 2, EulerAncestralDiscreteScheduler, dict(b2, prompt=P2, negative_prompt=N2),
         GL(31, 32), notes="per-step ancestral noise drawn per image from gens[i], after the initial latents")
    case("batch_euler_ancestral_nipp2_one_generator", 2, EulerAncestralDiscreteScheduler,
         dict(b2, prompt=P, negative_prompt=N, num_images_per_prompt=2), G(33))

    # group 3: sizes, CFG off, clip skip, guidance rescale, latent output, latents argument
    b3 = {"prompt": P, "negative_prompt": N, "num_inference_steps": 4, "guidance_scale": 7.5, "output_type": "np"}
    case("size_h64_w96", 3, DDIMScheduler, dict(b3, height=64, width=96), G(40))
    case("size_h96_w64", 3, EulerDiscreteScheduler, dict(b3, height=96, width=64), G(41))
    case("size_default", 3, DPMSolverMultistepScheduler, b3, G(42),
         notes="height/width not given: unet.config.sample_size (32) * vae_scale_factor (2) = 64")
    case("no_cfg_guidance1", 3, DDIMScheduler, dict(b3, guidance_scale=1.0, height=64, width=64), G(43),
         notes="guidance_scale 1.0 disables CFG; negative_prompt is then not encoded")
    case("clip_skip1", 3, DDIMScheduler, dict(b3, clip_skip=1, height=64, width=64), G(44),
         notes="clip_skip=1: positive embeds = final_layer_norm(hidden_states[-2]); in diffusers 0.30.3 the NEGATIVE embeds are "
               "NOT clip-skipped (last_hidden_state)")
    case("guidance_rescale0.7", 3, DDIMScheduler, dict(b3, guidance_rescale=0.7, height=64, width=64), G(45))
    case("output_latent", 3, EulerDiscreteScheduler, dict(b3, output_type="latent", height=64, width=64), G(46))
    case("latents_argument", 3, EulerDiscreteScheduler,
         dict(b3, height=64, width=64, latents={"$npy": "inputs/latents_argument_input.npy"}), G(47),
         notes="latents= given: prepare_latents only multiplies it by init_noise_sigma; the generator is still passed (Euler "
               "draws a never-used noise per step)",
         extra_files={"latents_input": {"file": "inputs/latents_argument_input.npy", "shape": [1, 4, 32, 32], "dtype": "float32",
                                        "meaning": "latents passed as latents= (torch.randn((1,4,32,32), generator=manual_seed(99)))"}})

    # group 4: v-prediction
    case("vpred_ddim", 4, DDIMScheduler, b1, G(50), {"prediction_type": "v_prediction"})
    case("vpred_euler", 4, EulerDiscreteScheduler, b1, G(51), {"prediction_type": "v_prediction"})

    # group 5: img2img on the fixture
    i2i_info = {"checkpoint": "tiny-sd", "checkpoint_note": FIXTURE_NOTE,
                "built_as": "StableDiffusionImg2ImgPipeline(**StableDiffusionPipeline.from_pretrained(tiny-sd).components, "
                            "scheduler=<case scheduler>)"}
    IMG = {"$png": "inputs/image_64x64.png"}
    MASK = {"$png": "inputs/mask_64x64.png"}
    b5 = {"prompt": P, "negative_prompt": N, "image": IMG, "guidance_scale": 7.5, "output_type": "np"}
    I2I = dict(pipe_cls=StableDiffusionImg2ImgPipeline, info=i2i_info)
    case("i2i_ddim_s0.6", 5, DDIMScheduler, dict(b5, strength=0.6, num_inference_steps=5), G(60), **I2I)
    case("i2i_ddim_s0.3", 5, DDIMScheduler, dict(b5, strength=0.3, num_inference_steps=10), G(61), **I2I)
    case("i2i_euler_s0.6", 5, EulerDiscreteScheduler, dict(b5, strength=0.6, num_inference_steps=5), G(62), **I2I,
         notes="img2img calls scheduler.set_begin_index(t_start * order) so add_noise/step start at index t_start")
    case("i2i_euler_s0.3", 5, EulerDiscreteScheduler, dict(b5, strength=0.3, num_inference_steps=10), G(63), **I2I)
    case("i2i_dpmpp_s0.6", 5, DPMSolverMultistepScheduler, dict(b5, strength=0.6, num_inference_steps=5), G(64), **I2I)
    case("i2i_ddim_genlist_2prompts", 5, DDIMScheduler, dict(b5, prompt=P2, negative_prompt=N2, strength=0.6, num_inference_steps=5),
         GL(65, 66), **I2I, notes="one input image, 2 prompts: the image is repeated to batch 2, each row VAE-encoded and "
                                  "sampled with gens[i], then noise drawn per row")
    case("i2i_euler_genlist_2prompts", 5, EulerDiscreteScheduler,
         dict(b5, prompt=P2, negative_prompt=N2, strength=0.6, num_inference_steps=5), GL(67, 68), **I2I)
    case("i2i_ddim_image81x73", 5, DDIMScheduler,
         dict(b5, image={"$png": "inputs/image_81x73.png"}, strength=0.6, num_inference_steps=5), G(69), **I2I,
         notes="81x73 (WxH) PNG: VaeImageProcessor rounds down to a multiple of vae_scale_factor (2) -> 80x72 and resizes with "
               "Pillow LANCZOS (Pillow 9.4.0)")

    # group 6: inpainting, the fixture's 4-channel UNet (legacy path) and the 9-channel tiny-sd-inpaint
    inp4_info = {"checkpoint": "tiny-sd", "checkpoint_note": FIXTURE_NOTE,
                 "built_as": "StableDiffusionInpaintPipeline(**StableDiffusionPipeline.from_pretrained(tiny-sd).components, "
                             "scheduler=<case scheduler>) (legacy 4-channel UNet path)"}
    inp9_info = {"checkpoint": "reference/tiny-sd-inpaint",
                 "built_as": "StableDiffusionInpaintPipeline.from_pretrained(reference/tiny-sd-inpaint) with "
                             "scheduler=<case scheduler>.from_config(its PNDM config)"}
    b6 = {"prompt": P, "negative_prompt": N, "image": IMG, "mask_image": MASK, "guidance_scale": 7.5, "height": 64, "width": 64,
          "output_type": "np"}
    INP4 = dict(pipe_cls=StableDiffusionInpaintPipeline, info=inp4_info, notes=INPAINT4_NOTE)
    INP9 = dict(pipe_cls=StableDiffusionInpaintPipeline, info=inp9_info, src=inpaint9, sched_cfg=inpaint9.scheduler.config)
    case("inpaint4_ddim_s1.0", 6, DDIMScheduler, dict(b6, strength=1.0, num_inference_steps=4), G(70), **INP4)
    case("inpaint4_ddim_s0.75", 6, DDIMScheduler, dict(b6, strength=0.75, num_inference_steps=4), G(71), **INP4)
    case("inpaint4_euler_s0.75", 6, EulerDiscreteScheduler, dict(b6, strength=0.75, num_inference_steps=4), G(72), **INP4)
    case("inpaint9_ddim_s1.0", 6, DDIMScheduler, dict(b6, strength=1.0, num_inference_steps=4), G(73), unet_io=True, **INP9)
    case("inpaint9_ddim_s0.7", 6, DDIMScheduler, dict(b6, strength=0.7, num_inference_steps=5), G(74), unet_io=True, **INP9)
    case("inpaint9_euler_s1.0", 6, EulerDiscreteScheduler, dict(b6, strength=1.0, num_inference_steps=4), G(75), unet_io=True, **INP9)
    case("inpaint9_euler_s0.7", 6, EulerDiscreteScheduler, dict(b6, strength=0.7, num_inference_steps=5), G(76), unet_io=True, **INP9)
    case("inpaint9_ddim_genlist_2prompts", 6, DDIMScheduler,
         dict(b6, prompt=P2, negative_prompt=N2, strength=0.7, num_inference_steps=5), GL(77, 78), **INP9,
         notes="one input image and mask for 2 prompts: _encode_vae_image encodes the batch-1 image once with gens[0] (then "
               "repeats it), and so does prepare_mask_latents for the masked image; the initial noise is drawn per row from gens[i]")

    # group 7: SD-2 style checkpoint (v-prediction, '!' pad tokenizer, linear projections) and tokenizer edge cases
    if 7 in groups:
        tokenizer_case(store, cases, "tokenizer_edge_tiny-sd", base.tokenizer, "tiny-sd/tokenizer (pad <|endoftext|> = 49407)",
                       TOKENIZER_EDGE_PROMPTS, TOKENIZER_NOTES)
        tokenizer_case(store, cases, "tokenizer_edge_tiny-sd2", sd2.tokenizer, "reference/tiny-sd2/tokenizer (SD-2 style: pad '!' = 0)",
                       TOKENIZER_EDGE_PROMPTS, TOKENIZER_NOTES)
        tokenizer_case(store, cases, "sd2_tokenizer", sd2.tokenizer, "reference/tiny-sd2/tokenizer (SD-2 style: pad '!' = 0)",
                       SD2_TOKENIZER_PROMPTS, "'!' is both the pad token and a normal token (id 0): padding positions are 0, not 49407")
        sd2_component_cases(store, cases, sd2, ref)
    sd2_info = {"checkpoint": "reference/tiny-sd2", "built_as": "StableDiffusionPipeline.from_pretrained(reference/tiny-sd2)"}
    SD2 = dict(info=sd2_info, src=sd2, sched_cfg=sd2.scheduler.config, unet_io=True)
    b7 = {"prompt": P, "negative_prompt": N, "num_inference_steps": 4, "guidance_scale": 7.5, "output_type": "np"}
    case("sd2_ddim_vpred", 7, DDIMScheduler, dict(b7, height=64, width=64), G(90), **SD2,
         sched_built="DDIMScheduler.from_config(<tiny-sd2 scheduler config (DDIM, v_prediction)>)")
    case("sd2_euler_vpred_clip_skip1", 7, EulerDiscreteScheduler, dict(b7, clip_skip=1), G(91), **SD2,
         sched_built="EulerDiscreteScheduler.from_config(<tiny-sd2 scheduler config (DDIM, v_prediction)>)",
         notes="default size: unet sample_size 16 * vae_scale_factor 4 = 64")

    # group 8: VAE encode/sample, tiling, slicing
    if 8 in groups:
        vae_cases(store, cases, base, fixture, ref)

    # group 9: latent consistency models
    lcm_info = {"checkpoint": "reference/tiny-lcm", "built_as": "LatentConsistencyModelPipeline.from_pretrained(reference/tiny-lcm)"}
    LCM = dict(pipe_cls=LatentConsistencyModelPipeline, info=lcm_info, src=lcm, sched_cfg=lcm.scheduler.config, unet_io=True,
               sched_built="LCMScheduler.from_config(<tiny-lcm scheduler config>)")
    b9 = {"prompt": P, "output_type": "np"}
    case("lcm_default", 9, LCMScheduler, b9, G(100), **LCM,
         notes="LatentConsistencyModelPipeline defaults: num_inference_steps 4, guidance_scale 8.5, size "
               "unet.sample_size*vae_scale_factor = 64")
    case("lcm_steps1", 9, LCMScheduler, dict(b9, num_inference_steps=1), G(101), **LCM,
         notes="one step: no scheduler noise draw (last step)")
    case("lcm_steps2", 9, LCMScheduler, dict(b9, num_inference_steps=2), G(102), **LCM)
    case("lcm_nipp2_genlist", 9, LCMScheduler, dict(b9, num_images_per_prompt=2), GL(103, 104), **LCM,
         notes="generator list: initial latents and every per-step LCM noise drawn row by row from gens[i]")
    case("lcm_2prompts_one_generator", 9, LCMScheduler, dict(b9, prompt=P2), G(105), **LCM,
         notes="one generator for a batch of 2: each draw is one randn of shape [2,4,32,32]")
    case("lcm_guidance3.3", 9, LCMScheduler, dict(b9, guidance_scale=3.3), G(106), **LCM,
         notes="w = guidance_scale - 1 = 2.3 (torch.tensor: float32)")
    case("lcm_guidance1", 9, LCMScheduler, dict(b9, guidance_scale=1.0), G(107), **LCM,
         notes="w = 0: timestep_cond = [0]*16 + [1]*16")
    case("lcm_original_steps20", 9, LCMScheduler, dict(b9, num_inference_steps=3, original_inference_steps=20), G(108), **LCM,
         notes="original_inference_steps=20 overrides the scheduler's 50: k = 50, origin timesteps 49..999")
    case("lcm_h64_w96", 9, LCMScheduler, dict(b9, height=64, width=96), G(109), **LCM)
    case("lcm_output_latent", 9, LCMScheduler, dict(b9, output_type="latent"), G(110), **LCM,
         notes="output_type latent returns `denoised` of the last step")
    case("lcm_clip_skip1", 9, LCMScheduler, dict(b9, clip_skip=1), G(111), **LCM)
    case("sd_pipeline_lcm_unet", 9, LCMScheduler, dict(b7), G(112), **dict(LCM, pipe_cls=StableDiffusionPipeline),
         notes="StableDiffusionPipeline with a time_cond_proj_dim UNet: no CFG (negative_prompt not encoded), timestep_cond from "
               "guidance_scale - 1, loop latents = prev_sample")
    if 9 in groups:
        guidance_embedding_case(store, cases, lcm)

    # group 10: custom timesteps / sigmas through retrieve_timesteps
    b10 = {"prompt": P, "negative_prompt": N, "guidance_scale": 7.5, "height": 64, "width": 64, "output_type": "np"}
    case("ts_euler_sigmas_ays", 10, EulerDiscreteScheduler, dict(b10, sigmas=[14.615, 3.861, 1.396, 0.399, 0.029]), G(120),
         notes="custom sigmas (a shortened Align-Your-Steps SD-1.5 list): the last sigma is the final one (no timestep, nothing "
               "appended); timesteps = _sigma_to_t of the others; num_inference_steps = len(timesteps) = 4")
    case("ts_euler_timesteps", 10, EulerDiscreteScheduler, dict(b10, timesteps=[999, 850, 500, 200, 24]), G(121),
         notes="custom timesteps: sigmas interpolated at them")
    case("ts_ddpm_timesteps", 10, DDPMScheduler, dict(b10, timesteps=[999, 700, 400, 100]), G(122),
         notes="DDPM previous_timestep walks the custom list (-1 after the last)")
    case("ts_dpmpp_timesteps", 10, DPMSolverMultistepScheduler, dict(b10, timesteps=[999, 750, 500, 250, 50]), G(123))
    case("ts_heun_timesteps", 10, HeunDiscreteScheduler, dict(b10, timesteps=[999, 600, 200]), G(124),
         notes="Heun: 3 custom timesteps -> 5 loop iterations (num_inference_steps = len(scheduler.timesteps))")
    b10i = {"prompt": P, "negative_prompt": N, "image": IMG, "guidance_scale": 7.5, "output_type": "np"}
    case("ts_i2i_euler_timesteps_s0.6", 10, EulerDiscreteScheduler, dict(b10i, strength=0.6, timesteps=[999, 800, 600, 400, 200]),
         G(125), pipe_cls=StableDiffusionImg2ImgPipeline, info={"checkpoint": "tiny-sd", "checkpoint_note": FIXTURE_NOTE},
         notes="img2img: retrieve_timesteps then get_timesteps(len(timesteps)=5, strength 0.6) -> the last 3")
    case("ts_i2i_euler_sigmas_s0.5", 10, EulerDiscreteScheduler,
         dict(b10i, strength=0.5, sigmas=[14.615, 6.475, 2.697, 0.963, 0.399, 0.029]), G(126),
         pipe_cls=StableDiffusionImg2ImgPipeline, info={"checkpoint": "tiny-sd", "checkpoint_note": FIXTURE_NOTE})
    case("ts_lcm_timesteps", 10, LCMScheduler, {"prompt": P, "timesteps": [999, 759, 499, 259], "output_type": "np"}, G(127),
         pipe_cls=LatentConsistencyModelPipeline, info=lcm_info, src=lcm, sched_cfg=lcm.scheduler.config,
         notes="LCM custom timesteps (on the distillation schedule: no warning)")

    manifest = {
        "description": "Diffusers4J reference data generated with the real Hugging Face diffusers/transformers (CPU, float32). "
                       "See README.md.",
        "paths": "checkpoint paths are relative to the test-resources root (tiny-sd = the fixture); every file path is relative "
                 "to this folder (reference/)",
        "versions": dict(refenv.versions(), diffusers_commit=refenv.SOURCES["diffusers"][1] + " (tag v0.30.3)",
                         transformers_commit=refenv.SOURCES["transformers"][1]),
        "environment": {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"), "torch_num_threads": torch.get_num_threads(),
                        "text_encoder_attn_implementation": base.text_encoder.config._attn_implementation,
                        "unet_attn_processor": "AttnProcessor (torch 1.13 has no scaled_dot_product_attention)",
                        "ftfy_installed": _importable("ftfy"), "tokenizers_rust_installed": _tokenizers_installed(),
                        "safetensors": "pure-Python format-compatible stand-in"},
        "fixture_reproduction_check_max_abs_diff": check,
        "torch_randn_check": {"call": "torch.manual_seed(0); torch.randn(1,4,8,8).flatten()[:8]",
                              "values": _randn_check()},
        "inputs": inputs,
        "conventions": CONVENTIONS,
        "checkpoints": CHECKPOINTS,
        "cases": cases,
    }
    refrec.write_json(os.path.join(ref, "manifest.json"), manifest)
    log("reference: %d cases -> %s" % (len(cases), ref))


def _importable(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


def _tokenizers_installed():
    from transformers.utils import is_tokenizers_available
    return is_tokenizers_available()


def _randn_check():
    torch.manual_seed(0)
    return [float(v) for v in torch.randn(1, 4, 8, 8).flatten()[:8]]


if __name__ == "__main__":
    main()

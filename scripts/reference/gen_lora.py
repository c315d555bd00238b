"""Records pipeline-core/src/test/resources/reference-lora/ (small LoRA and textual-inversion files for the tiny
checkpoints, the pipeline cases that load them, manifest.json) with the real diffusers 0.30.3 and peft 0.12.0. See
README.md and reference-lora/README.md.

    /usr/bin/python3 scripts/reference/gen_lora.py --out OUT      # writes OUT/reference-lora/

The adapters are made here from seeded random weights: the diffusers / peft one with peft itself (LoRA layers injected
into the tiny UNet and text encoder, then pipeline.save_lora_weights), the Kohya / AUTOMATIC1111 one and the older
attention-processor one written key by key in those layouts, the textual-inversion files as the training scripts
(diffusers' {token: tensor}) and AUTOMATIC1111 ({"emb_params": tensor}) save them.
"""
import refenv

torch = refenv.setup(with_peft=True)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402

from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline, StableDiffusionXLPipeline  # noqa: E402
from peft import LoraConfig, get_peft_model_state_dict, inject_adapter_in_model  # noqa: E402
from peft.tuners.tuners_utils import BaseTunerLayer  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import diffusers  # noqa: E402
import peft  # noqa: E402
import transformers  # noqa: E402
import refrec  # noqa: E402
from refrec import N, P, Store, describe_sched, write_json  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True, help="output root; writes OUT/reference-lora/")
ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding tiny-sd/ and reference-sdxl/tiny-sdxl/")
ARGS = ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-lora")
SD_DIR = os.path.join(ARGS.resources, "tiny-sd")
SDXL_DIR = os.path.join(ARGS.resources, "reference-sdxl", "tiny-sdxl")
ADAPTERS = os.path.join(OUT, "adapters")
os.makedirs(ADAPTERS, exist_ok=True)
STORE = Store(OUT)
CASES = []
FILES = {}


def log(*a):
    print(*a, flush=True)


# ----------------------------------------------------------------------------------------------- adapter files
def lora_pair(gen, module, rank):
    """(down, up) weights for a Linear [out, in] or Conv2d [out, in, k, k] module: down ~ N(0, 1/fan_in) with the
    module's kernel, up ~ N(0, 0.25/rank) as a 1x1 kernel."""
    w = module.weight
    fan_in = w[0].numel()
    down_shape = (rank,) + tuple(w.shape[1:])
    up_shape = (w.shape[0], rank) + ((1, 1) if w.dim() == 4 else ())
    down = torch.randn(down_shape, generator=gen) / fan_in ** 0.5
    up = torch.randn(up_shape, generator=gen) * (0.5 / rank ** 0.5)
    return down.contiguous(), up.contiguous()


def modules(model, suffixes, kinds=(torch.nn.Linear, torch.nn.Conv2d)):
    """(name, module) of the model's Linear / Conv2d modules whose name ends with one of suffixes, in model order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, kinds) and n.endswith(tuple(suffixes))]


def record_file(name, path, note):
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    FILES[name] = {"file": os.path.relpath(path, OUT), "sha256": digest, "note": note}


UNET_ATTN = (".to_q", ".to_k", ".to_v", ".to_out.0")
UNET_OTHER = (".ff.net.0.proj", ".ff.net.2", ".proj_in", ".proj_out", ".time_emb_proj")
UNET_CONV = (".conv1", ".conv2", ".conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv")
TE_MODULES = (".q_proj", ".k_proj", ".v_proj", ".out_proj", ".fc1", ".fc2")


def make_peft_lora(pipe, path):
    """diffusers / peft format: peft LoRA layers (r 4, lora_alpha 4) injected into copies of the UNet and the text
    encoder, their lora_A / lora_B set from the seed, saved with StableDiffusionPipeline.save_lora_weights."""
    import copy
    gen = torch.Generator().manual_seed(100)
    unet = copy.deepcopy(pipe.unet)
    te = copy.deepcopy(pipe.text_encoder)
    unet_targets = [n for n, _ in modules(unet, UNET_ATTN + UNET_OTHER + (".conv1",))]
    te_targets = [n for n, _ in modules(te, TE_MODULES)]
    inject_adapter_in_model(LoraConfig(r=4, lora_alpha=4, target_modules=unet_targets), unet, adapter_name="default")
    inject_adapter_in_model(LoraConfig(r=4, lora_alpha=4, target_modules=te_targets), te, adapter_name="default")
    with torch.no_grad():
        for model in (unet, te):
            for n, m in model.named_modules():
                if isinstance(m, BaseTunerLayer) and "default" in m.lora_A:
                    down, up = lora_pair(gen, m.get_base_layer(), 4)
                    m.lora_A["default"].weight.copy_(down)
                    m.lora_B["default"].weight.copy_(up)
    StableDiffusionPipeline.save_lora_weights(os.path.dirname(path), unet_lora_layers=get_peft_model_state_dict(unet),
                                              text_encoder_lora_layers=get_peft_model_state_dict(te),
                                              weight_name=os.path.basename(path), safe_serialization=True)
    record_file("sd_peft", path, "diffusers / peft keys (unet.<module>.lora_A.weight, text_encoder.<module>.lora_B.weight), "
                "rank 4, no alphas (lora_alpha = r): UNet attention, feed-forward, proj_in/proj_out (1x1 convolutions), "
                "time_emb_proj, resnet conv1 (3x3 convolutions); text encoder q/k/v/out_proj, fc1, fc2")


def kohya_name(prefix, module_name):
    return prefix + module_name.replace(".", "_")


def make_kohya_lora(model_prefixes, path, seed, name, note, extra=None):
    """Kohya / AUTOMATIC1111 format: <lora_name>.lora_down.weight, .lora_up.weight and .alpha per module.
    model_prefixes: [(kohya prefix, model, [(suffixes, rank, alpha)])]."""
    gen = torch.Generator().manual_seed(seed)
    sd = {}
    for prefix, model, groups in model_prefixes:
        for suffixes, rank, alpha in groups:
            for n, m in modules(model, suffixes):
                down, up = lora_pair(gen, m, rank)
                k = kohya_name(prefix, n)
                sd[k + ".lora_down.weight"] = down
                sd[k + ".lora_up.weight"] = up
                sd[k + ".alpha"] = torch.tensor(float(alpha))
    for k, v in (extra or {}).items():
        sd[k] = v
    save_file(sd, path, metadata={"ss_network_module": "networks.lora"})
    record_file(name, path, note)


def make_attnproc_lora(pipe, path):
    """The older diffusers attention-processor keys (diffusers 0.17-0.20 LoRAAttnProcessor state dicts):
    unet.<attention>.processor.to_q_lora.down.weight / .up.weight (to_q, to_k, to_v, to_out) and
    text_encoder.<layer>.self_attn.to_q_lora.down.weight; rank 4, no alphas."""
    gen = torch.Generator().manual_seed(300)
    sd = {}
    for n, m in pipe.unet.named_modules():
        if n.endswith((".attn1", ".attn2")):
            for proj, attr in (("to_q", m.to_q), ("to_k", m.to_k), ("to_v", m.to_v), ("to_out", m.to_out[0])):
                down, up = lora_pair(gen, attr, 4)
                sd[f"unet.{n}.processor.{proj}_lora.down.weight"] = down
                sd[f"unet.{n}.processor.{proj}_lora.up.weight"] = up
    for n, m in pipe.text_encoder.named_modules():
        if n.endswith(".self_attn"):
            for proj, attr in (("to_q", m.q_proj), ("to_k", m.k_proj), ("to_v", m.v_proj), ("to_out", m.out_proj)):
                down, up = lora_pair(gen, attr, 4)
                sd[f"text_encoder.{n}.{proj}_lora.down.weight"] = down
                sd[f"text_encoder.{n}.{proj}_lora.up.weight"] = up
    save_file(sd, path)
    record_file("sd_attnproc", path, "older diffusers attention-processor keys (unet.<attention>.processor.to_q_lora.down.weight, "
                "text_encoder.<layer>.self_attn.to_q_lora.down.weight), rank 4, no alphas")


def make_ti(path, tensors, name, note):
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    record_file(name, path, note)


# ----------------------------------------------------------------------------------------------- cases
def lora_scalings(pipe):
    """Every peft LoRA layer of the pipeline: {component: {module: {adapter: [r, lora_alpha, scaling]}}}."""
    out = {}
    for comp in ("unet", "text_encoder", "text_encoder_2"):
        model = getattr(pipe, comp, None)
        if model is None:
            continue
        layers = {}
        for n, m in model.named_modules():
            if isinstance(m, BaseTunerLayer):
                layers[n] = {a: [m.r[a], m.lora_alpha[a], m.scaling[a]] for a in m.r}
        if layers:
            out[comp] = layers
    return out


def load_sd():
    p = StableDiffusionPipeline.from_pretrained(SD_DIR)
    p.set_progress_bar_config(disable=True)
    return p


def load_sdxl():
    p = StableDiffusionXLPipeline.from_pretrained(SDXL_DIR)
    p.set_progress_bar_config(disable=True)
    return p


SD_INFO = {"checkpoint": "tiny-sd", "pipeline_class": "StableDiffusionPipeline"}
SDXL_INFO = {"checkpoint": "reference-sdxl/tiny-sdxl", "pipeline_class": "StableDiffusionXLPipeline"}


def case(name, pipe, info, setup, call, seed, notes=None):
    """setup: the adapter calls made on a freshly loaded pipeline before the call, as a list of
    [method, args, kwargs] (recorded in the manifest; the Java test replays them)."""
    for method, args, kwargs in setup:
        resolved = [os.path.join(OUT, a[1:]) if isinstance(a, str) and a.startswith("@") else a for a in args]
        getattr(pipe, method)(*resolved, **kwargs)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    sched = describe_sched(pipe, EulerDiscreteScheduler, {}, "EulerDiscreteScheduler.from_config(<pipeline scheduler config>)")
    c = refrec.run_pipeline_case(STORE, CASES, name, "lora", pipe, dict(info), sched, call, {"type": "single", "seed": seed},
                                 notes=notes, unet_io=True)
    c["setup"] = setup
    c["lora_layers"] = lora_scalings(pipe)
    if hasattr(pipe, "get_active_adapters") and c["lora_layers"]:
        c["active_adapters"] = pipe.get_active_adapters()
        c["list_adapters"] = pipe.get_list_adapters()
    log(name, "ok", c.get("timesteps_used"))


def main():
    base = load_sd()
    make_peft_lora(base, os.path.join(ADAPTERS, "sd_peft.safetensors"))
    make_kohya_lora([("lora_unet_", base.unet, [(UNET_ATTN + UNET_OTHER, 4, 2.0), (UNET_CONV, 2, 2.0)]),
                     ("lora_te_", base.text_encoder, [(TE_MODULES, 4, 2.0)])],
                    os.path.join(ADAPTERS, "sd_kohya.safetensors"), 200, "sd_kohya",
                    "Kohya / AUTOMATIC1111 keys (lora_unet_<module>.lora_down.weight / .lora_up.weight / .alpha, lora_te_...): "
                    "UNet attention, feed-forward, proj_in/proj_out, time_emb_proj rank 4 alpha 2 (scaling 0.5); LoCon "
                    "convolutions (resnet conv1/conv2/conv_shortcut, down/upsampler conv, 3x3 and 1x1) rank 2 alpha 2 "
                    "(scaling 1.0); text encoder q/k/v/out_proj, fc1, fc2 rank 4 alpha 2. Plus lora_unet_time_embedding_linear_1, "
                    "a module diffusers' key converter does not map (it warns about the unexpected keys and ignores them)",
                    extra={"lora_unet_time_embedding_linear_1.lora_down.weight": torch.randn(4, 32, generator=torch.Generator().manual_seed(201)) * 0.2,
                           "lora_unet_time_embedding_linear_1.lora_up.weight": torch.randn(128, 4, generator=torch.Generator().manual_seed(202)) * 0.2,
                           "lora_unet_time_embedding_linear_1.alpha": torch.tensor(2.0)})
    make_attnproc_lora(base, os.path.join(ADAPTERS, "sd_attnproc.safetensors"))
    gti = torch.Generator().manual_seed(400)
    make_ti(os.path.join(ADAPTERS, "ti_one.safetensors"), {"<tiny-cat>": torch.randn(1, 32, generator=gti) * 0.5},
            "ti_one", "diffusers format: {token: tensor [1, 32]} (one vector), as textual_inversion.py saves learned_embeds")
    make_ti(os.path.join(ADAPTERS, "ti_three_a1111.safetensors"), {"emb_params": torch.randn(3, 32, generator=gti) * 0.5},
            "ti_three_a1111", "AUTOMATIC1111 safetensors format: {\"emb_params\": tensor [3, 32]} (three vectors); "
            "diffusers reads its single key as the token unless one is given")
    del base

    xl = load_sdxl()
    make_kohya_lora([("lora_unet_", xl.unet, [(UNET_ATTN + (".ff.net.0.proj", ".ff.net.2", ".proj_in", ".proj_out"), 4, 4.0)]),
                     ("lora_te1_", xl.text_encoder, [(TE_MODULES, 4, 4.0)]),
                     ("lora_te2_", xl.text_encoder_2, [(TE_MODULES, 4, 4.0)])],
                    os.path.join(ADAPTERS, "sdxl_kohya.safetensors"), 500, "sdxl_kohya",
                    "SDXL Kohya keys: lora_unet_ (attention, feed-forward, proj_in/proj_out), lora_te1_ and lora_te2_ "
                    "(q/k/v/out_proj, fc1, fc2), rank 4 alpha 4")
    make_ti(os.path.join(ADAPTERS, "sdxl_ti.safetensors"),
            {"clip_l": torch.randn(2, 32, generator=gti) * 0.5, "clip_g": torch.randn(2, 32, generator=gti) * 0.5},
            "sdxl_ti", "SDXL two-encoder embedding: {\"clip_l\": [2, 32] (text_encoder), \"clip_g\": [2, 32] (text_encoder_2)}")
    del xl

    call = {"prompt": P, "negative_prompt": N, "num_inference_steps": 4, "guidance_scale": 7.5, "height": 64, "width": 64,
            "output_type": "np"}
    # a folder and weight_name: diffusers' offline mode refuses to guess the weight name of a path
    peft_file, kohya_file, attn_file = ("@adapters", "sd_peft.safetensors"), ("@adapters", "sd_kohya.safetensors"), \
        ("@adapters", "sd_attnproc.safetensors")

    def lora(file, name):
        return ["load_lora_weights", [file[0]], {"weight_name": file[1], "adapter_name": name}]
    case("sd_base", load_sd(), SD_INFO, [], dict(call), 7, "no adapter: the base image of the cases below")
    case("lora_peft", load_sd(), SD_INFO, [lora(peft_file, "peft")], dict(call), 7)
    case("lora_kohya", load_sd(), SD_INFO, [lora(kohya_file, "kohya")], dict(call), 7)
    case("lora_attnproc", load_sd(), SD_INFO, [lora(attn_file, "old")], dict(call), 7)
    case("lora_two_adapters", load_sd(), SD_INFO,
         [lora(peft_file, "a"), lora(kohya_file, "b"),
          ["set_adapters", [["a", "b"]], {"adapter_weights": [0.8, 0.5]}]], dict(call), 7)
    case("lora_second_load_active", load_sd(), SD_INFO,
         [lora(peft_file, "a"), lora(kohya_file, "b")],
         dict(call), 7, "loading a second adapter makes it the only active one (peft's inject_adapter sets it active)")
    case("lora_kohya_scale0.5", load_sd(), SD_INFO, [lora(kohya_file, "kohya")],
         dict(call, cross_attention_kwargs={"scale": 0.5}), 7, "call-time scale: UNet (cross_attention_kwargs) and text encoder (lora_scale)")
    case("lora_kohya_scale0", load_sd(), SD_INFO, [lora(kohya_file, "kohya")],
         dict(call, cross_attention_kwargs={"scale": 0.0}), 7, "scale 0: the base image")
    case("lora_peft_fused", load_sd(), SD_INFO,
         [lora(peft_file, "peft"), ["fuse_lora", [], {"lora_scale": 0.7}]], dict(call), 7,
         "fuse_lora(lora_scale=0.7): W + 0.7 * scaling * B @ A in every targeted layer; the LoRA branch is not run")
    case("lora_peft_disabled", load_sd(), SD_INFO,
         [lora(peft_file, "peft"), ["disable_lora", [], {}]], dict(call), 7,
         "disable_lora: the base image")
    case("ti_one", load_sd(), SD_INFO, [["load_textual_inversion", ["@adapters/ti_one.safetensors"], {}]],
         dict(call, prompt="a photo of <tiny-cat> riding a horse on mars"), 8)
    case("ti_three", load_sd(), SD_INFO, [["load_textual_inversion", ["@adapters/ti_three_a1111.safetensors"], {"token": "<tri>"}]],
         dict(call, prompt="a <tri> painting of a horse", negative_prompt="blurry <tri>"), 9,
         "three vectors: <tri> becomes '<tri> <tri>_1 <tri>_2' in prompt and negative prompt (maybe_convert_prompt)")
    case("lora_kohya_with_ti", load_sd(), SD_INFO,
         [lora(kohya_file, "kohya"),
          ["load_textual_inversion", ["@adapters/ti_one.safetensors"], {}]],
         dict(call, prompt="a photo of <tiny-cat> riding a horse on mars", cross_attention_kwargs={"scale": 0.8}), 10)

    xcall = {"prompt": P, "negative_prompt": N, "num_inference_steps": 4, "height": 64, "width": 64, "output_type": "np"}
    case("sdxl_lora_kohya", load_sdxl(), SDXL_INFO, [lora(("@adapters", "sdxl_kohya.safetensors"), "xl")],
         dict(xcall), 11, "UNet and both text encoders (lora_te1_ -> text_encoder, lora_te2_ -> text_encoder_2)")
    case("sdxl_lora_kohya_scale0.5", load_sdxl(), SDXL_INFO,
         [lora(("@adapters", "sdxl_kohya.safetensors"), "xl")],
         dict(xcall, cross_attention_kwargs={"scale": 0.5}), 11)
    # SDXL textual inversion: diffusers' documented two calls, one per encoder (token required: the value is a tensor)
    from safetensors.torch import load_file
    ti = load_file(os.path.join(ADAPTERS, "sdxl_ti.safetensors"))
    xl = load_sdxl()
    xl.load_textual_inversion(ti["clip_l"], token="<xl-tok>", text_encoder=xl.text_encoder, tokenizer=xl.tokenizer)
    xl.load_textual_inversion(ti["clip_g"], token="<xl-tok>", text_encoder=xl.text_encoder_2, tokenizer=xl.tokenizer_2)
    case("sdxl_ti", xl, SDXL_INFO, [], dict(xcall, prompt="a <xl-tok> riding a horse on mars"), 12,
         "setup (not replayable by name): load_textual_inversion(state_dict['clip_l'], token='<xl-tok>', text_encoder=pipe.text_encoder, "
         "tokenizer=pipe.tokenizer) then the same with 'clip_g', text_encoder_2 and tokenizer_2")
    CASES[-1]["setup"] = [["load_textual_inversion", ["@adapters/sdxl_ti.safetensors"], {"token": "<xl-tok>"}]]

    write_json(os.path.join(OUT, "manifest.json"), {
        "about": "LoRA and textual-inversion reference cases made by the real diffusers 0.30.3 with peft 0.12.0 (see README.md); "
                 "case format of ../reference/manifest.json plus setup (the adapter calls made before the call; '@' paths are "
                 "relative to this folder), lora_layers (every peft layer: r, lora_alpha, scaling per adapter) and the "
                 "pipeline's active / listed adapters",
        "versions": dict(refenv.versions(), peft=peft.__version__),
        "adapters": FILES,
        "cases": CASES,
    })
    log("done", len(CASES))


main()

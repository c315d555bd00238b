"""Records pipeline-core/src/test/resources/reference-flow/transformers/ with the real diffusers 0.30.3: tiny
SD3Transformer2DModel and FluxTransformer2DModel checkpoints (seeded random weights, EVERY parameter re-drawn so that
no zero-initialised path stays silent, float32, save_pretrained), their outputs on seeded inputs, the intermediate
tensors of the first blocks (to localise a divergence) and manifest.json.

    /tmp/t2env/bin/python scripts/reference/gen_mmdit.py --out OUT     # writes OUT/reference-flow/transformers/

(everything in that folder is rewritten except its hand-written README.md)

With ``--out pipeline-core/src/test/resources`` it rewrites the committed files. diffusers 0.30.3's SD3 / FLUX
attention processors call F.scaled_dot_product_attention, so this recorder runs with torch 2 (refenv profile "flow",
scripts/reference/requirements-flow.txt). Deterministic: two runs write identical files.

Models (folders under transformers/, each a save_pretrained folder: config.json + diffusion_pytorch_model.safetensors):
* sd3: SD3Transformer2DModel(sample_size=16, patch_size=2, in/out 16, 2 layers (the last one context_pre_only),
  4 heads x 8, joint 96, caption projection 32, pooled 64, pos_embed_max_size 24: the cropped position table);
* sd3-nomax: pos_embed_max_size None (the un-cropped table, recomputed for a non-square input), 1 layer (only the
  context_pre_only block), out_channels 8 != in_channels 4;
* flux / flux-guidance: FluxTransformer2DModel(patch_size 1, in 64, 1 double + 2 single blocks, 2 heads x 16,
  joint 96, pooled 32, axes_dims_rope [4, 6, 6]), guidance_embeds False / True.
Every case folder holds its inputs, the output and the named intermediates (see manifest.json).
"""
import refenv  # noqa: I001

torch = refenv.setup(profile="flow")

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

from diffusers import FluxTransformer2DModel, SD3Transformer2DModel  # noqa: E402
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline  # noqa: E402

from refrec import Store, log, write_json  # noqa: E402

_ap = argparse.ArgumentParser()
_ap.add_argument("--out", required=True, help="output root; writes OUT/reference-flow/transformers/")
ARGS = _ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-flow", "transformers")
os.makedirs(OUT, exist_ok=True)
for _entry in os.listdir(OUT):   # a fresh folder, but the hand-written README.md stays
    if _entry != "README.md":
        _path = os.path.join(OUT, _entry)
        shutil.rmtree(_path) if os.path.isdir(_path) else os.remove(_path)
STORE = Store(OUT)

SD3 = dict(sample_size=16, patch_size=2, in_channels=16, out_channels=16, num_layers=2, attention_head_dim=8,
           num_attention_heads=4, joint_attention_dim=96, caption_projection_dim=32, pooled_projection_dim=64,
           pos_embed_max_size=24)
SD3_NOMAX = dict(sample_size=8, patch_size=2, in_channels=4, out_channels=8, num_layers=1, attention_head_dim=8,
                 num_attention_heads=2, joint_attention_dim=24, caption_projection_dim=16, pooled_projection_dim=12,
                 pos_embed_max_size=None)
FLUX = dict(patch_size=1, in_channels=64, num_layers=1, num_single_layers=2, attention_head_dim=16,
            num_attention_heads=2, joint_attention_dim=96, pooled_projection_dim=32, axes_dims_rope=[4, 6, 6])
MODELS = {
    "sd3": (SD3Transformer2DModel, 50, SD3),
    "sd3-nomax": (SD3Transformer2DModel, 51, SD3_NOMAX),
    "flux": (FluxTransformer2DModel, 52, dict(FLUX, guidance_embeds=False)),
    "flux-guidance": (FluxTransformer2DModel, 53, dict(FLUX, guidance_embeds=True)),
}


def randomise(model, seed):
    """Re-draws every parameter (diffusers 0.30.3 leaves none at zero here, but its init scales hide paths):
    matrices and kernels ~ N(0, 1/fan_in), norm scales ~ 1 + 0.2 N, other vectors ~ 0.2 N. Buffers (the SD3 position
    table) keep their computed values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if p.dim() >= 2:
                p.copy_(r / (p[0].numel() ** 0.5))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * r)
            else:
                p.copy_(0.2 * r)


def build(name):
    cls, seed, kwargs = MODELS[name]
    torch.manual_seed(seed)
    model = cls(**kwargs)
    randomise(model, seed + 1000)
    d = os.path.join(OUT, name)
    model.save_pretrained(d, safe_serialization=True)
    cf = os.path.join(d, "config.json")
    c = json.load(open(cf))
    c.pop("_name_or_path", None)
    json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    loaded = cls.from_pretrained(d).eval()
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    log(f"{name}: {cls.__name__} with {sum(v.numel() for v in a.values())} values")
    return loaded


class Taps:
    """Forward hooks that keep a copy of named submodules' outputs (read-only)."""

    def __init__(self, model, names):
        self.out = {}
        self.handles = []
        modules = dict(model.named_modules())
        for n in names:
            if n not in modules:   # e.g. transformer_blocks.1 of a one-block model
                continue
            self.handles.append(modules[n].register_forward_hook(self._hook(n)))

    def _hook(self, name):
        def hook(module, args, output):
            if name not in self.out:  # the first call (time_proj runs twice with guidance)
                self.out[name] = tuple(o.detach().clone() if o is not None else None for o in output) \
                    if isinstance(output, tuple) else output.detach().clone()
        return hook

    def close(self):
        for h in self.handles:
            h.remove()


CASES = []


def record(case, model_name, inputs, output, taps, notes):
    files = {k: STORE.save(f"{case}/{k}.npy", v) for k, v in inputs.items()}
    files["output"] = STORE.save(f"{case}/output.npy", output)
    for name, value in taps.items():
        if isinstance(value, tuple):
            for i, v in enumerate(value):
                if v is not None:
                    files[f"{name}.{i}"] = STORE.save(f"{case}/{name}.{i}.npy", v)
        else:
            files[name] = STORE.save(f"{case}/{name}.npy", value)
    CASES.append({"case": case, "model": model_name, "files": files, "notes": notes})
    log(f"{case}: output {tuple(output.shape)} max |x| {output.abs().max().item():.4g}")


# ------------------------------------------------------------------------------------------------- SD3
SD3_TAPS = ["pos_embed", "time_text_embed", "context_embedder", "transformer_blocks.0", "transformer_blocks.1",
            "norm_out"]


def sd3_case(case, model_name, model, seed, batch, height, width, text_len, timesteps, taps, notes):
    cfg = model.config
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn((batch, cfg.in_channels, height, width), generator=g)
    encoder = torch.randn((batch, text_len, cfg.joint_attention_dim), generator=g)
    pooled = torch.randn((batch, cfg.pooled_projection_dim), generator=g)
    timestep = torch.tensor(timesteps, dtype=torch.float32)
    t = Taps(model, taps)
    with torch.no_grad():
        out = model(hidden_states=hidden, encoder_hidden_states=encoder, pooled_projections=pooled,
                    timestep=timestep).sample
    t.close()
    record(case, model_name, {"hidden_states": hidden, "encoder_hidden_states": encoder,
                              "pooled_projections": pooled, "timestep": timestep}, out, t.out, notes)


sd3 = build("sd3")
sd3_case("sd3_16x16_batch2", "sd3", sd3, 60, 2, 16, 16, 7, [980.0, 371.25], SD3_TAPS,
         "two timesteps; transformer_blocks.1 is the context_pre_only block (its encoder output is None)")
sd3_case("sd3_24x16", "sd3", sd3, 61, 1, 24, 16, 11, [500.0], SD3_TAPS,
         "non-square latents: the 24x24-patch table cropped to 12x8 (top 6, left 8)")
sd3_case("sd3_32x48", "sd3", sd3, 62, 1, 32, 48, 5, [1.5], SD3_TAPS,
         "latents larger than sample_size: 16x24 patches, the crop reaches the table's edge (width 24)")
sd3_nomax = build("sd3-nomax")
sd3_case("sd3nomax_8x8", "sd3-nomax", sd3_nomax, 63, 2, 8, 8, 6, [10.0, 999.0], SD3_TAPS,
         "pos_embed_max_size None: the stored 4x4 table")
sd3_case("sd3nomax_8x12", "sd3-nomax", sd3_nomax, 64, 1, 8, 12, 3, [640.0], SD3_TAPS,
         "pos_embed_max_size None: a 4x6 table recomputed (base_size 4)")

# ------------------------------------------------------------------------------------------------- FLUX
FLUX_TAPS = ["x_embedder", "time_text_embed", "context_embedder", "pos_embed", "transformer_blocks.0",
             "single_transformer_blocks.0", "single_transformer_blocks.1", "norm_out"]


def flux_case(case, model_name, model, seed, batch, height, width, text_len, timesteps, guidance, notes):
    """Inputs as FluxPipeline builds them: latents [B, C/4, h, w] packed by _pack_latents into [B, h/2 * w/2, C],
    img_ids from _prepare_latent_image_ids, txt_ids zeros [B, T, 3], timestep t / 1000, guidance expanded."""
    cfg = model.config
    channels = cfg.in_channels // 4
    g = torch.Generator().manual_seed(seed)
    latents = torch.randn((batch, channels, height, width), generator=g)
    hidden = FluxPipeline._pack_latents(latents, batch, channels, height, width)
    encoder = torch.randn((batch, text_len, cfg.joint_attention_dim), generator=g)
    pooled = torch.randn((batch, cfg.pooled_projection_dim), generator=g)
    txt_ids = torch.zeros(batch, text_len, 3)
    img_ids = FluxPipeline._prepare_latent_image_ids(batch, height, width, torch.device("cpu"), torch.float32)
    timestep = torch.tensor(timesteps, dtype=torch.float32) / 1000
    inputs = {"hidden_states": hidden, "encoder_hidden_states": encoder, "pooled_projections": pooled,
              "timestep": timestep, "txt_ids": txt_ids, "img_ids": img_ids}
    guidance_tensor = None
    if guidance is not None:
        guidance_tensor = torch.tensor([guidance]).expand(batch)
        inputs["guidance"] = guidance_tensor
    t = Taps(model, FLUX_TAPS)
    with torch.no_grad():
        out = model(hidden_states=hidden, encoder_hidden_states=encoder, pooled_projections=pooled,
                    timestep=timestep, img_ids=img_ids, txt_ids=txt_ids, guidance=guidance_tensor).sample
    t.close()
    record(case, model_name, inputs, out, t.out, notes)


flux = build("flux")
flux_case("flux_8x8_text7", "flux", flux, 70, 1, 8, 8, 7, [1000.0], None, "16 image tokens, 7 text tokens")
flux_case("flux_8x12_text32_batch2", "flux", flux, 71, 2, 8, 12, 32, [750.0, 333.0], None,
          "non-square: 4x6 image tokens; batch 2 with two timesteps")
flux_g = build("flux-guidance")
flux_case("fluxg_8x8_text7", "flux-guidance", flux_g, 72, 1, 8, 8, 7, [1000.0], 3.5, "guidance 3.5")
flux_case("fluxg_8x12_text32_batch2", "flux-guidance", flux_g, 73, 2, 8, 12, 32, [600.0, 25.0], 3.5,
          "guidance 3.5 for both rows")
flux_case("fluxg_32x32_text7", "flux-guidance", flux_g, 74, 1, 32, 32, 7, [875.0], 4.0,
          "256 image + 7 text tokens: 263 keys, enough for the Java port's fused attention kernel on the CPU")

manifest = {"generated_by": "scripts/reference/gen_mmdit.py", "versions": refenv.versions(),
            "models": {name: {"class": cls.__name__, "seed": seed, "kwargs": kwargs,
                              "weights": "every parameter re-drawn after construction (generator seed + 1000): "
                                         "matrices N(0, 1/fan_in), norm weights 1 + 0.2 N, other vectors 0.2 N"}
                       for name, (cls, seed, kwargs) in MODELS.items()},
            "inputs": "per case generator torch.Generator().manual_seed(seed) drawing, in order: hidden (SD3: "
                      "[B, C, H, W]; FLUX: latents [B, C/4, h, w] then _pack_latents), encoder_hidden_states, "
                      "pooled_projections",
            "taps": "NAME.npy (or NAME.I.npy for tuple outputs) = the output of the submodule NAME on its first call; "
                    "transformer_blocks.N.0 = encoder_hidden_states, .1 = hidden_states (diffusers' return order)",
            "tolerance": "max abs 1e-4 (float32)",
            "cases": CASES}
write_json(os.path.join(OUT, "manifest.json"), manifest)
log("ok", OUT)

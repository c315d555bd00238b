"""Records pipeline-core/src/test/resources/reference-tiny-vae/ with the real diffusers 0.30.3: a tiny random
AutoencoderTiny (TAESD layout) checkpoint, its encode / decode outputs, and StableDiffusionPipeline /
StableDiffusionImg2ImgPipeline runs on the tiny-sd fixture with that VAE swapped in. See README.md.

    /usr/bin/python3 scripts/reference/gen_tiny_vae.py --out OUT        # writes OUT/reference-tiny-vae/
"""
import refenv  # noqa: I001

torch = refenv.setup()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
from diffusers import (AutoencoderTiny, StableDiffusionImg2ImgPipeline,  # noqa: E402
                       StableDiffusionPipeline)

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True, help="output root; writes OUT/reference-tiny-vae/")
ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture")
ARGS = ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-tiny-vae")
FIXTURE = os.path.join(ARGS.resources, "tiny-sd")
VAE_DIR = os.path.join(OUT, "tiny-taesd")

# TAESD's layout with fewer channels/blocks: encoder 16 channels (one stride-2 conv), decoder 24 channels (24 input
# channels exercise the CPU convolution padding of models.nn.Conv2d), one nearest 2x upsample: vae_scale_factor 2,
# as the fixture's AutoencoderKL.
SPEC = {"seed": 30, "kwargs": dict(in_channels=3, out_channels=3, encoder_block_out_channels=(16, 16),
                                   decoder_block_out_channels=(24, 24), act_fn="relu", latent_channels=4,
                                   upsampling_scaling_factor=2, num_encoder_blocks=(1, 2), num_decoder_blocks=(2, 1),
                                   latent_magnitude=3, latent_shift=0.5, scaling_factor=1.0)}


def save(name, arr):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(arr.detach().cpu().numpy().astype(np.float32)))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    torch.manual_seed(SPEC["seed"])
    vae = AutoencoderTiny(**SPEC["kwargs"])
    # random init leaves the final convs near zero: give every weight a visible scale so that errors show
    with torch.no_grad():
        g = torch.Generator().manual_seed(SPEC["seed"] + 1)
        for name, p in vae.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 / max(1, p[0].numel()) ** 0.5))
    vae.save_pretrained(VAE_DIR, safe_serialization=True)
    cf = os.path.join(VAE_DIR, "config.json")
    c = json.load(open(cf)); c.pop("_name_or_path", None); json.dump(c, open(cf, "w"), indent=2, sort_keys=True)
    vae = AutoencoderTiny.from_pretrained(VAE_DIR).eval()

    g = torch.Generator().manual_seed(0)
    latents = torch.randn((2, 4, 8, 8), generator=g) * 2
    image = torch.rand((2, 3, 16, 16), generator=g) * 2 - 1
    with torch.no_grad():
        decoded = vae.decode(latents).sample
        encoded = vae.encode(image).latents
        roundtrip = vae(image).sample
    save("decode_latents.npy", latents)
    save("decode_sample.npy", decoded)
    save("encode_image.npy", image)
    save("encode_latents.npy", encoded)
    save("forward_sample.npy", roundtrip)

    prompt = "a photo of an astronaut riding a horse on mars"
    t2i = StableDiffusionPipeline.from_pretrained(FIXTURE, vae=vae, safety_checker=None, requires_safety_checker=False)
    t2i.set_progress_bar_config(disable=True)
    with torch.no_grad():
        out = t2i(prompt, num_inference_steps=3, guidance_scale=7.5, generator=torch.Generator().manual_seed(0),
                  output_type="np").images
    np.save(os.path.join(OUT, "t2i_pndm_3steps_seed0.npy"), out.astype(np.float32))

    i2i = StableDiffusionImg2ImgPipeline(**t2i.components)
    i2i.set_progress_bar_config(disable=True)
    from PIL import Image
    init = Image.open(os.path.join(ARGS.resources, "reference", "inputs", "image_64x64.png")).convert("RGB")
    with torch.no_grad():
        out = i2i(prompt, image=init, strength=0.7, num_inference_steps=4, guidance_scale=7.5,
                  generator=torch.Generator().manual_seed(1), output_type="np").images
    np.save(os.path.join(OUT, "i2i_pndm_4steps_strength0.7_seed1.npy"), out.astype(np.float32))

    manifest = {"diffusers": "0.30.3", "vae": {"class": "AutoencoderTiny", **SPEC,
                                               "note": "weights then replaced by randn * 0.5/sqrt(fan_in), generator seed+1"},
                "decode": "decode_latents.npy [2,4,8,8] = randn(seed 0) * 2 -> vae.decode(latents).sample",
                "encode": "encode_image.npy [2,3,16,16] = rand * 2 - 1 (same generator, after the latents) -> vae.encode(image).latents",
                "forward": "vae(encode_image).sample (latents quantised to 8 bits through scale_latents/unscale_latents)",
                "t2i": {"pipeline": "StableDiffusionPipeline(tiny-sd, vae=tiny-taesd)", "prompt": prompt, "steps": 3,
                        "guidance_scale": 7.5, "seed": 0, "scheduler": "PNDMScheduler (the fixture's)", "output_type": "np"},
                "i2i": {"pipeline": "StableDiffusionImg2ImgPipeline(same components)", "prompt": prompt,
                        "image": "reference/inputs/image_64x64.png (PIL, RGB)", "strength": 0.7, "steps": 4,
                        "guidance_scale": 7.5, "seed": 1, "output_type": "np"}}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print("ok", OUT)


main()

"""What gen_sdxl.py and gen_sdxl_image.py share: the recording environment, the output folder (OUT/reference-sdxl),
the fixture and a run_pipeline_case bound to that folder (recording hooks of refrec.py). See README.md."""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import json  # noqa: E402,F401
import os  # noqa: E402
import shutil  # noqa: E402,F401

import diffusers  # noqa: E402,F401
import transformers  # noqa: E402,F401
from diffusers import (  # noqa: E402,F401
    AutoencoderKL, DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
    UNet2DConditionModel)

import refrec  # noqa: E402
from refrec import Store, describe_sched, jsonable, write_json  # noqa: E402,F401

_ap = argparse.ArgumentParser()
_ap.add_argument("--out", required=True, help="output root; the SDXL recorders write OUT/reference-sdxl/")
_ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture "
                 "(and reference/inputs, used when OUT/reference/inputs does not exist)")
ARGS = _ap.parse_args()
OUT = os.path.join(ARGS.out, "reference-sdxl")
FIXTURE = os.path.join(ARGS.resources, "tiny-sd")
os.makedirs(OUT, exist_ok=True)
# case inputs are written relative to this folder: "../reference/inputs/..." (gen_reference.py's inputs, else the
# committed ones) and "<case>/output_latents.npy" (an earlier case of this run)
INPUT_DIRS = [OUT, os.path.join(ARGS.resources, "reference-sdxl")]
STORE = Store(OUT)
CASES = []


SIZE_KEYS = ("original_size", "crops_coords_top_left", "target_size", "negative_original_size",
             "negative_crops_coords_top_left", "negative_target_size")


def run_pipeline_case(name, group, pipe, info, sched_info, call, gen, notes=None, unet_io=False):
    """refrec.run_pipeline_case into OUT; the SDXL size arguments (lists in the manifest) are passed as tuples."""
    return refrec.run_pipeline_case(STORE, CASES, name, group, pipe, info, sched_info, call, gen, notes=notes, unet_io=unet_io,
                                    inputs_dir=INPUT_DIRS, tuple_keys=SIZE_KEYS)

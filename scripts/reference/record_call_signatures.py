#!/usr/bin/env python3
"""Records the keyword arguments of the diffusers pipelines' __call__ methods (no torch needed: the source is parsed).

Usage: record_call_signatures.py DIFFUSERS_SRC OUT.json
  DIFFUSERS_SRC: a diffusers source checkout at tag v0.30.3 (its `src/diffusers` folder or the checkout root).
Writes {"diffusers_version": ..., "pipelines": {ClassName: [argument, ...]}} for the pipeline classes Diffusers4J
implements; PipelineContractTest checks each pipeline's accepted argument groups against it.
"""
import ast
import json
import pathlib
import sys

PIPELINES = {
    "StableDiffusionPipeline": "pipelines/stable_diffusion/pipeline_stable_diffusion.py",
    "StableDiffusionImg2ImgPipeline": "pipelines/stable_diffusion/pipeline_stable_diffusion_img2img.py",
    "StableDiffusionInpaintPipeline": "pipelines/stable_diffusion/pipeline_stable_diffusion_inpaint.py",
    "StableDiffusionXLPipeline": "pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl.py",
    "StableDiffusionXLImg2ImgPipeline": "pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl_img2img.py",
    "StableDiffusionXLInpaintPipeline": "pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl_inpaint.py",
    "LatentConsistencyModelPipeline": "pipelines/latent_consistency_models/pipeline_latent_consistency_text2img.py",
    "DDPMPipeline": "pipelines/ddpm/pipeline_ddpm.py",
    "DDIMPipeline": "pipelines/ddim/pipeline_ddim.py",
    "DanceDiffusionPipeline": "pipelines/dance_diffusion/pipeline_dance_diffusion.py",
    "StableDiffusion3Pipeline": "pipelines/stable_diffusion_3/pipeline_stable_diffusion_3.py",
    "FluxPipeline": "pipelines/flux/pipeline_flux.py",
}


def call_arguments(source: pathlib.Path, class_name: str) -> list:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__call__":
                    args = item.args
                    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
                    return [n for n in names if n != "self"]
    raise SystemExit(f"{source}: no {class_name}.__call__")


def main() -> None:
    root = pathlib.Path(sys.argv[1])
    package = root / "src" / "diffusers" if (root / "src" / "diffusers").is_dir() else root
    version = "unknown"
    for line in (package / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            version = line.split("=", 1)[1].strip().strip('"')
    out = {"diffusers_version": version,
           "pipelines": {name: call_arguments(package / rel, name) for name, rel in PIPELINES.items()}}
    pathlib.Path(sys.argv[2]).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Shared recording helpers of the diffusers reference recorders (see README.md).

Call refenv.setup() before importing this module. Read-only hooks, no behaviour change:

* ``randn_tensor``: the module-level name is replaced in every loaded diffusers module by a wrapper that calls the
  original and keeps a copy of the result, with the innermost diffusers frames that called it;
* ``unet.forward`` is wrapped to record every timestep plus the first call's sample, encoder_hidden_states,
  added_cond_kwargs and output;
* ``pipeline.prepare_latents`` / ``prepare_mask_latents`` / ``get_guidance_scale_embedding`` are wrapped to keep
  their arguments and return values;
* ``callback_on_step_end`` copies ``latents`` after every loop iteration.
"""
import contextlib
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

import diffusers
import diffusers.utils.torch_utils as _torch_utils

_ORIGINAL_RANDN = _torch_utils.randn_tensor
_DIFFUSERS_DIR = os.path.dirname(os.path.abspath(diffusers.__file__)) + os.sep
_active_draws = []  # stack of lists; the innermost recorder gets the draws

P = "a photo of an astronaut riding a horse on mars"
N = "low quality, blurry"
P2 = ["a red car in the rain", "a bowl of fruit, still life"]
N2 = ["low quality, blurry", "ugly"]


# ----------------------------------------------------------------------------------------------- json / npy
def jsonable(o):
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    if isinstance(o, torch.dtype):
        return str(o)
    if isinstance(o, torch.Tensor):
        return jsonable(o.tolist())
    return o


def write_json(path, obj, indent=1):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(jsonable(obj), f, indent=indent, ensure_ascii=True)


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.dtype == np.float64:
        raise TypeError("float64 array: the references are float32")
    return np.ascontiguousarray(x)


class Store:
    """Writes .npy files under a root folder; file entries carry paths relative to that root."""

    def __init__(self, root):
        self.root = root

    def save(self, rel, arr, meaning=None):
        a = to_numpy(arr)
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.save(path, a)
        e = {"file": rel, "shape": list(a.shape), "dtype": str(a.dtype)}
        if meaning is not None:
            e["meaning"] = meaning
        return e


# ----------------------------------------------------------------------------------------------- randn_tensor
_THIS_FILE = os.path.abspath(__file__)


def _callers(frame, limit=4):
    """The innermost diffusers frames (file:function) up to the first frame outside diffusers; the recording
    wrappers of this module are skipped."""
    out = []
    while frame is not None and len(out) < limit:
        fn = os.path.abspath(frame.f_code.co_filename)
        if fn == _THIS_FILE:
            frame = frame.f_back
            continue
        if not fn.startswith(_DIFFUSERS_DIR):
            break
        out.append(f"{os.path.basename(fn)}:{frame.f_code.co_name}")
        frame = frame.f_back
    return out


def _recording_randn(shape, generator=None, device=None, dtype=None, layout=None):
    result = _ORIGINAL_RANDN(shape, generator=generator, device=device, dtype=dtype, layout=layout)
    if _active_draws:
        g = "list[%d]" % len(generator) if isinstance(generator, list) and len(generator) > 1 else "single"
        _active_draws[-1].append({"caller": _callers(sys._getframe(1)), "shape": list(result.shape), "generator": g,
                                  "tensor": result.detach().clone()})
    return result


def install_randn_hook():
    """(Re)install the wrapper in every diffusers module loaded so far (pipelines are imported lazily)."""
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith("diffusers"):
            continue
        if getattr(mod, "randn_tensor", None) is _ORIGINAL_RANDN:
            setattr(mod, "randn_tensor", _recording_randn)


@contextlib.contextmanager
def record_randn():
    install_randn_hook()
    draws = []
    _active_draws.append(draws)
    try:
        yield draws
    finally:
        _active_draws.pop()


def save_draws(store, case_dir, draws):
    out = []
    for i, d in enumerate(draws):
        e = store.save(f"{case_dir}/randn_{i:02d}.npy", d["tensor"])
        out.append({"index": i, "caller": d["caller"], "shape": d["shape"], "generator": d["generator"],
                    "file": e["file"], "dtype": e["dtype"]})
    return out


# ----------------------------------------------------------------------------------------------- inputs
def make_generator(spec):
    if spec is None:
        return None
    if spec["type"] == "single":
        return torch.Generator("cpu").manual_seed(spec["seed"])
    return [torch.Generator("cpu").manual_seed(s) for s in spec["seeds"]]


def _find(rel, base_dirs):
    for b in base_dirs:
        p = os.path.join(b, rel)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{rel} under none of {base_dirs}")


def resolve_call(call, base_dirs):
    """{"$png": path} -> PIL.Image.open(path) (no conversion); {"$npy": path} -> torch.from_numpy(np.load(path)); paths
    relative to the first of base_dirs (a folder or a list of folders) that has them."""
    if isinstance(base_dirs, str):
        base_dirs = [base_dirs]
    out = {}
    for k, v in call.items():
        if isinstance(v, dict) and "$png" in v:
            v = Image.open(_find(v["$png"], base_dirs))
        elif isinstance(v, dict) and "$npy" in v:
            v = torch.from_numpy(np.load(_find(v["$npy"], base_dirs)))
        out[k] = v
    return out


def describe_sched(pipe, sched_cls, overrides, built_as):
    s = pipe.scheduler
    assert type(s) is sched_cls, (type(s), sched_cls)
    return {"class": sched_cls.__name__, "built_as": built_as, "overrides": dict(overrides),
            "effective_config": dict(s.config), "order": s.order}


# ----------------------------------------------------------------------------------------------- pipeline cases
class PipelineRecorder:
    """Installs the read-only hooks on one pipeline instance for one call."""

    def __init__(self, pipe, guidance_embedding=True):
        self.pipe = pipe
        self.guidance_embedding = guidance_embedding
        self.unet_calls = []
        self.unet_first = None
        self.prepare_latents = []
        self.prepare_mask_latents = []
        self.guidance_embeddings = []
        self.step_latents = []
        self._saved = {}

    def _wrap(self, obj, attr, fn):
        if not hasattr(obj, attr):
            return
        self._saved[(id(obj), attr)] = (obj, attr, obj.__dict__.get(attr, None), attr in obj.__dict__)
        setattr(obj, attr, fn)

    def __enter__(self):
        pipe = self.pipe
        unet_forward = pipe.unet.forward

        def forward(sample, timestep, *args, **kwargs):
            out = unet_forward(sample, timestep, *args, **kwargs)
            t = timestep
            self.unet_calls.append((float(t), str(t.dtype) if isinstance(t, torch.Tensor) else type(t).__name__))
            if self.unet_first is None:
                res = out[0] if isinstance(out, tuple) else out.sample
                ehs = kwargs.get("encoder_hidden_states", args[0] if args else None)
                self.unet_first = {"sample": sample.detach().clone(), "encoder_hidden_states": ehs.detach().clone(),
                                   "added_cond_kwargs": {k: v.detach().clone() for k, v in
                                                         (kwargs.get("added_cond_kwargs") or {}).items()},
                                   "out": res.detach().clone()}
            return out

        self._wrap(pipe.unet, "forward", forward)
        hooks = [("prepare_latents", self.prepare_latents), ("prepare_mask_latents", self.prepare_mask_latents)]
        if self.guidance_embedding:
            hooks.append(("get_guidance_scale_embedding", self.guidance_embeddings))
        for attr, store in hooks:
            if hasattr(pipe, attr):
                self._wrap(pipe, attr, self._recording(getattr(pipe, attr), store))
        install_randn_hook()
        return self

    @staticmethod
    def _recording(fn, store):
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            store.append((args, kwargs, result))
            return result
        return wrapper

    def callback(self, pipe, i, t, kw):
        self.step_latents.append(kw["latents"].detach().clone())
        return kw

    def __exit__(self, *exc):
        for obj, attr, old, had in self._saved.values():
            if had:
                setattr(obj, attr, old)
            else:
                delattr(obj, attr)
        return False


def run_pipeline_case(store, cases, name, group, pipe, info, sched_info, call, gen, notes=None, unet_io=False,
                      inputs_dir=None, extra_files=None, tuple_keys=()):
    """Runs pipe(**call, generator=..., callback_on_step_end=...) with the recording hooks and appends the case.

    info: checkpoint / checkpoint_note / built_as / pipeline_class entries (in that order); extra_files: {key: file
    entry} listed after the recorded files; tuple_keys: call entries passed as tuples; unet_io: also record the first UNet call's input/output (and SDXL's
    added_cond_kwargs) and the guidance-scale embedding (timestep_cond)."""
    case = {"name": name, "group": group, "kind": "pipeline"}
    case.update(info)
    case["scheduler"] = sched_info
    case["call"] = call
    case["generator"] = gen
    if notes:
        case["notes"] = notes
    kwargs = resolve_call(call, inputs_dir or store.root)
    for k in tuple_keys:  # JSON lists -> the tuples the pipeline expects (SDXL sizes are concatenated with tuples)
        if isinstance(kwargs.get(k), list):
            kwargs[k] = tuple(kwargs[k])
    generator = make_generator(gen)
    rec = PipelineRecorder(pipe, guidance_embedding=unet_io)
    with rec, record_randn() as draws:
        out = pipe(**kwargs, generator=generator, callback_on_step_end=rec.callback)
    d = name
    files = {}
    if kwargs.get("output_type") == "latent":
        files["output_latents"] = store.save(f"{d}/output_latents.npy", out.images,
                                             "pipeline output with output_type='latent' (final latents, not divided by scaling_factor)")
    else:
        files["image"] = store.save(f"{d}/image.npy", out.images, "output_type='np': float32 NHWC in [0,1]")
    files["step_latents"] = store.save(f"{d}/step_latents.npy", torch.stack(rec.step_latents),
                                       "latents after each denoising-loop iteration i (callback_on_step_end), [iterations, B, C, h, w]")
    first = rec.unet_first
    files["prompt_embeds"] = store.save(f"{d}/prompt_embeds.npy", first["encoder_hidden_states"],
                                        "encoder_hidden_states given to the UNet (cat([negative, positive]) when CFG is on)")
    if unet_io:
        ack = first["added_cond_kwargs"]
        if "text_embeds" in ack:
            files["add_text_embeds"] = store.save(f"{d}/add_text_embeds.npy", ack["text_embeds"],
                                                  "added_cond_kwargs text_embeds given to the UNet (cat([negative_pooled, pooled]) when CFG is on)")
        if "time_ids" in ack:
            files["add_time_ids"] = store.save(f"{d}/add_time_ids.npy", ack["time_ids"],
                                               "added_cond_kwargs time_ids given to the UNet (after the CFG cat and .repeat(batch*n, 1))")
        files["unet_input_0"] = store.save(f"{d}/unet_input_0.npy", first["sample"],
                                           "sample given to the UNet at the first call (after CFG doubling, scale_model_input and, for 9-channel inpainting, mask/masked-image concat)")
        files["unet_output_0"] = store.save(f"{d}/unet_output_0.npy", first["out"],
                                            "raw UNet output at the first call (before guidance)")
    if rec.prepare_latents:
        args, kw, result = rec.prepare_latents[0]
        latents = result[0] if isinstance(result, tuple) else result
        files["initial_latents"] = store.save(f"{d}/initial_latents.npy", latents,
                                              "latents returned by prepare_latents (the loop's starting latents)")
        if isinstance(result, tuple):
            files["prepare_latents_noise"] = store.save(f"{d}/prepare_latents_noise.npy", result[1],
                                                        "noise returned by prepare_latents(return_noise=True)")
            if len(result) > 2:
                files["image_latents"] = store.save(f"{d}/image_latents.npy", result[2],
                                                    "image latents returned by prepare_latents(return_image_latents=True) (= vae posterior sample * scaling_factor)")
        image = kw.get("image", args[0] if args else None)
        if isinstance(image, torch.Tensor) and image.ndim == 4 and image.shape[1] == 3:
            files["preprocessed_image"] = store.save(f"{d}/preprocessed_image.npy", image,
                                                     "image after image_processor.preprocess ([-1,1], NCHW) as given to prepare_latents")
    if rec.prepare_mask_latents:
        args, kw, result = rec.prepare_mask_latents[0]
        files["mask_condition"] = store.save(f"{d}/mask_condition.npy", args[0] if args else kw["mask"],
                                             "mask after mask_processor.preprocess (binarized, [B,1,H,W])")
        files["mask_latents"] = store.save(f"{d}/mask_latents.npy", result[0],
                                           "mask from prepare_mask_latents (interpolated to latent size, doubled for CFG)")
        files["masked_image_latents"] = store.save(f"{d}/masked_image_latents.npy", result[1],
                                                   "masked_image_latents from prepare_mask_latents (vae sample * scaling_factor, doubled for CFG)")
    guidance_w = None
    if rec.guidance_embeddings:
        args, kw, result = rec.guidance_embeddings[0]
        w = args[0] if args else kw["w"]
        guidance_w = [float(x) for x in w.flatten()]
        files["timestep_cond"] = store.save(f"{d}/timestep_cond.npy", result,
                                            "get_guidance_scale_embedding(w, embedding_dim=time_cond_proj_dim): the UNet's timestep_cond")
    for key, entry in (extra_files or {}).items():
        files[key] = entry
    case["files"] = files
    case["randn_draws_in_order"] = save_draws(store, d, draws)
    case["timesteps_used"] = [t for t, _ in rec.unet_calls]
    case["timesteps_dtype"] = rec.unet_calls[0][1]
    case["num_unet_calls"] = len(rec.unet_calls)
    case["num_loop_iterations"] = len(rec.step_latents)
    s = pipe.scheduler
    case["scheduler_timesteps_after_call"] = [float(t) for t in s.timesteps]
    if getattr(s, "sigmas", None) is not None:
        case["scheduler_sigmas_after_call"] = [float(x) for x in s.sigmas]
    case["init_noise_sigma"] = float(s.init_noise_sigma)
    if guidance_w is not None:
        case["guidance_w"] = guidance_w
    cases.append(case)
    return case


def log(*a):
    print(*a, flush=True)

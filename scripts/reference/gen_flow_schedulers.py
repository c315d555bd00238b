"""Records pipeline-core/src/test/resources/schedulers/flow_match_refs.json.gz with the real diffusers 0.30.3: the
flow-matching schedulers FlowMatchEulerDiscreteScheduler (SD3, FLUX) and FlowMatchHeunDiscreteScheduler.

    /usr/bin/python3 scripts/reference/gen_flow_schedulers.py --out OUT      # writes OUT/schedulers/flow_match_refs.json.gz

Debian's torch env (the default refenv profile: torch 1.13.1, numpy 1.24.2), like gen_schedulers.py: the
schedulers are numpy float64 and torch float32 arithmetic only. The output is byte-identical between runs (fixed
seeds, gzip header without name or time).

What it records (see schedulers/README.md for the layout):

* `calculate_shift`: FluxPipeline's `calculate_shift(image_seq_len, 256, 4096, 0.5, 1.15)` (the FLUX.1 config) for a
  few image sequence lengths (packed latents: (H / 16) * (W / 16)), the `mu` values the dynamic cases use;
* `cases`: each scheduler built with `XScheduler.from_config(config_json)` (the default config, SD3's, FLUX.1-dev's
  and -schnell's scheduler_config.json, an odd one: num_train_timesteps 100, shift 1.7), with its effective config,
  the tables built at construction (timesteps / sigmas, float32, base64) and sigma_min / sigma_max, then
  - `schedules`: timesteps and sigmas after `set_timesteps(n)` for n in 1, 2, 4, 28, 50 (with `mu` for the dynamic
    config), after FLUX's own call `retrieve_timesteps(scheduler, n, "cpu", None, np.linspace(1.0, 1 / n, n),
    mu=mu)` (pipelines/flux/pipeline_flux.py), and with arbitrary `sigmas` lists;
  - `trajectories`: `step()` over a schedule from sample0 = randn(SHAPE, seed 1000) with model_output[k] =
    randn(SHAPE, seed 2000 + k), the timesteps passed as the scheduler's own float32 elements (as the pipelines do):
    prev_sample and step_index after each call; variants start later (set_begin_index, or a repeated timestep found
    by index_for_timestep), run in float16, or (Heun) pass one Generator().manual_seed(3000) to every step (the
    draws it consumes are checked by `generator_after` = 8 more draws);
  - `scale_noise`: per-row timesteps without a begin index, with set_begin_index(2), and after a step (the step
    index branch); its inputs are `scale_noise_inputs` (sample seed 4000, noise seed 4001; the step before: model
    output seed 2000 on the seed-4000 sample, float32; Heun takes the first row only), float32, and float16 for SD3's
    config (sample and noise cast with .half());
* `errors`: the exception each invalid call raises (type and message), and who raises it (`raised_by`: diffusers'
  own check, or Python / numpy / torch failing inside it).
"""
import refenv

torch = refenv.setup()

import argparse  # noqa: E402
import base64  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import diffusers  # noqa: E402
from diffusers import FlowMatchEulerDiscreteScheduler, FlowMatchHeunDiscreteScheduler  # noqa: E402
from diffusers.pipelines.flux.pipeline_flux import calculate_shift, retrieve_timesteps  # noqa: E402

from refrec import log  # noqa: E402

SHAPE = (2, 4, 4, 4)
STEPS = [1, 2, 4, 28, 50]
SEQ_LENS = [16, 256, 1024, 4080, 4096, 6144]  # 64x64 .. 1024x1024, 768x1360, beyond max_image_seq_len
EXTRA_MUS = [0.0, -0.5, 2.0]
# arbitrary custom sigmas: one with a repeated value (index_for_timestep takes the second match), one ending at 0
ARBITRARY_SIGMAS = [[1.0, 0.93, 0.8, 0.61, 0.5, 0.5, 0.27, 0.1, 0.035], [1.0, 0.75, 0.5, 0.25, 0.0], [0.42]]

DEFAULT = {}
SD3 = {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.29.0.dev0",
       "num_train_timesteps": 1000, "shift": 3.0}
FLUX_DEV = {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.30.0.dev0",
            "base_image_seq_len": 256, "base_shift": 0.5, "max_image_seq_len": 4096, "max_shift": 1.15,
            "num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True}
FLUX_SCHNELL = {"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.30.0.dev0",
                "base_image_seq_len": 256, "base_shift": 0.5, "max_image_seq_len": 4096, "max_shift": 1.15,
                "num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False}
ODD = {"num_train_timesteps": 100, "shift": 1.7}

INPUTS = ("sample0 = randn(shape, Generator().manual_seed(1000)); model_output[k] = randn(shape, seed 2000+k) for the "
          "k-th step call of a trajectory; Heun: one Generator().manual_seed(3000) passed to every step(); scale_noise: "
          "sample seed 4000, noise seed 4001; float16 trajectories cast sample0 and model outputs with .half()")


def mu_for(seq_len):
    return calculate_shift(seq_len, FLUX_DEV["base_image_seq_len"], FLUX_DEV["max_image_seq_len"],
                           FLUX_DEV["base_shift"], FLUX_DEV["max_shift"])


def b64(t):
    a = t.detach().cpu().float().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float32)
    return base64.b64encode(np.ascontiguousarray(a.astype("<f4")).tobytes()).decode("ascii")


def randn(seed):
    return torch.randn(SHAPE, generator=torch.Generator().manual_seed(seed))


def flux_sigmas(n):
    return np.linspace(1.0, 1 / n, n)  # FluxPipeline.__call__, step 5


class Case:
    def __init__(self, name, cls, config_json):
        self.name, self.cls, self.config_json = name, cls, config_json

    def build(self):
        return self.cls.from_config(self.config_json)

    def prepared(self, call):
        """A fresh scheduler after the schedule `call` describes: {"n", "sigmas", "mu", "via"}."""
        s = self.build()
        apply(s, call)
        return s


def apply(s, call):
    """set_timesteps as the call says: "set_timesteps" (num_inference_steps / sigmas / mu keyword arguments, the
    ones given) or FluxPipeline's "retrieve_timesteps" (sigmas replace n, mu passed through)."""
    sigmas = None if call["sigmas"] is None else np.array(call["sigmas"], dtype=np.float64)
    kw = {} if call["mu"] is None else {"mu": call["mu"]}
    if call["via"] == "retrieve_timesteps":
        _, n = retrieve_timesteps(s, call["n"], "cpu", None, sigmas, **kw)
        return n
    if sigmas is not None:
        kw["sigmas"] = sigmas
    if call["n"] is not None:
        kw["num_inference_steps"] = call["n"]
    s.set_timesteps(**kw)
    return None


def call(n=None, sigmas=None, mu=None, via="set_timesteps"):
    return {"via": via, "n": n, "sigmas": None if sigmas is None else [float(x) for x in sigmas], "mu": mu}


def schedule_entry(s, c, returned):
    e = {"call": c, "timesteps": [float(t) for t in s.timesteps], "timesteps_dtype": str(s.timesteps.dtype),
         "sigmas": [float(x) for x in s.sigmas], "sigmas_dtype": str(s.sigmas.dtype)}
    if returned is not None:
        e["num_inference_steps_returned"] = returned
    return e


def trajectory(case, c, start=0, count=None, begin=None, dtype=torch.float32, generator=False):
    s = case.prepared(c)
    if begin is not None:
        s.set_begin_index(begin)
    g = torch.Generator().manual_seed(3000) if generator else None
    sample = randn(1000).to(dtype)
    ts = s.timesteps[start:]
    if count is not None:
        ts = ts[:count]
    out = {"call": c, "start": start, "begin_index": begin, "dtype": str(dtype), "generator_seed": 3000 if generator else None,
           "sample0": b64(sample), "steps": []}
    for k, t in enumerate(ts):
        mo = randn(2000 + k).to(dtype)
        kw = {"generator": g} if generator else {}
        r = s.step(mo, t, sample, **kw)
        assert r.prev_sample.dtype == dtype
        out["steps"].append({"t": float(t), "model_output": b64(mo), "prev": b64(r.prev_sample), "step_index": s.step_index})
        sample = r.prev_sample
    if generator:
        out["generator_after"] = b64(torch.randn(8, generator=g))
    return out


def scale_noise_entries(case, c, dtype=torch.float32):
    sample, noise = randn(4000).to(dtype), randn(4001).to(dtype)
    out = []
    heun = case.cls is FlowMatchHeunDiscreteScheduler
    s = case.prepared(c)
    if heun:  # diffusers 0.30.3's Heun scale_noise compares the whole timestep tensor with its timesteps: one row
        ts = s.timesteps[[min(3, len(s.timesteps) - 1)]]
        x, z = sample[:1], noise[:1]
    else:
        ts = s.timesteps[[min(1, len(s.timesteps) - 1), -1]]
        x, z = sample, noise
    r = s.scale_noise(x, ts, z)
    assert r.dtype == dtype
    out.append({"call": c, "variant": "no begin index", "dtype": str(dtype), "timesteps": [float(t) for t in ts],
                "rows": x.shape[0], "out": b64(r), "step_index_after": s.step_index})
    s = case.prepared(c)
    b = min(2, len(s.timesteps) - 1)
    s.set_begin_index(b)
    ts = s.timesteps[[b] * x.shape[0]]
    r = s.scale_noise(x, ts, z)
    out.append({"call": c, "variant": "begin index", "dtype": str(dtype), "begin_index": b,
                "timesteps": [float(t) for t in ts], "rows": x.shape[0], "out": b64(r), "step_index_after": s.step_index})
    if not heun and len(s.timesteps) > 1:
        s = case.prepared(c)
        s.set_begin_index(0)
        s.step(randn(2000), s.timesteps[0], randn(4000))
        ts = s.timesteps[[1] * x.shape[0]]
        r = s.scale_noise(x, ts, z)
        out.append({"call": c, "variant": "after one step (begin index 0)", "dtype": str(dtype), "begin_index": 0,
                    "steps_before": 1,
                    "timesteps": [float(t) for t in ts], "rows": x.shape[0], "out": b64(r),
                    "step_index_after": s.step_index})
    return out


def record_case(case, calls, trajectories, scale_noise_calls):
    s = case.build()
    c = {"name": case.name, "class": case.cls.__name__, "config_json": case.config_json, "config": dict(s.config),
         "order": s.order, "train_timesteps": b64(s.timesteps), "train_sigmas": b64(s.sigmas),
         "sigma_min": s.sigma_min, "sigma_max": s.sigma_max, "schedules": []}
    for x in calls:
        s = case.build()
        returned = apply(s, x)
        c["schedules"].append(schedule_entry(s, x, returned))
    c["trajectories"] = [trajectory(case, **kw) for kw in trajectories]
    c["scale_noise"] = [e for x, dtype in scale_noise_calls for e in scale_noise_entries(case, x, dtype)]
    log(case.name, len(c["schedules"]), "schedules,", len(c["trajectories"]), "trajectories")
    return c


def static_calls():
    calls = [call(n=n) for n in STEPS]
    calls += [call(n=n, sigmas=flux_sigmas(n), mu=mu_for(4096), via="retrieve_timesteps") for n in STEPS]
    calls += [call(sigmas=x) for x in ARBITRARY_SIGMAS]
    return calls


def dynamic_calls():
    mus = [mu_for(L) for L in SEQ_LENS] + EXTRA_MUS
    calls = []
    for mu in mus:
        calls += [call(n=n, sigmas=flux_sigmas(n), mu=mu, via="retrieve_timesteps") for n in STEPS]
    for mu in (mu_for(1024), mu_for(4096), 0.0):
        calls += [call(n=n, mu=mu) for n in (1, 4, 28)]
        calls += [call(sigmas=x, mu=mu) for x in ARBITRARY_SIGMAS]
    return calls


def euler_trajectories(dynamic):
    four = call(n=4, sigmas=flux_sigmas(4), mu=mu_for(1024), via="retrieve_timesteps") if dynamic else call(n=4)
    repeated = call(sigmas=ARBITRARY_SIGMAS[0], mu=mu_for(1024) if dynamic else None)
    out = [dict(c=four), dict(c=four, start=2, begin=2), dict(c=repeated, start=4, count=3)]
    if dynamic:
        out.append(dict(c=call(n=28, sigmas=flux_sigmas(28), mu=mu_for(4096), via="retrieve_timesteps")))
    return out


def cases():
    out = []
    for name, cfg, dynamic in (("euler_default", DEFAULT, False), ("euler_sd3", SD3, False),
                               ("euler_flux_dev", FLUX_DEV, True), ("euler_flux_schnell", FLUX_SCHNELL, False),
                               ("euler_odd", ODD, False)):
        case = Case(name, FlowMatchEulerDiscreteScheduler, cfg)
        trajectories = euler_trajectories(dynamic)
        if name == "euler_sd3":
            trajectories.append(dict(c=call(n=4), dtype=torch.float16))
        four = trajectories[0]["c"]
        scale_noise = [(four, torch.float32)]
        if name == "euler_sd3":
            scale_noise.append((four, torch.float16))
        out.append(record_case(case, dynamic_calls() if dynamic else static_calls(), trajectories, scale_noise))
    for name, cfg in (("heun_default", DEFAULT), ("heun_sd3", dict(SD3, _class_name="FlowMatchHeunDiscreteScheduler")),
                      ("heun_odd", ODD)):
        case = Case(name, FlowMatchHeunDiscreteScheduler, cfg)
        four = call(n=4)
        trajectories = [dict(c=four, generator=True), dict(c=four, start=2, begin=2, generator=True),
                        dict(c=call(n=1), generator=True), dict(c=four, start=3, count=2)]
        scale_noise = [(four, torch.float32)]
        if name == "heun_sd3":
            trajectories.append(dict(c=four, dtype=torch.float16))
            scale_noise.append((four, torch.float16))
        out.append(record_case(case, [call(n=n) for n in STEPS], trajectories, scale_noise))
    return out


def error(name, cls, config_json, what, fn, raised_by):
    s = cls.from_config(config_json)
    try:
        fn(s)
    except Exception as e:  # noqa: BLE001 - the exception diffusers raises is the reference
        return {"name": name, "class": cls.__name__, "config_json": config_json, "call": what, "raised_by": raised_by,
                "type": type(e).__name__, "error": str(e)}
    raise SystemExit(f"{name}: diffusers raised nothing")


def errors():
    sig = flux_sigmas(4)

    def step_unknown(s):
        s.set_timesteps(4)
        s.step(randn(2000), torch.tensor(123.0), randn(1000))

    def step_past_end(s):
        s.set_timesteps(2)
        x = randn(1000)
        for k in range(3):
            x = s.step(randn(2000 + k), s.timesteps[min(k, 1)], x).prev_sample

    def heun_scale_noise_rows(s):
        s.set_timesteps(4)
        s.scale_noise(randn(4000), s.timesteps[[1, 1]], randn(4001))

    E, H = FlowMatchEulerDiscreteScheduler, FlowMatchHeunDiscreteScheduler
    return [
        error("dynamic_without_mu", E, FLUX_DEV, "set_timesteps(4)", lambda s: s.set_timesteps(4), "diffusers"),
        error("dynamic_sigmas_without_mu", E, FLUX_DEV, "retrieve_timesteps(s, 4, 'cpu', None, np.linspace(1, 1/4, 4))",
              lambda s: retrieve_timesteps(s, 4, "cpu", None, sig), "diffusers"),
        error("custom_timesteps", E, SD3, "retrieve_timesteps(s, None, 'cpu', [999, 500, 20])",
              lambda s: retrieve_timesteps(s, None, "cpu", [999, 500, 20]), "diffusers"),
        error("timesteps_and_sigmas", E, SD3, "retrieve_timesteps(s, None, 'cpu', [999, 500], [1.0, 0.5])",
              lambda s: retrieve_timesteps(s, None, "cpu", [999, 500], [1.0, 0.5]), "diffusers"),
        error("heun_custom_sigmas", H, SD3, "retrieve_timesteps(s, None, 'cpu', None, np.linspace(1, 1/4, 4))",
              lambda s: retrieve_timesteps(s, None, "cpu", None, sig), "diffusers"),
        error("heun_mu", H, SD3, "retrieve_timesteps(s, 4, 'cpu', mu=0.5)",
              lambda s: retrieve_timesteps(s, 4, "cpu", mu=0.5), "python"),
        error("no_steps", E, SD3, "set_timesteps()", lambda s: s.set_timesteps(), "numpy"),
        error("negative_steps", E, SD3, "set_timesteps(-1)", lambda s: s.set_timesteps(-1), "numpy"),
        error("step_unknown_timestep", E, SD3, "set_timesteps(4); step(mo, tensor(123.0), sample)", step_unknown, "torch"),
        error("step_past_end", E, SD3, "set_timesteps(2); three steps", step_past_end, "torch"),
        error("heun_scale_noise_two_rows", H, SD3, "set_timesteps(4); scale_noise(sample, timesteps[[1, 1]], noise)",
              heun_scale_noise_rows, "torch"),
    ]


def write_gz(path, obj):
    """gzip without file name or modification time in the header, so that re-runs are byte-identical."""
    data = json.dumps(obj, indent=1, ensure_ascii=True, allow_nan=False).encode("utf-8") + b"\n"
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root; writes OUT/schedulers/flow_match_refs.json.gz")
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # numpy: 1 / 0 in time_shift for a sigma of 0 (gives 0, as intended)
    refs = {"generator": f"diffusers {diffusers.__version__} (torch {torch.__version__}, numpy {np.__version__}): "
                         "scripts/reference/gen_flow_schedulers.py",
            "versions": refenv.versions(), "shape": list(SHAPE), "inputs": INPUTS,
            "scale_noise_inputs": {"sample": b64(randn(4000)), "noise": b64(randn(4001)),
                                   "model_output_before": b64(randn(2000))},
            "calculate_shift": [{"image_seq_len": L, "base_seq_len": FLUX_DEV["base_image_seq_len"],
                                 "max_seq_len": FLUX_DEV["max_image_seq_len"], "base_shift": FLUX_DEV["base_shift"],
                                 "max_shift": FLUX_DEV["max_shift"], "mu": mu_for(L)} for L in SEQ_LENS],
            "cases": cases(), "errors": errors()}
    out = os.path.join(args.out, "schedulers")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "flow_match_refs.json.gz")
    write_gz(path, refs)
    log("flow-matching schedulers ->", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

"""Environment of the diffusers reference recorders (see README.md).

Every recorder starts with ``import refenv; refenv.setup()`` before anything imports torch or numpy. ``setup()``

* re-executes the interpreter once with ``OPENBLAS_CORETYPE=Haswell`` (the OpenBLAS sgemm kernel the references
  were recorded with; it must be in the environment before libopenblas is loaded), ``PYTHONHASHSEED=0`` (stable
  order of diffusers' ``_use_default_values`` lists between re-runs) and the Hugging Face offline switches;
* puts the diffusers / transformers / huggingface_hub SOURCE checkouts on ``sys.path`` (``$REF_SRC/<name>/src``;
  ``$REF_SRC/ftfy`` too, but only with ``REF_WITH_FTFY=1``: ftfy must not be importable anywhere else);
* creates, in a temporary folder that is also put on ``sys.path``:
  - ``safetensors/`` — imports the pure-Python, format-compatible stand-in ``safetensors_standin.py`` (the Rust
    ``safetensors`` wheel is not installable in this environment);
  - ``tokenizers/`` — an import-only placeholder: transformers d6751d91 imports ``tokenizers`` unconditionally along
    ``configuration_utils -> modeling_gguf_pytorch_utils -> integrations.ggml``. It has no package metadata, so
    ``is_tokenizers_available()`` stays False and nothing of it is ever called;
  - ``<name>-<version>.dist-info/METADATA`` stubs for diffusers, transformers, huggingface_hub and safetensors
    (diffusers and transformers decide availability and versions from installed-package metadata);
* only with ``setup(with_peft=True)`` (the LoRA / textual-inversion recorder, ``gen_lora.py``): puts the peft SOURCE
  checkout (``$REF_SRC/peft/src``, tag v0.12.0) on ``sys.path`` with a ``peft-0.12.0.dist-info`` stub, so that diffusers
  uses its PEFT backend (``USE_PEFT_BACKEND``), and an import-only ``accelerate`` placeholder (peft imports it at module
  level; it has no package metadata, so diffusers and transformers still see accelerate as absent and never call it).
  Every other recorder runs without peft, as the committed references were recorded;
* checks the interpreter and library versions, sets ``torch.set_num_threads(2)`` and patches transformers' fallback
  ``AddedToken`` (``__hash__``, a copying ``__getstate__``, ``__setstate__``) so that the slow tokenizer can be
  saved and deep-copied without the ``tokenizers`` package. No numerical code is changed.
"""
import atexit
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
RESOURCES = os.path.join(REPO_ROOT, "pipeline-core", "src", "test", "resources")

TORCH_THREADS = 2
SOURCES = {
    # name: (tag or commit the references were recorded with, full commit, version reported)
    "diffusers": ("v0.30.3", "c9ff360966327ace3faad3807dc871a4e5447501", "0.30.3"),
    "transformers": ("d6751d91c8f58cdeb35af6adae182d7dc90aa883", "d6751d91c8f58cdeb35af6adae182d7dc90aa883", "4.45.0.dev0"),
    "huggingface_hub": ("v0.24.6", "23bab6a3fdb11bcdf3424f79fbe245ed4b9256ef", "0.24.6"),
}
SAFETENSORS_STANDIN_VERSION = "0.4.4"
# only for setup(with_peft=True): the peft release diffusers 0.30.3 was current with
PEFT_SOURCE = ("v0.12.0", "0.12.0")
EXPECTED = {"python": "3.11.2", "torch": "1.13.0a0", "numpy": "1.24.2", "scipy": "1.10.1", "pillow": "9.4.0"}
# setup(profile="flow"): the flow-matching recorders (SD3 / FLUX / T5). diffusers 0.30.3 runs SD3 and FLUX only on
# torch >= 2.0 (their attention processors call F.scaled_dot_product_attention), and the T5 tokenizer is the fast
# one (the Rust tokenizers package), so they run in a venv of Debian's python with the wheels below
# (scripts/reference/requirements-flow.txt); everything else is as in the default profile.
EXPECTED_FLOW = {"python": "3.11.2", "torch": "2.13.0+cpu", "numpy": "2.4.6", "scipy": "1.17.1", "pillow": "12.3.0",
                 "tokenizers": "0.22.2"}

_FORCED_ENV = {
    "OPENBLAS_CORETYPE": "Haswell",
    "PYTHONHASHSEED": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

_done = False
STUB_DIR = None


def src_root():
    return os.environ.get("REF_SRC", "/tmp/diffusers4j-ref-src")


def _reexec_if_needed(openblas_coretype):
    _FORCED_ENV["OPENBLAS_CORETYPE"] = os.environ.get("REF_OPENBLAS_CORETYPE") or openblas_coretype  # env: experiments only
    missing = {k: v for k, v in _FORCED_ENV.items() if os.environ.get(k) != v}
    if not missing:
        return
    if os.environ.get("_REFENV_REEXEC") == "1":
        raise SystemExit(f"refenv: could not set {sorted(missing)} in the environment")
    if "torch" in sys.modules or "numpy" in sys.modules:
        raise SystemExit("refenv: setup() must run before torch/numpy are imported")
    env = dict(os.environ, **_FORCED_ENV, _REFENV_REEXEC="1")
    env.setdefault("HF_HOME", os.path.join(tempfile.gettempdir(), "diffusers4j-ref-hf-home"))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


_TOKENIZERS_PLACEHOLDER = '''"""Import-only placeholder for the Rust `tokenizers` package (see scripts/reference/refenv.py).

It has no package metadata, so transformers' is_tokenizers_available() is False and nothing here is ever called;
it only lets `from tokenizers import ...` statements at module level succeed."""


class _Unavailable:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("placeholder tokenizers module: the Rust tokenizers package is not installed")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Unavailable
'''


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


_ACCELERATE_PLACEHOLDER = '''"""Import-only placeholder for `accelerate` (see scripts/reference/refenv.py, setup(with_peft=True)).

peft 0.12 imports accelerate at module level; this package has no metadata, so diffusers and transformers report
accelerate as unavailable and never call into it. Anything actually called raises."""
__version__ = "0.0.0"


class AlignDevicesHook:
    pass


class FullyShardedDataParallelPlugin:
    pass


def _unavailable(*args, **kwargs):
    raise RuntimeError("placeholder accelerate module: accelerate is not installed")


dispatch_model = infer_auto_device_map = _unavailable
'''

_ACCELERATE_HOOKS = """from . import AlignDevicesHook, _unavailable  # noqa: F401
add_hook_to_module = remove_hook_from_module = remove_hook_from_submodules = _unavailable
"""

_ACCELERATE_UTILS = """from . import _unavailable  # noqa: F401
named_module_tensors = offload_state_dict = get_balanced_memory = _unavailable


def is_npu_available(*args, **kwargs):
    return False


is_xpu_available = is_mlu_available = is_npu_available
"""


def _make_peft_stubs(d):
    _write(os.path.join(d, "accelerate", "__init__.py"), _ACCELERATE_PLACEHOLDER)
    _write(os.path.join(d, "accelerate", "hooks.py"), _ACCELERATE_HOOKS)
    _write(os.path.join(d, "accelerate", "utils.py"), _ACCELERATE_UTILS)
    version = PEFT_SOURCE[1]
    _write(os.path.join(d, f"peft-{version}.dist-info", "METADATA"),
           f"Metadata-Version: 2.1\nName: peft\nVersion: {version}\n")
    _write(os.path.join(d, f"peft-{version}.dist-info", "top_level.txt"), "peft\n")


def _make_stub_dir(real_tokenizers=False):
    d = tempfile.mkdtemp(prefix="diffusers4j-ref-env-")
    atexit.register(shutil.rmtree, d, True)
    _write(os.path.join(d, "safetensors", "__init__.py"),
           "from safetensors_standin import safe_open, SafetensorError  # noqa: F401\n"
           f"__version__ = {SAFETENSORS_STANDIN_VERSION!r}\n"
           "from . import torch  # noqa: F401,E402\n")
    _write(os.path.join(d, "safetensors", "torch.py"),
           "from safetensors_standin import (save_file, load_file, save, load, storage_ptr, storage_size,  # noqa: F401\n"
           "                                 save_model, load_model)\n")
    if not real_tokenizers:
        _write(os.path.join(d, "tokenizers", "__init__.py"), _TOKENIZERS_PLACEHOLDER)
        for sub in ("models", "decoders", "normalizers", "pre_tokenizers", "processors", "trainers"):
            _write(os.path.join(d, "tokenizers", sub + ".py"), "from . import __getattr__  # noqa: F401\n")
    versions = {name: v[2] for name, v in SOURCES.items()}
    versions["safetensors"] = SAFETENSORS_STANDIN_VERSION
    for name, version in versions.items():
        _write(os.path.join(d, f"{name}-{version}.dist-info", "METADATA"),
               f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        _write(os.path.join(d, f"{name}-{version}.dist-info", "top_level.txt"), name + "\n")
    return d


def _patch_added_token():
    import transformers.tokenization_utils_base as tub
    from transformers.utils import is_tokenizers_available
    assert not is_tokenizers_available(), "the tokenizers placeholder must not look installed"
    cls = tub.AddedToken
    cls.__hash__ = lambda self: hash(self.content)
    cls.__getstate__ = lambda self: dict(self.__dict__)
    cls.__setstate__ = lambda self, state: self.__dict__.update(state)


def _skip_tokenizers_pin():
    """profile "flow": transformers d6751d91 pins tokenizers < 0.20 in a runtime check at import; the wheel available
    is 0.22.2. Run transformers' own check for every other package, and check tokenizers against the version in
    EXPECTED_FLOW instead (a version check only; no code of the tokenizer changes)."""
    import importlib.util
    import types
    spec = importlib.util.find_spec("transformers")
    root = os.path.dirname(spec.origin)
    table = {}
    with open(os.path.join(root, "dependency_versions_table.py"), encoding="utf-8") as f:
        exec(f.read(), table)
    import importlib.metadata as md
    got = md.version("tokenizers")
    if got != EXPECTED_FLOW["tokenizers"]:
        raise SystemExit(f"refenv: profile flow expects tokenizers {EXPECTED_FLOW['tokenizers']}, found {got}")
    stand_in = types.ModuleType("transformers.dependency_versions_check")
    stand_in.deps = table["deps"]

    def dep_version_check(pkg, hint=None):
        from transformers.utils.versions import require_version
        require_version(table["deps"][pkg], hint)

    stand_in.dep_version_check = dep_version_check
    sys.modules["transformers.dependency_versions_check"] = stand_in


def _check_transformers_runtime_deps():
    """profile "flow": transformers' import-time checks (dependency_versions_check.py), tokenizers excepted."""
    from transformers.dependency_versions_table import deps
    from transformers.utils import is_accelerate_available
    from transformers.utils.versions import require_version_core
    for pkg in ("python", "tqdm", "regex", "requests", "packaging", "filelock", "numpy", "huggingface-hub",
                "safetensors", "accelerate", "pyyaml"):
        if pkg == "accelerate" and not is_accelerate_available():
            continue
        require_version_core(deps[pkg])


def setup(check_versions=True, openblas_coretype="Haswell", with_peft=False, profile="default"):
    """Prepare the recording environment; returns the torch module.

    openblas_coretype: the OpenBLAS kernel the group was recorded with: "Haswell" for everything but the scheduler
    tables (gen_schedulers.py), which were recorded with the default kernel of an AVX-512 machine, "SkylakeX" (it only
    matters for UniPC with solver_order 3, whose torch.linalg.solve goes through OpenBLAS/LAPACK).
    with_peft: also make peft importable (the LoRA recorder only; see the module docstring).
    profile: "default" (Debian's torch 1.13, no tokenizers package) or "flow" (the SD3 / FLUX / T5 recorders: a venv
    with torch 2.13 and the real tokenizers package; see EXPECTED_FLOW)."""
    if profile not in ("default", "flow"):
        raise ValueError(f"unknown refenv profile {profile!r}")
    flow = profile == "flow"
    global _done, STUB_DIR
    if _done:
        import torch
        return torch
    _reexec_if_needed(openblas_coretype)
    if not flow and sys.executable != "/usr/bin/python3" and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        print(f"refenv: warning: running {sys.executable}, the references were recorded with Debian's /usr/bin/python3",
              file=sys.stderr)
    root = src_root()
    paths = []
    for name in SOURCES:
        p = os.path.join(root, name, "src")
        if not os.path.isdir(os.path.join(p, name)):
            raise SystemExit(f"refenv: no {name} source checkout at {p} (set REF_SRC; see scripts/reference/README.md)")
        paths.append(p)
    if os.environ.get("REF_WITH_FTFY") == "1":
        # only for the supplementary ftfy tokenizer variant (gen_fixture.py): ftfy 6.1.1 source, $REF_SRC/ftfy/ftfy
        paths.append(os.path.join(root, "ftfy"))
    STUB_DIR = _make_stub_dir(real_tokenizers=flow)
    if with_peft:
        p = os.path.join(root, "peft", "src")
        if not os.path.isdir(os.path.join(p, "peft")):
            raise SystemExit(f"refenv: no peft source checkout at {p} (peft {PEFT_SOURCE[0]}; see scripts/reference/README.md)")
        paths.append(p)
        _make_peft_stubs(STUB_DIR)
    sys.path[:0] = [HERE, STUB_DIR] + paths
    import importlib.util
    if (importlib.util.find_spec("ftfy") is not None) != (os.environ.get("REF_WITH_FTFY") == "1"):
        raise SystemExit("refenv: ftfy must be importable only for the ftfy variant (REF_WITH_FTFY=1)")
    if flow:
        _skip_tokenizers_pin()
    import torch
    torch.set_num_threads(TORCH_THREADS)
    import numpy
    import scipy
    import PIL
    import diffusers
    import transformers
    import huggingface_hub
    if flow:
        _check_transformers_runtime_deps()
    else:
        _patch_added_token()
    if check_versions:
        got = {"python": "%d.%d.%d" % sys.version_info[:3], "torch": torch.__version__, "numpy": numpy.__version__,
               "scipy": scipy.__version__, "pillow": PIL.__version__}
        expected = EXPECTED_FLOW if flow else EXPECTED
        bad = {k: (v, expected[k]) for k, v in got.items() if v != expected[k]}
        for name, mod in (("diffusers", diffusers), ("transformers", transformers), ("huggingface_hub", huggingface_hub)):
            if mod.__version__ != SOURCES[name][2]:
                bad[name] = (mod.__version__, SOURCES[name][2])
        if with_peft:
            import peft
            if peft.__version__ != PEFT_SOURCE[1]:
                bad["peft"] = (peft.__version__, PEFT_SOURCE[1])
        if bad:
            print("refenv: WARNING: versions differ from the recording environment (got, expected): %s" % bad,
                  file=sys.stderr)
    _done = True
    return torch


def versions():
    import numpy
    import scipy
    import PIL
    import torch
    import diffusers
    import transformers
    import huggingface_hub
    return {"diffusers": diffusers.__version__, "transformers": transformers.__version__,
            "huggingface_hub": huggingface_hub.__version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "pillow": PIL.__version__, "python": "%d.%d.%d" % sys.version_info[:3]}

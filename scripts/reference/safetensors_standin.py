"""Pure-Python, format-compatible stand-in for the `safetensors` package (the Rust wheel is not installable in the
recording environment). refenv.setup() exposes it as `safetensors` / `safetensors.torch`.

File layout written (the one the Rust library writes): 8-byte little-endian header length N, N bytes of compact JSON
`{"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}` padded with
spaces to a multiple of 8, then the tensors' little-endian bytes back to back. Tensors are ordered larger dtypes
first, then by name; offsets start at 0 and are contiguous. The reader checks all of that strictly.
"""
import json
import struct

import numpy as np
import torch


class SafetensorError(Exception):
    pass


_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}
_TORCH = {v: k for k, v in _DTYPES.items()}
_SIZE = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def _tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def save(tensors, metadata=None):
    items = []
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise SafetensorError(f"{name} is not a tensor")
        if t.dtype not in _DTYPES:
            raise SafetensorError(f"unsupported dtype {t.dtype} for {name}")
        items.append((name, t))
    items.sort(key=lambda nt: (-_SIZE[_DTYPES[nt[1].dtype]], nt[0]))
    header = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise SafetensorError("metadata must be a dict of str -> str")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, t in items:
        b = _tensor_bytes(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        chunks.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def save_file(tensors, filename, metadata=None):
    data = save(tensors, metadata)
    with open(filename, "wb") as f:
        f.write(data)


def _parse(data):
    if len(data) < 8:
        raise SafetensorError("file too short")
    n = struct.unpack("<Q", data[:8])[0]
    if n % 8 != 0 or 8 + n > len(data):
        raise SafetensorError(f"bad header length {n}")
    raw = data[8:8 + n]
    if not raw.startswith(b"{") or not raw.rstrip(b" ").endswith(b"}"):
        raise SafetensorError("header must be JSON padded with trailing spaces")
    header = json.loads(raw.decode("utf-8"))
    metadata = header.pop("__metadata__", None)
    names = list(header)
    expected = 0
    order = sorted(names, key=lambda k: header[k]["data_offsets"][0])
    for name in order:
        e = header[name]
        b, end = e["data_offsets"]
        if e["dtype"] not in _TORCH:
            raise SafetensorError(f"unsupported dtype {e['dtype']}")
        size = _SIZE[e["dtype"]]
        for s in e["shape"]:
            size *= s
        if b != expected or end - b != size:
            raise SafetensorError(f"non-contiguous or wrong-sized data for {name}")
        expected = end
    if 8 + n + expected != len(data):
        raise SafetensorError("trailing or missing data")
    return metadata, header, memoryview(data)[8 + n:]


def _to_tensor(entry, body):
    b, end = entry["data_offsets"]
    dt = entry["dtype"]
    buf = bytes(body[b:end])
    if dt == "BF16":
        arr = np.frombuffer(buf, dtype="<i2").copy()
        return torch.from_numpy(arr).view(torch.bfloat16).reshape(entry["shape"])
    np_dtype = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
                "U8": "u1", "BOOL": "?"}[dt]
    arr = np.frombuffer(buf, dtype=np_dtype).astype(np.dtype(np_dtype).newbyteorder("="), copy=True)
    return torch.from_numpy(arr.reshape(entry["shape"]))


def load(data):
    _, header, body = _parse(bytes(data))
    return {k: _to_tensor(v, body) for k, v in header.items()}


def load_file(filename, device="cpu"):
    with open(filename, "rb") as f:
        out = load(f.read())
    if str(device) != "cpu":
        out = {k: v.to(device) for k, v in out.items()}
    return out


class _SafeOpen:
    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "pytorch"):
            raise SafetensorError(f"framework {framework!r} is not supported by the stand-in")
        with open(filename, "rb") as f:
            self._metadata, self._header, self._body = _parse(f.read())
        self._device = device

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def keys(self):
        return list(self._header)

    def metadata(self):
        return self._metadata

    def get_tensor(self, name):
        t = _to_tensor(self._header[name], self._body)
        return t if str(self._device) == "cpu" else t.to(self._device)

    def get_slice(self, name):
        return self.get_tensor(name)


def safe_open(filename, framework="pt", device="cpu"):
    return _SafeOpen(filename, framework, device)


def storage_ptr(tensor):
    try:
        return tensor.untyped_storage().data_ptr()
    except (AttributeError, NotImplementedError):
        return tensor.storage().data_ptr()


def storage_size(tensor):
    try:
        return tensor.untyped_storage().nbytes()
    except (AttributeError, NotImplementedError):
        return tensor.storage().size() * tensor.element_size()


def save_model(model, filename, metadata=None, force_contiguous=False):
    save_file({k: (v.contiguous() if force_contiguous else v) for k, v in model.state_dict().items()}, filename, metadata)


def load_model(model, filename, strict=True, device="cpu"):
    return model.load_state_dict(load_file(filename, device=device), strict=strict)

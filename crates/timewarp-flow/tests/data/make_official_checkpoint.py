"""Write `official_checkpoint_small_ignorevel.pt`: the parity fixture weights
(shared/parity/weights_small_ignorevel.safetensors) in the layout of an official Timewarp training
checkpoint, in PyTorch's zip serialisation format, without needing torch.

An official checkpoint (`utilities/model_utils.save_model`) is a `torch.save` of a dict with
`model_state_dict` (keys prefixed `module.` by `losses.LossWrapper`), `optimizer_state_dict` and
extra objects such as the `training_config` dataclass. `torch.save` (protocol 2) writes a zip with
`<archive>/data.pkl`, one raw little-endian file per storage under `<archive>/data/<key>`, and
`<archive>/byteorder`, `<archive>/version`. Tensors pickle as
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`
with the storage as a persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`.
Here the real `pickle` module writes exactly those opcodes, with stand-in `torch` modules.

The file also exercises what a reader must survive: float32 storages, a transposed
(non-contiguous) tensor, two tensors sharing one storage at different offsets, an
OrderedDict `_metadata` attribute, a dataclass, a pathlib object and optimiser state.

Run: python3 make_official_checkpoint.py  (needs numpy; writes next to this script)
"""
import collections
import dataclasses
import io
import json
import pathlib
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
WEIGHTS = HERE.parents[4] / "shared" / "parity" / "weights_small_ignorevel.safetensors"
OUT = HERE / "official_checkpoint_small_ignorevel.pt"


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F64"
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype="<f8").reshape(info["shape"])
    return out


# Stand-in modules so that pickle writes GLOBAL torch._utils _rebuild_tensor_v2 etc.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class Storage:
    def __init__(self, key, values):
        self.key = key
        self.values = np.ascontiguousarray(values, dtype="<f4").ravel()


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


@dataclasses.dataclass
class ModelConfig:
    model_type: str
    num_coupling_layers: int


@dataclasses.dataclass
class TrainingConfig:
    seed: int
    learning_rate: float
    model_config: ModelConfig
    output_folder: pathlib.PurePosixPath


TrainingConfig.__module__ = ModelConfig.__module__ = "training_config"
training_config_module = types.ModuleType("training_config")
training_config_module.TrainingConfig = TrainingConfig
training_config_module.ModelConfig = ModelConfig
sys.modules["training_config"] = training_config_module


def contiguous_strides(shape):
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return list(reversed(strides))


def main():
    weights = read_safetensors(WEIGHTS)
    storages = []

    def new_storage(values):
        s = Storage(str(len(storages)), values)
        storages.append(s)
        return s

    state = collections.OrderedDict()
    names = list(weights)
    # Two 1-D tensors that share one storage (second one at an offset).
    shared = [n for n in names if n.endswith("norm1.bias")][:2]
    shared_storage = new_storage(np.concatenate([weights[shared[0]], weights[shared[1]]]))
    for name in names:
        value = weights[name]
        if name in shared:
            offset = 0 if name == shared[0] else weights[shared[0]].size
            t = Tensor(shared_storage, offset, value.shape, [1])
        elif value.ndim == 2 and name.endswith("linear1.weight"):
            # Stored transposed: the [out, in] tensor is a strided view of an [in, out] buffer.
            out_dim, in_dim = value.shape
            t = Tensor(new_storage(value.T), 0, value.shape, [1, out_dim])
        else:
            t = Tensor(new_storage(value), 0, value.shape, contiguous_strides(value.shape))
        state["module." + name] = t
    state._metadata = collections.OrderedDict({"": {"version": 1}})

    first = state["module." + names[2]]
    checkpoint = {
        "model_state_dict": state,
        "optimizer_state_dict": {
            "state": {0: {"step": 3, "exp_avg": Tensor(new_storage(np.zeros(first.size)), 0, first.size, contiguous_strides(first.size))}},
            "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0]}],
        },
        "training_config": TrainingConfig(1, 1e-4, ModelConfig("custom_attention_transformer_nvp", 6), pathlib.PurePosixPath("outputs/run")),
        "epoch": 3,
    }

    buf = io.BytesIO()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.values.size)
            return None

    Pickler(buf, protocol=2).dump(checkpoint)
    with zipfile.ZipFile(OUT, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        for s in storages:
            z.writestr(f"archive/data/{s.key}", s.values.tobytes())
        z.writestr("archive/version", "3\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(state)} tensors, {len(storages)} storages)")


if __name__ == "__main__":
    main()

"""Import the official microsoft/timewarp code (unmodified) under Python 3.11 for benchmarking.

Two shims, no official file edited:
- dataclasses: Python >= 3.11 rejects dataclass instances as field defaults ("mutable default");
  such defaults are turned into default_factory=deepcopy(default), which is what 3.8 did in effect
  for the configs (they are never mutated in place).
- sys.modules stubs for pymol2 and bgflow (not on PyPI); the energy below is evaluated with
  OpenMM directly, one Context call per configuration, as bgflow's SingleContext bridge does.
"""
import copy, dataclasses, sys, types, os
import cProfile, profile  # noqa: F401 (the official tree has a top-level profile.py that shadows the stdlib)
import torch._dynamo  # noqa: F401

_orig_get_field = dataclasses._get_field
def _get_field(cls, a_name, a_type, *args):
    default = cls.__dict__.get(a_name, dataclasses.MISSING)
    if (not isinstance(default, dataclasses.Field) and default is not dataclasses.MISSING
            and default.__class__.__hash__ is None and dataclasses.is_dataclass(default)):
        setattr(cls, a_name, dataclasses.field(default_factory=lambda d=default: copy.deepcopy(d)))
    return _orig_get_field(cls, a_name, a_type, *args)
dataclasses._get_field = _get_field

def _stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

class _Any:
    def __init__(self, *a, **k): pass
_stub("pymol2", PyMOL=_Any)
_stub("bgflow")
_stub("bgflow.distribution")
_stub("bgflow.distribution.energy")
_stub("bgflow.distribution.energy.base", Energy=_Any, _evaluate_bridge_energy=lambda *a, **k: None)
_stub("bgflow.distribution.energy.openmm", SingleContext=_Any, MultiContext=_Any)
_stub("bgflow.utils")
_stub("bgflow.utils.types", assert_numpy=lambda x: x)

# The folder that holds the official checkout as `timewarp/` (git clone https://github.com/microsoft/timewarp).
SRC = os.environ["TIMEWARP_OFFICIAL_SRC"]
sys.path.insert(0, SRC)
sys.path.insert(0, os.path.join(SRC, "timewarp"))

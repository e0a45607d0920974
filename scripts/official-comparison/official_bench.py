"""Official microsoft/timewarp (PyTorch, CPU) on the same model and data as `timewarp bench`.

Usage: python official_bench.py MODEL_DIR TRAJ_NPZ STATE0_PDB [seconds] [B,B,...]
MODEL_DIR holds config.json + model.safetensors written by `timewarp train` (official key names).
Times (1) the official MCMC loop `utils.evaluation_utils.sample_with_model` with B proposals per
iteration (accept=True, random velocities resampled each iteration, as the paper's sampler) and
the energy evaluated by OpenMM 1 thread, one Context call per configuration (bgflow SingleContext),
and (2) NLL training steps (log-likelihood, backward, Adam) on batches of 32 MD pairs.
"""
import sys, time, json
import tw_env  # noqa: F401 (shims + sys.path)
import numpy as np, torch
from safetensors.torch import load_file
from omegaconf import OmegaConf
import openmm, openmm.app as app, openmm.unit as u
from timewarp.model_constructor import model_constructor
from timewarp.utils.config_utils import load_config, finalize_config
from timewarp.utils.evaluation_utils import sample_with_model

model_dir, npz_path, pdb_path = sys.argv[1:4]
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
proposal_sizes = [int(b) for b in sys.argv[5].split(',')] if len(sys.argv) > 5 else [1, 10, 100]
torch.manual_seed(0)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; openmm {openmm.__version__}")

# --- model: official constructor from our config.json, our weights
cfg = json.load(open(f"{model_dir}/config.json"))
conf = load_config(f"{tw_env.SRC}/timewarp/configs/kernel_transformer_nvp.yaml")
c = conf.model_config.custom_transformer_nvp_config
for k in ["atom_embedding_dim", "latent_mlp_hidden_dims", "num_coupling_layers", "num_transformer_layers", "position_layer_index_mod_2"]:
    c[k] = cfg[k]
for k, v in cfg["encoder_layer_config"].items():
    c.encoder_layer_config[k] = v
for k, v in cfg["conditional_flow_density"].items():
    c.conditional_flow_density[k] = v
model = model_constructor(finalize_config(conf).model_config)
sd = {k: v.float() for k, v in load_file(f"{model_dir}/model.safetensors").items()}
missing, unexpected = model.load_state_dict(sd, strict=False)
assert not unexpected and all("lengthscales" in m for m in missing), (missing, unexpected)
model.eval()
print(f"model: {sum(p.numel() for p in model.parameters())} parameters")

# --- system: amber14 + OBC1, cutoff 2.0 nm non-periodic (timewarp's default protocol)
pdb = app.PDBFile(pdb_path)
ff = app.ForceField("amber14-all.xml", "implicit/obc1.xml")
system = ff.createSystem(pdb.topology, nonbondedMethod=app.CutoffNonPeriodic, nonbondedCutoff=2.0 * u.nanometer, constraints=None)
ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CPU"), {"Threads": "1"})
kbT = (u.MOLAR_GAS_CONSTANT_R * 310 * u.kelvin).value_in_unit(u.kilojoule_per_mole)

class Energy:
    """U(x) in kJ/mol, [B, 1], one OpenMM call per configuration; accumulates its own time."""
    kbT = kbT
    seconds = 0.0
    def __call__(self, coords):
        t = time.perf_counter()
        out = []
        for x in coords.detach().cpu().numpy().astype(np.float64):
            ctx.setPositions(x)
            out.append(ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(u.kilojoule_per_mole))
        Energy.seconds += time.perf_counter() - t
        return torch.tensor(out, dtype=torch.float32).unsqueeze(-1)

elements = {"C": 0, "H": 1, "N": 2, "O": 3, "S": 4}
types = torch.tensor([[elements[a.element.symbol] for a in pdb.topology.atoms()]])
n = types.shape[1]
masses = torch.tensor([system.getParticleMass(i).value_in_unit(u.dalton) for i in range(n)])
traj = np.load(npz_path)["positions"].astype(np.float32)

# --- (1) MCMC: official sample_with_model, timed per part
flow_time = [0.0]
def timed(f):
    def g(*a, **k):
        t = time.perf_counter(); r = f(*a, **k); flow_time[0] += time.perf_counter() - t; return r
    return g
calls = {"proposals": 0}
orig_sample = model.conditional_sample_with_logp
def sample(*a, num_samples, **k):
    calls["proposals"] += num_samples
    return orig_sample(*a, num_samples=num_samples, **k)
model.conditional_sample_with_logp = timed(sample)
model.log_likelihood = timed(model.log_likelihood)

class Batch: pass
batch = Batch()
batch.atom_coords = torch.from_numpy(traj[len(traj) // 2][None])
batch.atom_velocs = torch.zeros_like(batch.atom_coords)
batch.atom_types = types
batch.masked_elements = torch.zeros(1, n, dtype=torch.bool)
batch.adj_list = torch.zeros(0, 2, dtype=torch.long)
batch.edge_batch_idx = torch.zeros(0, dtype=torch.long)

print("\nMCMC (official sample_with_model, accept=True, random velocities, B proposals/iteration)")
print(f"{'B':>4} {'proposals/s':>12} {'flow ms/it':>11} {'energy ms/it':>13}")
for B in proposal_sizes:
    for phase in ["warm-up", "timed"]:
        flow_time[0], Energy.seconds, calls["proposals"] = 0.0, 0.0, 0
        steps = max(2 * B, 20) if phase == "warm-up" else None
        t0 = time.perf_counter(); done = 0
        while True:
            k = steps or max(B * 20, 200)
            coords, _, stats, _ = sample_with_model(batch, model, torch.device("cpu"), Energy(), masses, k,
                                                    accept=True, random_velocs=True, resample_velocs=True,
                                                    num_proposal_steps=B, disable_tqdm=True)
            done += k
            if steps or time.perf_counter() - t0 > seconds:
                break
        wall = time.perf_counter() - t0
    iters = calls["proposals"] / B
    print(f"{B:>4} {calls['proposals'] / wall:>12.1f} {1e3 * flow_time[0] / iters:>11.2f} {1e3 * Energy.seconds / iters:>13.2f}")

# --- (2) NLL training: log-likelihood + backward + Adam, batch 32 pairs, lag 1000 steps (frames 4 apart)
model.log_likelihood = model.__class__.log_likelihood.__get__(model)
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
lag = 4
rng = np.random.default_rng(0)
def step(bs=32):
    i = rng.integers(0, len(traj) - lag, bs)
    x = torch.from_numpy(traj[i]); y = torch.from_numpy(traj[i + lag])
    ll = model.log_likelihood(atom_types=types.repeat(bs, 1), x_coords=x, x_velocs=torch.randn_like(x),
                              y_coords=y, y_velocs=torch.randn_like(y), adj_list=batch.adj_list,
                              edge_batch_idx=batch.edge_batch_idx, masked_elements=torch.zeros(bs, n, dtype=torch.bool))
    loss = -(ll / n).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return loss.item()
t = time.perf_counter(); step(); first = time.perf_counter() - t
t0 = time.perf_counter(); k = 0
while time.perf_counter() - t0 < seconds:
    step(); k += 1
wall = time.perf_counter() - t0
print(f"\ntraining (official log_likelihood + backward + Adam), batch 32: {32 * k / wall:.1f} pairs/s (first step {first:.2f} s)")

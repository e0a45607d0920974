"""The fitted kernel's block move, recomputed independently with OpenMM, and what rejects it.

Usage: python block_move_oracle.py RUN_DIR [N] [SEED] [all|val] [laplace=A,B,...]

RUN_DIR: a finished `timewarp run` folder (its kernel/ and md/ are used; a per-molecule kernel,
not a pooled one). Frames: from all of the MD (`all`, the default) or from the last 20 % of every
trajectory (`val`, the frames `timewarp train` validates on). Python: numpy and openmm in a throw-away venv
(`python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy openmm`); timewarp itself needs neither.

For N MD frames x (torsions t: φ/ψ and rotors kept), one block of the kernel's Gaussian
variables g is redrawn from the kernel's own conditional, g' ~ q(g | t, g_B), placed by a NeRF
written here, and accepted with min(1, w'/w), w = exp(−βU(X(q))) J(q) / q(g | t, g_B), U from
OpenMM (amber14 + GB-OBC1, CutoffNonPeriodic 2.0 nm, no constraints; the MD's stored energies
are checked against it). This is the validation block-move acceptance `timewarp train` prints
for the fitted kernel ("fitted kernel 0.634" on the bundled run), from code that shares nothing
with timewarp's. Then Var(log w' − log w) is split by force term (covariance of each term's
−βΔU with the total: the terms sum to the variance) and by nonbonded atom pair (Coulomb +
Lennard-Jones, 1-4 exceptions scaled as in the force field): what the Gaussian misses.

With `laplace=A,B,...` (atom indices, 0-based): an upper bound on what seeing the draw's geometry
buys for the coordinates that place those atoms (their bond, angle and torsion among the
Gaussian variables, set S2). A two-stage move — the other Gaussian variables from the kernel's
Gaussian marginal, then S2 from a Laplace fit of the Boltzmann conditional at the geometry stage
one produced (Newton from the Gaussian's conditional mean, finite-difference Hessian of
βU − log J; exact MH, with the reverse Laplace density at the frame's stage-one values) — against
the same stage one with S2 from the Gaussian conditional, paired. One block (alanine dipeptide).
"""
import glob, gzip, json, math, os, sys
import numpy as np
import openmm as mm, openmm.app as app, openmm.unit as u

RUN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
FRAMES = sys.argv[4] if len(sys.argv) > 4 else "all"
LAPLACE = [int(a) for a in sys.argv[5].split("=")[1].split(",")] if len(sys.argv) > 5 else None
NOREF = 2**64 - 1
KT = 0.0083144626 * 310.0  # kJ/mol; the bundled MD's temperature

def load_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)

kpath = [p for p in (f"{RUN}/kernel/kernel.json", f"{RUN}/kernel/kernel.json.gz") if os.path.exists(p)][0]
K = load_json(kpath)
if K["fit"].get("pooled"):
    sys.exit("a pooled kernel: use the kernel of one molecule")
Z = K["zmatrix"]
DOFS = Z["dofs"]
REFS = {e["atom"]: e["refs"] for e in Z["entries"]}
DOF = {(d["atom"], d["kind"]): i for i, d in enumerate(DOFS)}
OFFSET = {i: d["role"]["offset"]["leader"] for i, d in enumerate(DOFS)
          if d["kind"] == "torsion" and isinstance(d["role"], dict) and "offset" in d["role"]}

trajs = sorted(glob.glob(f"{RUN}/md/replica-*/*-traj-arrays.npz"))
pdb = app.PDBFile(trajs[0].replace("-traj-arrays.npz", "-traj-state0.pdb"))
ff = app.ForceField("amber14-all.xml", "implicit/obc1.xml")
system = ff.createSystem(pdb.topology, nonbondedMethod=app.CutoffNonPeriodic,
                         nonbondedCutoff=2.0 * u.nanometer, constraints=None)
NAMES = [f.__class__.__name__ for f in system.getForces()]
for i, f in enumerate(system.getForces()):
    f.setForceGroup(i)
ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))

def energies(x):
    """Energy of every force (kJ/mol)."""
    ctx.setPositions(x)
    return np.array([ctx.getState(getEnergy=True, groups={i}).getPotentialEnergy()
                     .value_in_unit(u.kilojoule_per_mole) for i in range(len(NAMES))])

# --- the chart: q = (bond, angle, torsion) of every placed atom, offsets relative to leaders ---
def dihedral(p0, p1, p2, p3):
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1 = b1 / np.linalg.norm(b1)
    v, w = b0 - (b0 @ b1) * b1, b2 - (b2 @ b1) * b1
    return math.atan2(np.cross(b1, v) @ w, v @ w)

def angle(a, b, c):
    e, f = a - b, c - b
    return math.acos(np.clip(e @ f / np.linalg.norm(e) / np.linalg.norm(f), -1, 1))

def wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi

def to_q(x):
    q = np.zeros(len(DOFS))
    for i, d in enumerate(DOFS):
        a, r = d["atom"], REFS[d["atom"]]
        q[i] = {"bond": lambda: np.linalg.norm(x[a] - x[r[0]]),
                "angle": lambda: angle(x[a], x[r[0]], x[r[1]]),
                "torsion": lambda: dihedral(x[a], x[r[0]], x[r[1]], x[r[2]])}[d["kind"]]()
    for i, lead in OFFSET.items():
        q[i] = wrap(q[i] - q[lead])
    return q

def to_x(q, x0):
    """NeRF; the first three atoms keep the orientation of x0."""
    t = q.copy()
    for i, lead in OFFSET.items():
        t[i] = q[i] + q[lead]
    x = x0.copy()
    for e in Z["entries"]:
        a, r = e["atom"], e["refs"]
        if r[0] == NOREF:
            continue
        b = t[DOF[(a, "bond")]]
        if r[1] == NOREF:
            v = x0[a] - x0[r[0]]
            x[a] = x[r[0]] + b * v / np.linalg.norm(v)
            continue
        th = t[DOF[(a, "angle")]]
        e1 = x[r[1]] - x[r[0]]
        e1 /= np.linalg.norm(e1)
        if r[2] == NOREF:
            w = x0[a] - x0[r[0]]
            w -= (w @ e1) * e1
            x[a] = x[r[0]] + b * (math.cos(th) * e1 + math.sin(th) * w / np.linalg.norm(w))
            continue
        n = np.cross(e1, x[r[2]] - x[r[1]])
        n /= np.linalg.norm(n)
        tau = t[DOF[(a, "torsion")]]
        x[a] = x[r[0]] + b * (math.cos(th) * e1 + math.sin(th) * (math.cos(tau) * np.cross(n, e1)
                                                                  - math.sin(tau) * n))
    return x

def log_jacobian(q):
    return sum(2 * math.log(q[i]) if d["kind"] == "bond" else math.log(math.sin(q[i]))
               for i, d in enumerate(DOFS) if d["kind"] in ("bond", "angle"))

# --- the kernel's Gaussian: μ(q) = Wᵀ f(torsions), one covariance Σ ---
G = K["gaussian"]
GD, PER = np.array(G["dofs"]), np.array(G["periodic"])
W = np.array(G["weights"]).reshape(-1, len(GD))
SIGMA = np.array(G["covariance"]).reshape(len(GD), len(GD))
FEAT = G["features"]

def features(q):
    f = [1.0]
    for p, s in FEAT["backbone"]:
        cp, sp, cs, ss = math.cos(q[p]), math.sin(q[p]), math.cos(q[s]), math.sin(q[s])
        f += [cp, sp, cs, ss, cp * cp - sp * sp, 2 * sp * cp, cs * cs - ss * ss, 2 * ss * cs,
              cp * cs, cp * ss, sp * cs, sp * ss]
    for r in FEAT.get("rotors", []):
        for k in range(1, FEAT.get("rotor_harmonics", 0) + 1):
            f += [math.cos(k * q[r]), math.sin(k * q[r])]
    return np.array(f)

BLOCKS = []
for blk in K["blocks"]:
    A = np.array(blk["gaussian"])
    B = np.setdiff1d(np.arange(len(GD)), A)
    gain = SIGMA[np.ix_(A, B)] @ np.linalg.inv(SIGMA[np.ix_(B, B)]) if len(B) else np.zeros((len(A), 0))
    cov = SIGMA[np.ix_(A, A)] - gain @ SIGMA[np.ix_(B, A)] if len(B) else SIGMA[np.ix_(A, A)]
    L = np.linalg.cholesky(cov)
    BLOCKS.append((A, B, gain, L, np.linalg.inv(L)))

def diff(a, b, per):
    d = a - b
    d[per] = wrap(d[per])
    return d

# --- the move ---
def tail(a):
    return a[int(0.8 * len(a)):] if FRAMES == "val" else a

xs = np.concatenate([tail(np.load(p)["positions"]) for p in trajs]).astype(np.float64)
us = np.concatenate([tail(np.load(p)["energies"][:, 0]) for p in trajs])
check = [abs(energies(xs[k]).sum() - us[k]) for k in (0, len(xs) // 2, len(xs) - 1)]
print(f"{RUN}: {len(xs)} MD frames ({FRAMES}); OpenMM vs stored energies: max |ΔU| {max(check):.1e} kJ/mol")
x0 = xs[0]
assert np.abs(to_x(to_q(x0), x0) - x0).max() < 1e-9, "the NeRF does not invert the chart"

def laplace_bound(atoms):
    """Paired acceptances of the two-stage move with S2 from the Laplace fit and from the Gaussian."""
    if len(BLOCKS) != 1:
        sys.exit("laplace= needs a kernel of one block")
    s2 = [j for j, dof in enumerate(GD) if DOFS[dof]["atom"] in atoms]
    s1 = [j for j in range(len(GD)) if j not in s2]
    l11 = np.linalg.cholesky(SIGMA[np.ix_(s1, s1)])
    k21 = SIGMA[np.ix_(s2, s1)] @ np.linalg.inv(SIGMA[np.ix_(s1, s1)])
    l22 = np.linalg.cholesky(SIGMA[np.ix_(s2, s2)] - k21 @ SIGMA[np.ix_(s1, s2)])
    print("stage-two variables:", [(DOFS[GD[j]]["kind"], DOFS[GD[j]]["atom"]) for j in s2])

    def reduced(q, x0):  # βU − log J
        return energies(to_x(q, x0)).sum() / KT - log_jacobian(q)

    def fit(q, x0, m, h=1e-3):
        """Laplace fit of exp(−βU + log J) over S2 at the other coordinates of q: (mean, Cholesky)."""
        k = len(s2)

        def f(v):
            qq = q.copy()
            qq[GD[s2]] = v
            return reduced(qq, x0)
        y = m.copy()
        for _ in range(3):
            f0, g, hess = f(y), np.zeros(k), np.zeros((k, k))
            for a in range(k):
                ea = np.eye(k)[a] * h
                fp, fm = f(y + ea), f(y - ea)
                g[a], hess[a, a] = (fp - fm) / (2 * h), (fp - 2 * f0 + fm) / h**2
                for b in range(a):
                    eb = np.eye(k)[b] * h
                    hess[a, b] = hess[b, a] = (f(y + ea + eb) - f(y + ea - eb) - f(y - ea + eb)
                                               + f(y - ea - eb)) / (4 * h * h)
            if np.linalg.eigvalsh(hess).min() <= 0:
                return m, l22
            step = -np.linalg.solve(hess, g)
            y = y + step
            if np.abs(step).max() < 1e-6:
                break
        return y, np.linalg.cholesky(np.linalg.inv(hess))

    def log_n(v, m, l, idx):  # log N(v; m, l lᵀ) up to the constant
        r = np.linalg.solve(l, diff(v, m, PER[idx]))
        return -0.5 * r @ r - np.log(np.diag(l)).sum()

    pairs = []
    for k in rng.choice(len(xs), N, replace=False):
        x = xs[k]
        q = to_q(x)
        mu = features(q) @ W
        g = q[GD]
        q1 = q.copy()
        z1 = rng.standard_normal(len(s1))
        q1[GD[s1]] = wrap(mu[s1] + l11 @ z1) * PER[s1] + (mu[s1] + l11 @ z1) * ~PER[s1]
        lq1 = log_n(q1[GD[s1]], mu[s1], l11, s1) - log_n(g[s1], mu[s1], l11, s1)
        m_new = mu[s2] + k21 @ diff(q1[GD[s1]], mu[s1], PER[s1])
        m_old = mu[s2] + k21 @ diff(g[s1], mu[s1], PER[s1])
        f_old = reduced(q, x)
        acc = []
        for fitted in (True, False):
            (mn, ln), (mo, lo) = ((fit(q1, x, m_new), fit(q, x, m_old)) if fitted
                                  else ((m_new, l22), (m_old, l22)))
            qn = q1.copy()
            qn[GD[s2]] = mn + ln @ rng.standard_normal(len(s2))
            lq = lq1 + log_n(qn[GD[s2]], mn, ln, s2) - log_n(g[s2], mo, lo, s2)
            acc.append(min(1.0, math.exp(min(0.0, -(reduced(qn, x) - f_old) - lq))))
        pairs.append(acc)
    a = np.array(pairs)
    d = a[:, 0] - a[:, 1]
    print(f"two-stage block move, {N} paired moves: acceptance with the Laplace stage two "
          f"{a[:, 0].mean():.3f}, with the Gaussian {a[:, 1].mean():.3f}; difference "
          f"{d.mean():+.3f} ± {d.std() / math.sqrt(N):.3f}")


if LAPLACE is not None:
    laplace_bound(LAPLACE)
    sys.exit(0)

rows = []
for k in rng.choice(len(xs), N, replace=False):
    x = xs[k]
    q = to_q(x)
    A, B, gain, L, Linv = BLOCKS[rng.integers(len(BLOCKS))]
    g, mu = q[GD], features(q) @ W
    m = mu[A] + gain @ diff(g[B], mu[B], PER[B])
    eps = Linv @ diff(g[A], m, PER[A])
    z = rng.standard_normal(len(A))
    d = L @ z
    if np.any(np.abs(d[PER[A]]) >= np.pi):
        rows.append(None)  # outside the box: a null move, rejected
        continue
    q1 = q.copy()
    q1[GD[A]] = np.where(PER[A], wrap(m + d), m + d)
    if np.any([q1[i] <= 0 or (DOFS[i]["kind"] == "angle" and q1[i] >= np.pi)
               for i in GD[A] if DOFS[i]["kind"] != "torsion"]):
        rows.append(None)
        continue
    x1 = to_x(q1, x)
    e0, e1 = energies(x), energies(x1)
    # log w' − log w, by term: −βΔU per force, Δ log J, −Δ log q.
    parts = np.r_[-(e1 - e0) / KT, log_jacobian(q1) - log_jacobian(q), 0.5 * (z @ z - eps @ eps)]
    rows.append((parts, x, x1))

ok = [r for r in rows if r is not None]
dl = np.array([r[0].sum() for r in ok])
acc = np.r_[np.minimum(1, np.exp(dl)), np.zeros(len(rows) - len(ok))]
print(f"block-move acceptance {acc.mean():.3f} ± {acc.std() / math.sqrt(len(acc)):.3f} "
      f"({len(rows)} moves, {len(rows) - len(ok)} null); log w' − log w: mean {dl.mean():.3f}, "
      f"variance {dl.var():.3f}")
P = np.array([r[0] for r in ok])
print("variance of log w' − log w by term (covariance with the total; they sum to the variance):")
for name, col in zip(NAMES + ["log J", "−log q"], P.T):
    if col.std() > 0:
        print(f"  {name:24} {np.cov(col, dl)[0, 1]:7.3f}   (std {col.std():.2f})")

# Nonbonded pairs: Coulomb (reaction field left out) + Lennard-Jones, exceptions as given.
nb = next(f for f in system.getForces() if isinstance(f, mm.NonbondedForce))
par = [[v.value_in_unit_system(u.md_unit_system) for v in nb.getParticleParameters(i)]
       for i in range(system.getNumParticles())]
exc = {}
for i in range(nb.getNumExceptions()):
    a, b, qq, sg, ep = nb.getExceptionParameters(i)
    exc[(min(a, b), max(a, b))] = [v.value_in_unit_system(u.md_unit_system) for v in (qq, sg, ep)]
atoms = [f"{a.name}{a.residue.index + 1}" for a in pdb.topology.atoms()]
pairs = []
for i in range(len(atoms)):
    for j in range(i + 1, len(atoms)):
        qq, sg, ep = exc.get((i, j), (par[i][0] * par[j][0], (par[i][1] + par[j][1]) / 2,
                                      math.sqrt(par[i][2] * par[j][2])))
        if qq != 0 or ep != 0:
            pairs.append((i, j, qq, sg, ep, (i, j) in exc))
X0 = np.array([r[1] for r in ok])
X1 = np.array([r[2] for r in ok])

def pair_energy(X, i, j, qq, sg, ep):
    r = np.linalg.norm(X[:, i] - X[:, j], axis=-1)
    s6 = (sg / r) ** 6
    return 138.935456 * qq / r + 4 * ep * (s6 * s6 - s6)

cov = [(np.cov(-(pair_energy(X1, i, j, qq, sg, ep) - pair_energy(X0, i, j, qq, sg, ep)) / KT,
               dl)[0, 1], i, j, scaled) for i, j, qq, sg, ep, scaled in pairs]
cov.sort(reverse=True)
print("nonbonded pairs with the largest share (covariance of −βΔE_pair with the total):")
for c, i, j, scaled in cov[:8]:
    print(f"  {atoms[i]:>6}–{atoms[j]:<6}{' (1-4)' if scaled else ''} {c:7.3f}   "
          f"⟨r⟩ {np.linalg.norm(X0[:, i] - X0[:, j], axis=-1).mean():.3f} nm")

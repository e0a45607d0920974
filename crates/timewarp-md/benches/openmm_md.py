"""OpenMM reference timing for `benches/md.rs` (not a product dependency).

Same System and integrator as timewarp's defaults: amber14-all.xml + implicit/obc1.xml,
CutoffNonPeriodic 2.0 nm, no constraints, CMMotionRemover, LangevinMiddle 310 K, 0.3/ps,
0.5 fs, no reporters. Prints steps/s per platform, by wall clock and by process CPU time (the machine may be shared).

    python3 -m venv venv && venv/bin/pip install openmm==8.6.1
    venv/bin/python benches/openmm_md.py [STEPS]
"""
import os
import sys
import time

import openmm as mm
import openmm.app as app
import openmm.unit as u

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
TESTDATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "testdata")

for name in ["ala2", "ace_ala3_nme"]:
    pdb = app.PDBFile(os.path.join(TESTDATA, name + ".pdb"))
    ff = app.ForceField("amber14-all.xml", "implicit/obc1.xml")
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.CutoffNonPeriodic,
                             nonbondedCutoff=2.0 * u.nanometer, constraints=None)
    for platform, props in [("CPU", {"Threads": "1"}), ("Reference", {})]:
        integrator = mm.LangevinMiddleIntegrator(310 * u.kelvin, 0.3 / u.picosecond, 0.5 * u.femtosecond)
        integrator.setRandomNumberSeed(1)
        ctx = mm.Context(system, integrator, mm.Platform.getPlatformByName(platform), props)
        ctx.setPositions(pdb.positions)
        mm.LocalEnergyMinimizer.minimize(ctx, 2.0)
        ctx.setVelocitiesToTemperature(310 * u.kelvin, 1)
        n = STEPS if platform == "CPU" else STEPS // 5
        integrator.step(n // 10)  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        integrator.step(n)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"openmm {mm.__version__} {name} {platform}{'-1thread' if props else ''}: "
              f"{n / dt:.0f} steps/s wall, {n / cpu:.0f} steps/s cpu ({n} steps)", flush=True)
        del ctx, integrator

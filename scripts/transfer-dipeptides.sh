#!/usr/bin/env bash
# Zero-shot sampling of unseen capped dipeptides: the shipped transferable model.
#
#   bash scripts/transfer-dipeptides.sh [WORKDIR]
#
# 1. MD of 60 training dipeptides (0.5 ns each after 10 ps of burn-in, a frame every 0.25 ps):
#    the cyclic pairs X(i)X(i+k), k = 1, 2, 3, of the 20 amino acids in the order
#    ARNDCQEGHILKMFPSTWYV, so that every residue type is seen three times first in the chain (the
#    Z-matrix root) and three times second, each time beside a different neighbour.
# 2. The pooled fitted baseline (`timewarp fit --pooled`, τ = 50 ps: on ACE-ARG-ASP-NME its
#    acceptance was 0.14–0.16 for every τ from 0.5 to 50 ps, and large τ makes large moves;
#    Crank–Nicolson ρ = 0.9 (the default) and the all-residue φ/ψ marginal mixed into every φ/ψ
#    move with weight 0.7: on the five held-out peptides, 40 training peptides, 4 × 20 000
#    steps, w = 0.7 made more β↔αR transitions than 0.5 on four of five at equal acceptance;
#    the Gaussian's mean follows the rotors, `rotor_harmonics` 3, the default: without it
#    PV's proline ring almost never changed pucker) → models/dipeptides/baseline.
# 3. The internal-chart flow (`ic`) refining it, trained on all 60 peptides: likelihood, then the
#    acceptance objective → models/dipeptides (the flow, the pooled kernel, manifest.json).
# 4. Five held-out dipeptides, none in the training set (charged DS, aromatic FA, proline PV,
#    glycine GA, histidine HS): 5 ns of MD each, exact MCMC with the flow and with the pooled
#    baseline from the MD's start structure, and one report per peptide against its MD. A second,
#    independent 5 ns MD of each (seed 4) is compared with the first in the same report: the
#    JSD between two MD runs is the resolution of the reference.
#
# Every step is resumable: run it again after an interruption and it continues (MD data sets go
# on where they stopped; fit, train, sample and analyze skip finished runs). On the 2-core
# machine: training MD ≈ 3 min per peptide and core (≈ 1.5 h for 60 on two cores), fit 2 s,
# training ≈ 7 min, held-out MD ≈ 15–25 min per 5 ns and core, sampling and reports ≈ 2 min per
# peptide (README "Zero-shot transfer").
#
# Results: WORKDIR/report-<PEPTIDE>/metrics.json and report.html (flow and baseline against the
# peptide's own MD: acceptance, per-residue JSD(φ/ψ), basin transitions, ESS/s, ⟨U⟩).
set -euo pipefail
W=${1:-transfer-dipeptides}
TW=${TIMEWARP:-"cargo run --release --quiet --"}
MODEL=${MODEL_DIR:-models/dipeptides}
ORDER=ARNDCQEGHILKMFPSTWYV
TRAIN=$(for k in 1 2 3; do for i in $(seq 0 19); do
    printf '%s%s,' "${ORDER:i:1}" "${ORDER:(i + k) % 20:1}"; done; done | sed 's/,$//')
HELD=(DS FA PV GA HS)
MD_SETTINGS=(--burn-in-steps 20000 --spacing regular --save-every 500)
mkdir -p "$W"

# 1. Training MD.
$TW md --sequences "$TRAIN" --out "$W/md-train" --ns 0.5 "${MD_SETTINGS[@]}" --seed 1 \
    --split 1,0,0
TRAIN_DIRS=()
for p in ${TRAIN//,/ }; do TRAIN_DIRS+=(--md "$W/md-train/$p"); done

# 2. The pooled baseline.
$TW fit --pooled "${TRAIN_DIRS[@]}" --out "$W/baseline" --lag-ps 50 --marginal-mix 0.7

# 3. The flow: likelihood of the MD frames, then the acceptance objective.
cat > "$W/nll.toml" <<TOML
[train]
preset = "ic"
loss = "nll"
steps = 400
batch = 64
lr = 1e-3
warmup_steps = 20
val_every = 100
val_max_pairs = 1000
checkpoint_every = 100
seed = 0
TOML
cat > "$W/ft.toml" <<TOML
[train]
preset = "ic"
loss = "acceptance"
init_from = "$W/nll/best"
steps = 400
batch = 64
lr = 1e-3
warmup_steps = 20
lr_decay = { kind = "cosine", min_factor = 0.1 }
val_every = 100
val_max_pairs = 1000
checkpoint_every = 100
seed = 1
[train.acceptance]
nll_weight = 0.0
acceptance_weight = 1.0
TOML
TRAIN_DATA=()
for p in ${TRAIN//,/ }; do TRAIN_DATA+=(--data "$W/md-train/$p"); done
$TW train --config "$W/nll.toml" --kernel "$W/baseline" "${TRAIN_DATA[@]}" --out "$W/nll"
$TW train --config "$W/ft.toml" "${TRAIN_DATA[@]}" --out "$W/ft"

# Ship: the best flow with its pooled kernel, the baseline, and the manifest.
# The flow's kernel is the pooled baseline itself: one copy, the baseline folder links to it.
mkdir -p "$MODEL/baseline"
rm -f "$MODEL/kernel.json" "$MODEL/baseline/kernel.json"  # the uncompressed layout of before
cp "$W/ft/best/config.json" "$W/ft/best/model.safetensors" "$W/ft/best/kernel.json.gz" "$MODEL/"
cmp "$W/baseline/kernel.json.gz" "$MODEL/kernel.json.gz"
ln -sf ../kernel.json.gz "$MODEL/baseline/kernel.json.gz"
QUOTED=$(echo "$TRAIN" | sed 's/\([A-Z]*\)/"\1"/g')
HELD_QUOTED=$(printf '"%s",' "${HELD[@]}" | sed 's/,$//')
cat > "$MODEL/manifest.json" <<JSON
{
  "format": "timewarp-model-manifest/1",
  "model": "internal-chart Timewarp flow (preset ic) refining a pooled fitted kernel",
  "peptides": [$QUOTED],
  "splits": { "train": [$QUOTED], "held_out": [$HELD_QUOTED] },
  "md": { "ns_per_peptide": 0.5, "burn_in_ps": 10, "frame_interval_ps": 0.25, "dt_fs": 0.5,
          "temperature_k": 310, "friction_per_ps": 0.3, "forcefield": "amber14-obc1",
          "seed": 1 },
  "fit": { "pooled": true, "lag_ps": 50, "split_side_chains": true, "rest_correlation": 0.9,
           "marginal_mix": 0.7, "rotor_move_probability": 0.3, "rotor_harmonics": 3 },
  "train": { "nll": "nll.toml", "acceptance": "ft.toml" },
  "reproduce": "bash scripts/transfer-dipeptides.sh"
}
JSON
cp "$W/nll.toml" "$W/ft.toml" "$MODEL/"

# 4. Held-out peptides: MD, MCMC with the flow and with the pooled baseline, report.
HELD_LIST=$(IFS=,; echo "${HELD[*]}")
$TW md --sequences "$HELD_LIST" --out "$W/md-held" --ns 5 "${MD_SETTINGS[@]}" --seed 2 \
    --split 0,0,1
$TW md --sequences "$HELD_LIST" --out "$W/md-held-seed4" --ns 5 "${MD_SETTINGS[@]}" --seed 4 \
    --split 0,0,1
for p in "${HELD[@]}"; do
    START="$W/md-held/$p/$p-traj-state0.pdb"
    $TW sample --model "$MODEL" --pdb "$START" --out "$W/flow-$p" --steps 20000 --chains 4 \
        --proposals 1 --seed 0
    # A baseline proposal costs ~1/50 of a flow proposal (four flow passes with the
    # Crank–Nicolson move): 2.5× the steps in a fraction of the time.
    $TW sample --proposal fitted --kernel "$MODEL/baseline" --pdb "$START" \
        --out "$W/baseline-$p" --steps 50000 --chains 4 --seed 0
    $TW analyze --md "$W/md-held/$p" --samples "flow=$W/flow-$p" \
        --samples "baseline=$W/baseline-$p" --samples "md-seed4=$W/md-held-seed4/$p" \
        --out "$W/report-$p"
done

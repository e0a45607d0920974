#!/usr/bin/env bash
# Transfer experiment at CPU scale: MD data for ten capped dipeptides, split by peptide; a flow
# trained (likelihood, then acceptance fine-tuning) on the eight training peptides; exact MCMC
# and exploration of the held-out test peptide, compared with that peptide's own MD.
#
#   bash scripts/transfer-dipeptides.sh [WORKDIR]      (~45 min on 2 cores)
#
# Results: WORKDIR/report-<TEST>/metrics.json and report.html (MCMC vs MD),
# WORKDIR/report-<TEST>-explore/ (exploration vs MD).
set -euo pipefail
W=${1:-transfer-dipeptides}
TW=${TIMEWARP:-"cargo run --release --quiet --"}
mkdir -p "$W"
# 1. MD data set: 0.5 ns per peptide, a frame every 0.25 ps, splits 0.8/0.1/0.1 by peptide.
$TW md --sequences AA,AG,GA,AS,SA,AV,VA,AL,LA,GS --out "$W/md" --ns 0.5 --save-every 500 \
    --burn-in-steps 20000 --seed 1 --split 0.8,0.1,0.1
# The held-out peptide: the one the manifest puts in the test split.
TEST=$(awk -F'"' '/"name":/ {name=$4} /"split": "test"/ {print name; exit}' "$W/md/manifest.json")
echo "held-out test peptide: $TEST"
# 2. Likelihood training on the train split (validation on the val split; test never read).
cat > "$W/nll.toml" <<TOML
[train]
preset = "demo"
lag_steps = 1000
steps = 2000
batch = 32
lr = 5e-4
warmup_steps = 100
val_every = 250
checkpoint_every = 250
TOML
$TW train --config "$W/nll.toml" --data "$W/md" --out "$W/nll"
# 3. Acceptance fine-tuning from the best likelihood model.
cat > "$W/ft.toml" <<TOML
[train]
preset = "demo"
init_from = "$W/nll/best"
loss = "acceptance"
lag_steps = 1000
steps = 1000
batch = 32
lr = 2e-4
warmup_steps = 20
lr_decay = { kind = "constant" }
val_every = 250
checkpoint_every = 250
seed = 1
[train.acceptance]
nll_weight = 0.5
acceptance_weight = 0.5
beta = 0.2
clamp = true
TOML
$TW train --config "$W/ft.toml" --data "$W/md" --out "$W/ft"
# 4. The unseen peptide: exact MCMC and exploration from its MD start structure.
$TW sample --model "$W/ft/best" --pdb "$W/md/$TEST/$TEST-traj-state0.pdb" --out "$W/sample-$TEST" \
    --steps 20000 --proposals 10
$TW explore --model "$W/ft/best" --pdb "$W/md/$TEST/$TEST-traj-state0.pdb" --out "$W/explore-$TEST" \
    --steps 1000 --chains 2
$TW analyze --md "$W/md/$TEST" --samples "$W/sample-$TEST" --out "$W/report-$TEST"
$TW analyze --md "$W/md/$TEST" --samples "$W/explore-$TEST" --out "$W/report-$TEST-explore"

#!/usr/bin/env bash
# timewarp vs the official PyTorch code (microsoft/timewarp), same model, data and machine.
#
#   scripts/official-comparison/compare.sh RUN_DIR OFFICIAL_PARENT [REPEATS]
#
# RUN_DIR: a finished `timewarp run` folder (its finetune/best model and md/ data are used).
# OFFICIAL_PARENT: a folder holding the official checkout as `timewarp/`, e.g.
#   mkdir official && git clone https://github.com/microsoft/timewarp official/timewarp
# Python: the active environment needs torch, numpy, safetensors, openmm, omegaconf, mdtraj,
# multimethod, tensorboard, matplotlib, tqdm, gitpython (only so that the official modules import;
# timewarp itself needs none of them). Both sides are timed alternately, REPEATS times (default 2),
# then once more on a 36 M-parameter model (`--preset ad`, the official AD size, 1 training step).
set -euo pipefail
RUN=$(realpath "$1"); export TIMEWARP_OFFICIAL_SRC=$(realpath "$2"); REPEATS=${3:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
TW=${TIMEWARP:-$HERE/../../target/release/timewarp}
NPZ=$(ls "$RUN"/md/replica-000/*-traj-arrays.npz | head -1)
PDB=$(ls "$RUN"/md/replica-000/*-traj-state0.pdb | head -1)
MODEL=$RUN/finetune/best; [ -d "$MODEL" ] || MODEL=$RUN/model/best
ours() { "$TW" bench --pdb "$PDB" --data "$RUN/md" --quiet "$@" 2>&1 | grep -E "^timewarp bench|training|first|^ +B |^ +[0-9]+ +1 "; }
official() { python "$HERE/official_bench.py" "$@" 2>&1 | grep -v -E "Warning|Sample with the model"; }
for rep in $(seq "$REPEATS"); do
  echo "=== timewarp, $MODEL ($rep)"; ours --preset demo --model "$MODEL" --seconds 4
  echo "=== official, $MODEL ($rep)"; official "$MODEL" "$NPZ" "$PDB" 4 1,10,100
done
AD=$(mktemp -d)
"$TW" train --data "$RUN/md" --preset ad --steps 1 --out "$AD" --quiet >"$AD.log" 2>&1 || { cat "$AD.log"; exit 1; }  # weights to time with
echo "=== timewarp, preset ad"; ours --preset ad --model "$AD/last" --seconds 6 --proposals 10
echo "=== official, preset ad"; official "$AD/last" "$NPZ" "$PDB" 6 10
rm -rf "$AD" "$AD.log"

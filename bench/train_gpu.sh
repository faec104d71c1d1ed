#!/usr/bin/env bash
# k2-small on one GPU for a fixed number of steps: tokens/s and MFU, MuonClip and AdamW.
# Needs a CUDA GPU and the `train` extra; no test uses it. Extra arguments go to bench/train_gpu.py
# (e.g. --steps 50 --seq-len 8192 --rows 2 --peak-tflops 989).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "train_gpu: no CUDA GPU visible to torch; run this on a GPU machine" >&2
  exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-0}"
exec "$PY" bench/train_gpu.py --preset k2-small --steps 20 --warmup 5 --seq-len 4096 --rows 4 "$@"

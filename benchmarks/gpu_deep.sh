#!/usr/bin/env bash
# The deepest networks trained through the app's own path (`python -m resnet_core train`:
# RunStore, plan_run, submit, engine) on a lent GPU machine, on the JAX backend (that
# machine has no TensorFlow; Keras travels as wheels in .whl/, see benchmarks/RESULTS.md).
# Generated 32×32×3 shapes (800 training images), batch 128, 60 steps: epoch 1 carries
# the compile, the later epochs give the steady speed. Peak GPU memory from nvidia-smi.
# Run from the repo root: OUT=folder bash benchmarks/gpu_deep.sh
set -u
OUT=${OUT:-/tmp/gpu_deep}; mkdir -p "$OUT"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit 1
fi
export KERAS_BACKEND=${KERAS_BACKEND:-jax} XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export RESNET_EXPLORER_HOME=$(mktemp -d)
nvidia-smi -L | tee "$OUT/device.txt"
run() {  # NAME SECONDS
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "$OUT/$1.mem" &
  local smi=$!
  local t0=$SECONDS
  timeout "$2" python3 -m resnet_core train "$1" --dataset shapes --batch-size 128 --steps 60 \
    --json > "$OUT/$1.json" 2> "$OUT/$1.err"
  echo "$1: exit $? in $((SECONDS - t0)) s, peak GPU MiB $(sort -n "$OUT/$1.mem" | tail -1)" | tee -a "$OUT/summary.txt"
  kill $smi 2>/dev/null
  tail -3 "$OUT/$1.err"; cat "$OUT/$1.json"; echo
}
run cifar_resnet110 150
run cifar_resnet1202 360

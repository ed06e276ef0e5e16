#!/usr/bin/env bash
# The GPU decode path, checked and measured on a fresh NVIDIA machine (H100/H200) in under
# 8 minutes: same tokens on every path, then the table of benchmarks/gpu_decode.py.
#
#   benchmarks/gpu_check.sh              # from anywhere; prints everything, writes BENCHMARKS.md
#   OUT=/some/dir benchmarks/gpu_check.sh    # also copies the log and BENCHMARKS.md there
#   GPU_CHECK_TOKENS_ARGS="--cpu --paths eager,static" \
#   GPU_CHECK_TABLE_ARGS="--small --cpu --paths static --new-tokens 4 --skip-hf-compile" \
#     benchmarks/gpu_check.sh                # the script's own flow, on a machine without a GPU
#
# Needs what such a machine has: python3 with a CUDA torch, transformers, tokenizers and
# safetensors. Installs nothing from a registry. platformdirs (the app's paths) comes from
# carried wheels in .whl/ when present, else from pip's own vendored copy; bitsandbytes is
# optional (its rows say n/a without it). To carry wheels, here, in the repo root:
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl platformdirs [bitsandbytes]
# Figures for the README: the table's device, date, and rows, next to the goals it prints.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
budget=${GPU_CHECK_BUDGET_S:-470}  # whole script, seconds: leaves room inside an 8-minute slot
log=$(mktemp /tmp/gpu_check.XXXXXX.log)
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error

say() { echo "== $*" | tee -a "$log"; }

say "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
python3 -c 'import sys, torch, transformers; print("python", sys.version.split()[0], "torch", torch.__version__,
"cuda", torch.version.cuda, "available", torch.cuda.is_available(), "transformers", transformers.__version__)' \
  2>&1 | tee -a "$log"

site=/tmp/gpu_check_site
mkdir -p "$site"
if ! python3 -c 'import platformdirs' 2>/dev/null; then
  if ls .whl/*.whl >/dev/null 2>&1; then
    say "installing the carried wheels: $(ls .whl)"
    python3 -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl 2>&1 | tail -3
  else
    say "platformdirs: using pip's vendored copy"
    mkdir -p "$site/platformdirs"
    echo 'from pip._vendor.platformdirs import *  # noqa: F401,F403 - no wheel carried' > "$site/platformdirs/__init__.py"
  fi
fi
export PYTHONPATH="$PWD:$PWD/benchmarks:$site${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import bitsandbytes' 2>/dev/null && bnb="" || { bnb="--skip-bnb"; say "bitsandbytes absent: skipped"; }

say "1/2 same tokens on every decode path (small fp32 model, CUDA graphs and overlap on)"
timeout 150 python3 benchmarks/gpu_tokens.py ${GPU_CHECK_TOKENS_ARGS:-} 2>&1 | grep --line-buffered -v Warning \
  | tee -a "$log"
tokens_status=${PIPESTATUS[0]}

left=$((budget - (SECONDS - started) - 15))
say "2/2 StarCoder2-15B decode table (random bf16 weights; ${left} s left)"
timeout "$left" python3 benchmarks/gpu_decode.py ${GPU_CHECK_TABLE_ARGS:---paths compiled --repeats 3} \
  --budget-s $((left - 45)) $bnb --output BENCHMARKS.md 2>&1 | grep --line-buffered -v Warning | tee -a "$log"
table_status=${PIPESTATUS[0]}

say "done in $((SECONDS - started)) s; token check exit $tokens_status, table exit $table_status (124: out of time)"
if [ -n "${OUT:-}" ]; then
  cp "$log" "$OUT/gpu_check.log"
  [ -f BENCHMARKS.md ] && cp BENCHMARKS.md "$OUT/"
fi
exit $(( tokens_status != 0 || table_status != 0 ))

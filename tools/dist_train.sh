#!/usr/bin/env bash
# Train with several processes through torchrun and mmengine's pytorch launcher, as
# mmdet3d's tools/dist_train.sh does (torchrun instead of torch.distributed.launch):
#   bash tools/dist_train.sh CONFIG NUM_PROCS [tools/train.py options ...]
# One process per GPU; on a machine without CUDA the processes train on CPU over gloo
# (give each a share of the cores with OMP_NUM_THREADS). Several machines: set NNODES,
# NODE_RANK, MASTER_ADDR and PORT on each. PYTHON picks the interpreter.
set -euo pipefail
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
TOOLS=$(dirname "$0")

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$NPROCS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"

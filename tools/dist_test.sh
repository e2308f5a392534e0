#!/usr/bin/env bash
# Evaluate a checkpoint with several processes through torchrun and mmengine's pytorch
# launcher, as mmdet3d's tools/dist_test.sh does:
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [tools/test.py options ...]
# Same environment variables as tools/dist_train.sh (NNODES, NODE_RANK, MASTER_ADDR,
# PORT, PYTHON); without CUDA the processes run on CPU over gloo.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROCS=$3
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
    "$TOOLS/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"

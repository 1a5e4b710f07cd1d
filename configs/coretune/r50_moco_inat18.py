# Core-tuning of MoCo v2 ResNet-50 on iNaturalist 2018: SCL's settings
# (../baselines/scl_r50_moco_inat18.py, eta = 10) with the focal contrastive loss
# on hard pairs from hardness-directed mixup (alpha = 1; lambda_n = 0.8,
# lambda_p = 0, HardnessDirectedMixup's defaults) and the smooth classifier.
# eta and alpha: the paper's appendix C.2 for this dataset.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
# (the paper: 4 GPUs for iNaturalist18, total batch 128: appendix C.2, "The
# experiments are conducted on 4 TITAN RTX 2080 GPUs for iNaturalist18";
# `bash tools/dist_train.sh CONFIG 4` runs 4 x 32)
_base_ = ['../baselines/scl_r50_moco_inat18.py']

model = dict(
    head=dict(
        con_loss=dict(type='FocalSupConLoss'),
        miner=dict(type='HardnessDirectedMixup', alpha=1)))

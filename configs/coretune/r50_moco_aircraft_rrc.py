# Core-tuning of MoCo v2 ResNet-50 on FGVC Aircraft with the random-resized-
# crop recipe (train random resized crop 224 + flip) instead of the paper's
# rescaling + rotation (supplement C.2): ./r50_moco_aircraft.py with the train
# pipeline of ../_base_/datasets/aircraft_rrc.py, as
# ../baselines/ce_r50_moco_aircraft_rrc.py; test as there.
# batch: 1 GPU x 64 = 64 (auto_scale_lr.base_batch_size)
_base_ = ['./r50_moco_aircraft.py']

train_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_train_pipeline}}))

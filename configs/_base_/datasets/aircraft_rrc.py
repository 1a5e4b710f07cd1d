# FGVC Aircraft with the random-resized-crop recipe (224 + horizontal flip)
# instead of the paper's rescaling + rotation (aircraft.py); test as there,
# resize 256x256 and centre crop 224.
_base_ = ['./aircraft.py']

train_dataloader = dict(dataset=dict(pipeline={{_base_.rrc_train_pipeline}}))

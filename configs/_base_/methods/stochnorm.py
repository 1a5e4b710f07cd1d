# StochNorm (Kou et al., NeurIPS 2020): every BN layer of the backbone becomes
# a StochNorm2d layer, which in training normalises each channel by the
# mini-batch statistics with probability p and by the moving statistics
# otherwise (p = 0.5, tllib's --prob); in evaluation it is BN. Its parameters
# and buffers are BN's, so the pre-trained checkpoint loads as it is. For a
# CE-tuning config:
#   model = {{_base_.stochnorm_model}}
stochnorm_model = dict(backbone=dict(norm_cfg=dict(type='StochNorm2d', p=0.5)))

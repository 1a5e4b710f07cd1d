# The former name of the one-GPU HCSC ImageNet config, kept for the commands
# users typed: ./hcsc_r50_1xb256-splitbn8-200e_in1k.py, unchanged (it now
# emulates the official run's shuffle-BN with SplitBatchNorm2d; the paper's
# own 8-GPU layout is ./hcsc_r50_8xb32-200e_in1k.py).
# batch: 1 GPU x 256 = 256 (auto_scale_lr.base_batch_size)
_base_ = ['./hcsc_r50_1xb256-splitbn8-200e_in1k.py']

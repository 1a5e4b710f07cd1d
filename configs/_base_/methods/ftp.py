# FTP, Fast Trainable Projection (Tian et al., "Fast Trainable Projection for
# Robust Fine-Tuning", NeurIPS 2023; official code GT-RIPL/FTP, util/FTP.py):
# the optimizer's step, then each pre-trained tensor projected to a learned
# L1 distance per row of its pre-trained value (mmctune.engine.optimizers.
# FTPSGD / FTPAdamW). The paper is not among this repository's papers: the
# values are the official code's defaults (k=1.0, the constraints' Adam at
# mu=1e-2, betas 0.9/0.999). The backbone is projected (custom_keys marks
# its param groups ftp=True); the classifier, trained from scratch, is not,
# as in the official code's exclude set. For a config of any method:
#   optim_wrapper = {{_base_.ftp_optim_wrapper}}
# merges into its optimizer (lr, momentum, weight decay kept). A config
# with custom_keys of its own must add ftp=True to every key that matches
# pre-trained parameters (custom_keys match by substring, longest first).
ftp_optim_wrapper = dict(
    optimizer=dict(type='FTPSGD', k=1.0, mu=1e-2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(ftp=True)}))

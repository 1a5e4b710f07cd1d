# SCL (Gunel et al.) on the built-in Fashion-MNIST demo (the demo's small ResNet, SimCLR-pre-trained): CE-tuning
# (./ce_r18-tiny_simclr_fmnist.py) + eta * SupCon on the originals, no generated pairs;
# eta = 0.1 and temperature as Core-tuning's (../coretune/r18-tiny_simclr_fmnist.py),
# the projector the model's. Table 2's "+L_con" row.
# batch: 1 GPU x 128 = 128 (auto_scale_lr.base_batch_size)
_base_ = ['./ce_r18-tiny_simclr_fmnist.py']

model = dict(
    head=dict(
        con_loss=dict(type='SupConLoss', temperature=0.07, loss_weight=0.1),
        gather_distributed=True))

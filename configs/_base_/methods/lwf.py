# LwF (Li & Hoiem, ECCV 2016): CE + lambda * KL between the pre-trained and the
# fine-tuned model's outputs on the pre-training task (lambda = 4, tllib's
# --trade-off). For a contrastive checkpoint the pre-training task is instance
# discrimination: the outputs are each image's cosine similarities to the
# frozen pre-trained model's features of the batch, at temperature T = 0.2
# (MoCo v2's; docs/methods/lwf.md). For a CE-tuning config:
#   model = {{_base_.lwf_model}}
lwf_model = dict(
    type='RegularizedClassifier',
    regularizers=[
        dict(type='LwFRegularizer', loss_weight=4.0, temperature=0.2)
    ])

# Co-Tuning (You et al., NeurIPS 2020): CE on the new head + lambda * CE of a
# kept source head against the soft labels p(y_s | y_t) of the target label
# (lambda = 2.3, tllib's --trade-off). For a contrastive checkpoint the source
# classes are K = 1000 pseudo classes, the spherical k-means clusters of the
# pre-trained features of the training images, and the source head a cosine
# classifier over their centroids (tau = 0.1); the relationship is tllib's
# direct one, the mean source prediction per target class, both computed
# before training on the training images with the test pipeline
# (docs/methods/cotuning.md). For a CE-tuning config:
#   model = {{_base_.cotuning_model}}
cotuning_model = dict(
    type='CoTuningClassifier',
    num_source_classes=1000,
    temperature=0.1,
    loss_weight=2.3)
custom_hooks = [dict(type='CoTuningRelationshipHook', pipeline='val')]

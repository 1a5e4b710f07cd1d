"""A tiny regression task in mmengine's registries (no mmctune model), for
the sweep runner's tests: 8 points of y = 2x, a 1-parameter line, a mean
squared error metric. Imported by the configs (``custom_imports``), so the
worker processes of a sweep register it too."""
import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, METRICS, MODELS
from torch.utils.data import Dataset


@DATASETS.register_module(force=True)
class ToyLineDataset(Dataset):

    def __init__(self, n=8):
        self.x = torch.linspace(-1, 1, n)[:, None]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], target=2 * self.x[i])


@MODELS.register_module(force=True)
class ToyLine(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(1, 1)

    def forward(self, inputs, target, mode='tensor'):
        pred = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=((pred - target)**2).mean())
        return [dict(pred=p, target=t) for p, t in zip(pred, target)]


@METRICS.register_module(force=True)
class ToyMSE(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results += [
            float((d['pred'] - d['target'])**2) for d in data_samples
        ]

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results))


def toy_config(max_epochs=2, seed=0, lr=0.1):
    """A config of the task: train, validation (every epoch) and test on
    the same 8 points."""
    from mmengine.config import Config
    loader = dict(
        dataset=dict(type='ToyLineDataset'),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=4,
        num_workers=0,
        collate_fn=dict(type='default_collate'))
    return Config(
        dict(
            custom_imports=dict(
                imports=['tests.test_benchmarks.toy'],
                allow_failed_imports=False),
            model=dict(type='ToyLine'),
            train_dataloader=dict(
                loader, sampler=dict(type='DefaultSampler', shuffle=True)),
            train_cfg=dict(
                by_epoch=True, max_epochs=max_epochs, val_interval=1),
            val_dataloader=loader,
            val_evaluator=dict(type='ToyMSE'),
            val_cfg=dict(),
            test_dataloader=loader,
            test_evaluator=dict(type='ToyMSE'),
            test_cfg=dict(),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=max_epochs),
                logger=dict(type='LoggerHook', interval=1)),
            randomness=dict(seed=seed),
            log_level='WARNING'))

"""The fine-tuning methods the toolbox compares, and their configs per
setting: the one list that the demo (``tools/demo.py``) and the benchmarks
(``tools/benchmarks/step_time.py``, ``finetune_table.py``,
``tools/analysis_tools/multi_seed.py``) read.

A *setting* is one network, pre-training and dataset that several methods
have a config for (``SETTINGS``); a *method* (``METHODS``, in the order the
tables list them: CE-tuning first, Core-tuning after the baselines, its
ablations after it) names its config in each setting it has one for.

Config paths are relative to the repository root (where ``configs/`` is).
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

# setting -> what it is
SETTINGS = {
    'fmnist':
    'Fashion-MNIST 28x28, the small ResNet-18 from the project\'s own SimCLR '
    'pre-training (configs/<method>/r18-tiny_simclr_fmnist.py; the demo)',
    'fmnist-mbv2':
    'Fashion-MNIST resized to 32x32, MobileNetV2 from torchvision\'s '
    'supervised ImageNet weights (configs/<method>/mbv2_in1k_fmnist.py)',
    'cifar10':
    'CIFAR-10, ResNet-50 from MoCo v2 (configs/<method>/r50_moco_cifar10.py;'
    ' the paper\'s Table 1)',
    'seg':
    'PASCAL VOC 2012 aug, DeepLabV3 on the MoCo v2 ResNet-50 '
    '(configs/seg/deeplabv3_r50_moco_<method>_voc12aug.py)',
}

# kinds: 'fine-tuning' (a method of its own), 'ablation' (Core-tuning with a
# component changed, the paper's Table 2), 'adversarial' (adversarial
# fine-tuning, also tested under attack)
KINDS = ('fine-tuning', 'ablation', 'adversarial')

# the hyper-parameters the fine-tuning benchmark tunes, by config path, and
# the short name its tables give them. eta-like weights take {0.1, 1, 10};
# L2-SP's and BSS's weights, whose scales differ, {0.1, 1, 10} x their
# config value.
GRID = (0.1, 1.0, 10.0)
PARAM_NAMES = {
    'model.head.con_loss.loss_weight': 'eta',
    'model.head.miner.alpha': 'alpha',
    'model.regularizers.0.alpha': 'alpha',
    'model.head.feature_losses.0.loss_weight': 'weight',
    'model.loss_weight': 'weight',
    # COIN's stage-2 weight (StageSwitchHook's stages: [(at, changes)])
    'custom_hooks.0.stages.0.1.head.con_loss.loss_weight': 'eta',
    'model.backbone.norm_cfg.p': 'p',
    'model.regularizers.0.loss_weight': 'weight',
    'model.backbone.frozen_stages': 'k',
    'custom_hooks.0.momentum': 'momentum',
}
_CORE_GRID = {
    'model.head.con_loss.loss_weight': GRID,
    'model.head.miner.alpha': GRID
}


@dataclass(frozen=True)
class Method:
    """One fine-tuning method.

    Args:
        name (str): The label of the tables and of the tools' command lines
            (``--methods``, ``--rows``), e.g. ``'Core-tuning'``.
        key (str): A file-name form of the name: the demo's work directory
            (``work_dirs/demo/<key>``) and ``multi_seed.py``'s method folder.
        kind (str): One of ``KINDS``.
        configs (dict): setting (``SETTINGS``) -> config path.
        family (str, optional): The config paths of this method in every
            setting and dataset start with ``configs/<family>`` (e.g.
            ``coretune/``, ``baselines/ce_``): how ``method_of_config``
            knows a config it is not given in ``configs``.
        grid (dict | str, optional): What the fine-tuning benchmark
            (``finetune_table.py``) tunes: config path -> values (``{}``:
            nothing to tune), or the name of the method whose chosen values
            this one takes. None: not in that benchmark.
    """
    name: str
    key: str
    kind: str
    configs: Dict[str, str] = field(default_factory=dict)
    family: Optional[str] = None
    grid: Union[None, str, Dict[str, Tuple[float, ...]]] = None

    def config(self, setting: str) -> str:
        """The config of ``setting``; KeyError naming the settings it has
        one for."""
        if setting not in self.configs:
            raise KeyError(f'{self.name} has no config for {setting!r}; it '
                           f'has {sorted(self.configs)}')
        return self.configs[setting]


def _demo_and_cifar10(family):
    """A family's configs of the Fashion-MNIST demo and of CIFAR-10:
    ``l2sp/`` -> ``configs/l2sp/r18-tiny_simclr_fmnist.py``, ..."""
    return dict(
        fmnist=f'configs/{family}r18-tiny_simclr_fmnist.py',
        cifar10=f'configs/{family}r50_moco_cifar10.py')


def _with_sep(family):
    return family if family.endswith('_') else family + '/'


def _method(name, key, family, grid=None, extra=None, kind='fine-tuning'):
    configs = _demo_and_cifar10(_with_sep(family))
    configs.update(extra or {})
    return Method(name, key, kind, configs, _with_sep(family), grid)


METHODS = (
    _method(
        'CE-tuning',
        'ce-tuning',
        'baselines/ce_', {},
        extra={
            'fmnist-mbv2': 'configs/baselines/ce_mbv2_in1k_fmnist.py',
            'seg': 'configs/seg/deeplabv3_r50_moco_ce_voc12aug.py'
        }),
    _method(
        'SCL (+L_con)',
        'scl',
        'baselines/scl_', {'model.head.con_loss.loss_weight': GRID},
        extra={'fmnist-mbv2': 'configs/baselines/scl_mbv2_in1k_fmnist.py'}),
    _method(
        'L2-SP',
        'l2sp',
        'l2sp', {'model.regularizers.0.alpha': (0.001, 0.01, 0.1)},
        extra={'fmnist-mbv2': 'configs/l2sp/mbv2_in1k_fmnist.py'}),
    _method('DELTA', 'delta', 'delta'),
    _method(
        'BSS',
        'bss',
        'bss',
        {'model.head.feature_losses.0.loss_weight': (0.0001, 0.001, 0.01)},
        extra={'fmnist-mbv2': 'configs/bss/mbv2_in1k_fmnist.py'}),
    _method('RIFLE', 'rifle', 'rifle'),
    _method('M&M', 'mm', 'mm'),
    _method('Bi-tuning', 'bituning', 'bituning', {'model.loss_weight': GRID}),
    _method('Noisy-Tune', 'noisytune', 'noisytune'),
    _method(
        'COIN',
        'coin',
        'coin', {
            'custom_hooks.0.stages.0.1.head.con_loss.loss_weight': GRID
        },
        extra={'fmnist-mbv2': 'configs/coin/mbv2_in1k_fmnist.py'}),
    # tllib's other fine-tuning methods (docs/methods/{stochnorm,lwf,
    # cotuning}.md): their main knob around tllib's default
    _method('StochNorm', 'stochnorm', 'stochnorm',
            {'model.backbone.norm_cfg.p': (0.3, 0.5, 0.7)}),
    _method('LwF', 'lwf', 'lwf',
            {'model.regularizers.0.loss_weight': (0.4, 4.0, 40.0)}),
    _method('Co-Tuning', 'cotuning', 'cotuning',
            {'model.loss_weight': (0.23, 2.3, 23.0)}),
    # the strong baselines (docs/methods/strong_baselines.md). LLRD's one
    # knob, the decay, is written out into one lr_mult per stage for the
    # ResNet-18s (configs/_base_/methods/llrd.py), so it runs at 0.7
    # (mmpretrain's) untuned
    _method('LLRD', 'llrd', 'llrd', {}),
    # linear probe for the first half of the epochs, then everything
    # (Kumar et al.'s schedule; the switch point sits in a tuple of
    # StageSwitchHook's stages, which a grid path cannot set: untuned)
    _method('LP-FT', 'lp-ft', 'lp_ft', {}),
    _method('Freeze k stages', 'freeze', 'freeze',
            {'model.backbone.frozen_stages': (0, 1, 2)}),
    _method('EMA', 'ema', 'ema', {'custom_hooks.0.momentum': (0.005, 0.02,
                                                               0.08)}),
    _method(
        'Core-tuning',
        'core-tuning',
        'coretune',
        _CORE_GRID,
        extra={
            'fmnist-mbv2': 'configs/coretune/mbv2_in1k_fmnist.py',
            'seg': 'configs/seg/deeplabv3_r50_moco_coretune_voc12aug.py'
        }),
    # the paper's Table 2 rows that are not a method of their own
    Method(
        '+mix',
        'table2-mix',
        'ablation', {
            'fmnist':
            'configs/coretune/ablations/'
            'r18-tiny_simclr_fmnist_table2-mix.py',
            'cifar10':
            'configs/coretune/ablations/'
            'r50_moco_cifar10_table2-mix.py',
        },
        grid={'model.head.miner.alpha': GRID}),
    Method(
        '+L_con +mix-H',
        'table2-lcon-mixh',
        'ablation', {
            'fmnist':
            'configs/coretune/ablations/'
            'r18-tiny_simclr_fmnist_table2-lcon-mixh.py',
            'cifar10':
            'configs/coretune/ablations/'
            'r50_moco_cifar10_table2-lcon-mixh.py',
        },
        grid='Core-tuning'),
    Method('AT-CE', 'at-ce', 'adversarial',
           {'fmnist': 'configs/adv/at-ce_r18-tiny_simclr_fmnist.py'},
           'adv/at-ce_'),
    Method('AT-Core', 'at-core', 'adversarial',
           {'fmnist': 'configs/adv/at-core_r18-tiny_simclr_fmnist.py'},
           'adv/at-core_'),
)


def get_method(name: str) -> Method:
    """The method called ``name``; KeyError listing the names."""
    for method in METHODS:
        if method.name == name:
            return method
    raise KeyError(f'unknown method {name!r}; the methods are '
                   f'{[m.name for m in METHODS]}')


def methods_of(setting: str,
               kinds: Tuple[str, ...] = KINDS,
               benchmark: bool = False) -> Tuple[Method, ...]:
    """The methods with a config for ``setting``, of one of ``kinds``, in
    the table's order; ``benchmark``: only those in the fine-tuning
    benchmark (a ``grid``)."""
    if setting not in SETTINGS:
        raise KeyError(f'unknown setting {setting!r}; the settings are '
                       f'{sorted(SETTINGS)}')
    return tuple(
        m for m in METHODS if setting in m.configs and m.kind in kinds and (
            not benchmark or m.grid is not None))


def method_of_config(config: str) -> Optional[Method]:
    """The method a config path belongs to: the one that names it, else the
    one whose ``family`` it is in (``configs/<family><file>``, no further
    folder); None if none is.

    ``configs/coretune/r50_moco_dtd.py`` -> Core-tuning;
    ``configs/baselines/ce_r50_moco_pets.py`` -> CE-tuning.
    """
    path = config.replace('\\', '/')
    for method in METHODS:
        if any(path.endswith(c) for c in method.configs.values()):
            return method
    for method in METHODS:
        if not method.family:
            continue
        prefix = f'configs/{method.family}'
        i = path.rfind(prefix)
        if i >= 0 and '/' not in path[i + len(prefix):]:
            return method
    return None

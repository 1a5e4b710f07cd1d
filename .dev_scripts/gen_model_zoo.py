"""Write docs/model_zoo.md from the model index (model-index.yml and
configs/*/metafile.yml), as mmpretrain's docs build its model-zoo pages
from its metafiles.

    python .dev_scripts/gen_model_zoo.py            # writes docs/model_zoo.md
    python .dev_scripts/gen_model_zoo.py --check    # exit 1 if it is stale

tests/test_apis/test_model_index.py checks that the page is up to date.
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OUT = osp.join(ROOT, 'docs', 'model_zoo.md')

HEADER = """# Model zoo

Every config mmctune ships is a model of its model index
(`model-index.yml`, one `configs/<folder>/metafile.yml` per config folder,
OpenMMLab's format); this page is written from it by
`python .dev_scripts/gen_model_zoo.py` (a test checks that it is up to
date). The index is what the demo, the benchmarks and
`tools/analysis_tools/multi_seed.py` read, and what
`mmctune.apis.list_models` / `get_model` and `mim search mmctune` search:

```python
from mmctune.apis import get_model, list_models
print(list_models('coretune/r50_moco_cifar10'))  # and its _rrc variant, ...
model = get_model('baselines/ce_r18-tiny_simclr_fmnist')  # in eval mode
```

`get_model(name, pretrained=CHECKPOINT)` also loads a checkpoint, strictly.
A model's name is its config's path under `configs/` without `.py`. No
trained weights are released yet: the "paper" column is the figure the
paper reports for the config's row (its table in "paper tables"), not one
measured here; "measured here" lists figures of
[benchmarks.md](benchmarks.md) by section. A comparison (the tables of the
benchmarks and of the demo) lists the methods of a setting by role
(reference, baselines, proposed, ablations, adversarial), then in this
page's order.
"""


def _cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def _figures(results):
    parts = []
    for result in results or []:
        metrics = ', '.join(f'{k} {v:.2f}' for k, v in result.metrics.items())
        parts.append(f'{result.dataset}: {metrics}')
    return '; '.join(parts)


def _measured(entries):
    parts = []
    for entry in entries or []:
        section = entry['Section'].split(' ', 1)[0].rstrip('.')
        metrics = ', '.join(f'{k} {v}' for k, v in entry['Metrics'].items())
        parts.append(f'§{section}: {metrics}')
    return '; '.join(parts)


def _tables(entries):
    return '; '.join(f'{e["Paper"]}, {e["Table"]}' for e in entries or [])


def render() -> str:
    from mmctune.apis import ModelHub
    from mmctune.apis.model import metadata, role_of
    models = ModelHub.models()
    by_collection = OrderedDict((c.name, []) for c in ModelHub.collections())
    for model in models:
        by_collection[model.in_collection].append(model)
    lines = [
        HEADER, '## Methods', '',
        '| method | role | configs | settings | paper | docs |',
        '|---|---|---|---|---|---|'
    ]
    for col in ModelHub.collections():
        rows = by_collection[col.name]
        settings = sorted({
            metadata(m)['Setting']
            for m in rows if metadata(m).get('Setting')
        })
        paper = col.paper or {}
        title = paper.get('Title', '') if isinstance(paper, dict) else paper
        url = paper.get('URL') if isinstance(paper, dict) else None
        paper_cell = f'[{title}]({url})' if url else title
        docs = col.data.get('Docs')
        docs_cell = (f'[{osp.basename(docs)}]({osp.relpath(docs, "docs")})'
                     if docs else '')
        lines.append(f'| [{_cell(col.name)}](#{_anchor(col.name)}) | '
                     f'{role_of(col) or "-"} | {len(rows)} | '
                     f'{", ".join(settings) or "-"} | {_cell(paper_cell)} | '
                     f'{docs_cell} |')
    for col in ModelHub.collections():
        lines += [
            '', f'## {col.name}', '',
            '| model | task | training data | backbone | pre-training '
            '| setting | paper tables | paper | measured here |',
            '|---|---|---|---|---|---|---|---|---|'
        ]
        for m in by_collection[col.name]:
            meta = metadata(m)
            lines.append('| ' + ' | '.join(
                _cell(v) for v in
                (f'`{m.name}`', meta.get('Task', ''),
                 meta.get('Training Data', ''), meta.get('Backbone', ''),
                 meta.get('Pre-training', ''), meta.get('Setting', ''),
                 _tables(m.data.get('Reproduces')), _figures(m.results),
                 _measured(m.data.get('Measured')))) + ' |')
    return '\n'.join(lines) + '\n'


def _anchor(title):
    """GitHub's anchor of a markdown heading."""
    keep = ''.join(c for c in title.lower() if c.isalnum() or c in ' -_')
    return keep.replace(' ', '-')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='exit 1 if docs/model_zoo.md is not what the '
        'index gives')
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        with open(OUT, encoding='utf-8') as f:
            stale = f.read() != text
        if stale:
            print(f'{OUT} is stale: run python .dev_scripts/gen_model_zoo.py')
        return 1 if stale else 0
    with open(OUT, 'w', encoding='utf-8') as f:
        f.write(text)
    print(OUT)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""RandomStateHook warns about persistent workers when a run resumes with
them (its augmentations then differ), not on every fresh run."""
from types import SimpleNamespace
from unittest import mock

import pytest

from mmctune.engine.hooks.random_state_hook import RandomStateHook


def fake_runner(resume, persistent, num_workers=2):
    loader = SimpleNamespace(
        num_workers=num_workers, persistent_workers=persistent)
    return SimpleNamespace(
        _resume=resume,
        train_dataloader=loader,
        work_dir='/nonexistent',
        model=mock.MagicMock(named_modules=lambda: []),
        logger=mock.MagicMock())


@pytest.mark.parametrize(
    'resume,persistent,num_workers,warns',
    [
        (True, True, 2, True),
        (False, True, 2, False),  # a fresh run: nothing to warn about
        (True, False, 2, False),
        (True, True, 0, False),
    ])
def test_persistent_workers_warning_on_resume_only(resume, persistent,
                                                   num_workers, warns):
    hook = RandomStateHook()
    runner = fake_runner(resume, persistent, num_workers)
    hook.before_train(runner)  # a fresh start says nothing
    with mock.patch('mmctune.engine.hooks.random_state_hook.set_rng_state'):
        hook.after_load_checkpoint(runner,
                                   {'meta': {
                                       'rng_state': {
                                           'modules': {}
                                       }
                                   }})
    warned = [
        c for c in runner.logger.warning.call_args_list
        if 'persistent' in c.args[0]
    ]
    assert bool(warned) == warns

"""The one place a classification loss gets its log name."""


def name_ce_term(losses: dict) -> dict:
    """``losses`` with mmpretrain's ``ClsHead`` term ``'loss'`` (its
    cross-entropy) renamed ``'loss_ce'``. mmengine's ``parse_losses`` logs the
    sum of all terms as ``'loss'``; a term of that name would then replace
    the optimised total in the log. Every head or classifier that adds terms
    to a ``ClsHead``'s losses calls this."""
    return {('loss_ce' if k == 'loss' else k): v for k, v in losses.items()}

# PGD-10 attacks of the Core-tuning paper's adversarial fine-tuning (§5.4,
# Table 9, appendix Table 5), for images in [0, 1] (PGDAttack scales them to
# the data preprocessor's pixels and normalisation). Step size: the
# PGDAttack default 2.5 * eps / steps (Madry et al.).
# Used by configs/adv/*: `attack={{_base_.pgd10_l2_0_5}}` trains against one
# budget, `attacks={{_base_.robust_attacks}}` evaluates under all of them.
# Table 9's six budgets, one trained model each: l2 eps in {0.5, 1.5, 2.5},
# linf eps in {2, 4, 8}/255.
pgd10_l2_0_5 = dict(type='PGDAttack', norm='l2', eps=0.5, steps=10)
pgd10_l2_1_5 = dict(type='PGDAttack', norm='l2', eps=1.5, steps=10)
pgd10_l2_2_5 = dict(type='PGDAttack', norm='l2', eps=2.5, steps=10)
pgd10_linf_2 = dict(type='PGDAttack', norm='linf', eps=2 / 255, steps=10)
pgd10_linf_4 = dict(type='PGDAttack', norm='linf', eps=4 / 255, steps=10)
pgd10_linf_8 = dict(type='PGDAttack', norm='linf', eps=8 / 255, steps=10)

# robust evaluation: every budget above
robust_attacks = [
    pgd10_l2_0_5, pgd10_l2_1_5, pgd10_l2_2_5, pgd10_linf_2, pgd10_linf_4,
    pgd10_linf_8
]

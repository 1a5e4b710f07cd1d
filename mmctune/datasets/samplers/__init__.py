from .domain_balanced import DomainBalancedSampler, domain_labels_of

__all__ = ['DomainBalancedSampler', 'domain_labels_of']

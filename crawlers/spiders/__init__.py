"""The generic spiders, one per source kind/type (see crawlers.registry)."""

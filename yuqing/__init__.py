"""Composition root of yuqing: the command line and the scheduler, the only modules that import every stage."""

"""pinmc: a state-space model checker for Linux-kernel page-pinning rules."""

__version__ = "0.1.0"

"""The platform-free core of the debate-practice bot."""

__version__ = "0.1.0"

"""starcoder-play: a terminal playground for the code model StarCoder2-15B."""

__version__ = "0.1.0"

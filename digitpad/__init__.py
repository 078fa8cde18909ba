"""DigitPad: draw a digit, see what a neural network makes of it."""

__version__ = "1.0.0"

"""DigitPad's bundled data: models and icons. Installed as ``digitpad.resources``."""

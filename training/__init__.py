"""Training DigitPad's networks: data, augmentation, models, the loop, adaptation, the
search (:mod:`training.search`) and the CLI (:mod:`training.cli`).

Everything here may import torch; the app (``digitpad/``) never imports this
package. The only thing that crosses over is the model file, written through
:func:`digitpad.model_file.save_model`.
"""

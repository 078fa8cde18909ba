"""The FCNN's training step written out by hand: forward, backward and Adam, no autograd.

At batch 128 a 784-128-10 step is mostly overhead rather than arithmetic:
autograd records a graph, ``nn.Module`` calls dispatch through hooks and the
optimizer walks its parameter groups. Written out, the step is a dozen kernel
calls and one fused Adam update, and runs about twice as fast as the autograd
step on one or two CPU threads (``benchmarks/train_throughput.py``). Its updates
equal those of autograd with ``torch.optim.Adam(fused=True)``
(``tests/test_fcnn_step.py``), so the model a recipe makes does not depend on
which step trained it.
"""

from __future__ import annotations

import torch

from training.config import TrainConfig

BETAS = (0.9, 0.999)
EPS = 1e-8


def supports(config: TrainConfig, device: torch.device, distilling: bool) -> bool:
    """Whether this step can train ``config``; otherwise the autograd step does.

    Dropout, distillation and the one-cycle schedule (which also cycles Adam's
    first beta) are left to autograd, and so are GPUs, where per-step overhead
    is not what limits a run and where this step has not been measured.
    """
    return (
        config.arch == "fcnn"
        and config.dropout == 0
        and not distilling
        and config.schedule in ("constant", "cosine")
        and device.type == "cpu"
        and hasattr(torch, "_fused_adam_")
    )


class FcnnStep:
    """Trains the ``fc1``/``fc2`` parameters of an FCNN in place, one batch per call."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig) -> None:
        # The first layer's weights are trained as their transpose (input × hidden, in
        # rows), which the forward product reads 1.6x faster than the module's layout;
        # the module keeps seeing the same numbers through a transposed view until
        # :meth:`finish` gives it its usual layout back. Adam works element by element,
        # so its update does not depend on the layout.
        self.model = model
        w1t = model.fc1.weight.detach().t().contiguous()
        model.fc1.weight = torch.nn.Parameter(w1t.t())
        self.params = [w1t, model.fc1.bias, model.fc2.weight, model.fc2.bias]
        self.grads = [torch.zeros_like(p) for p in self.params]
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), device=p.device) for p in self.params]
        self.smoothing = config.label_smoothing
        self.weight_decay = config.weight_decay
        classes = model.fc2.weight.shape[0]
        self.eye = torch.eye(classes, device=model.fc2.weight.device)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
        """One Adam step on normalised images ``x`` with labels ``y``; the batch's loss."""
        w1t, b1, w2, b2 = self.params
        g_w1t, g_b1, g_w2, g_b2 = self.grads
        x = x.reshape(len(x), -1)
        hidden = torch.addmm(b1, x, w1t).relu_()
        log_p = torch.log_softmax(torch.addmm(b2, hidden, w2.t()), 1)
        target = self.eye[y]
        if self.smoothing:
            target.mul_(1 - self.smoothing).add_(self.smoothing / target.shape[1])
        loss = -float((log_p * target).sum()) / len(x)
        # d loss / d logits of the mean cross-entropy: (softmax - target) / batch.
        g_logits = log_p.exp_().sub_(target).div_(len(x))
        torch.mm(g_logits.t(), hidden, out=g_w2)
        torch.sum(g_logits, 0, out=g_b2)
        g_hidden = torch.mm(g_logits, w2).mul_(hidden > 0)
        torch.mm(x.t(), g_hidden, out=g_w1t)
        torch.sum(g_hidden, 0, out=g_b1)
        torch._foreach_add_(self.steps, 1)  # the kernel reads the step count, never counts it
        torch._fused_adam_(
            self.params,
            self.grads,
            self.exp_avgs,
            self.exp_avg_sqs,
            [],
            self.steps,
            lr=lr,
            beta1=BETAS[0],
            beta2=BETAS[1],
            weight_decay=self.weight_decay,
            eps=EPS,
            amsgrad=False,
            maximize=False,
        )
        return loss

    def finish(self) -> None:
        """Give the model's first layer its usual contiguous layout, with the trained weights."""
        fc1 = self.model.fc1
        fc1.weight = torch.nn.Parameter(fc1.weight.detach().contiguous())

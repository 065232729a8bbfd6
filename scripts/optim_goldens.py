"""Optimizer cases for scripts/make_goldens.py: torch.optim's SGD (momentum, Nesterov), Adam, AdamW, RMSprop, Adagrad
(which the project takes from LibTorch) and Adadelta, Adamax, ASGD and Rprop (which it implements) in PyTorch 1.13, on a
quadratic f(w) = 0.5 * sum(a_i w_i^2); the parameters after each step. tests/optim/optimizer_test.cpp runs the
project's optimizers, built from the same config text, on the same problem and compares."""
import torch

A = [1.0, 4.0, 0.25]
W0 = [1.0, -2.0, 3.0]


def run(make, steps=12):
    w = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    opt = make([w])
    a = torch.tensor(A, dtype=torch.float64)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (a * w * w).sum()).backward()
        opt.step()
        out.append([float("%.12g" % v) for v in w.detach().tolist()])
    return out


def cases():
    O = torch.optim
    specs = [
        ("sgd", "solver: {optimizer: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01}",
         lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("adam", "solver: {optimizer: adam, lr: 0.1, betas: [0.8, 0.99], eps: 1.0e-8, weight_decay: 0.01}",
         lambda p: O.Adam(p, lr=0.1, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.01)),
        ("adamw", "solver: {optimizer: adamw, lr: 0.1, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0.05}",
         lambda p: O.AdamW(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)),
        ("rmsprop", "solver: {optimizer: rmsprop, lr: 0.01, momentum: 0.5, eps: 1.0e-8, weight_decay: 0.01}",
         lambda p: O.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.5, weight_decay=0.01)),
        ("adagrad", "solver: {optimizer: adagrad, lr: 0.5, eps: 1.0e-10, weight_decay: 0.01}",
         lambda p: O.Adagrad(p, lr=0.5, eps=1e-10, weight_decay=0.01)),
        ("adadelta", "solver: {optimizer: adadelta, lr: 1.0, weight_decay: 0.01}", lambda p: O.Adadelta(p, lr=1.0, weight_decay=0.01)),
        ("adamax", "solver: {optimizer: adamax, lr: 0.1, weight_decay: 0.0}", lambda p: O.Adamax(p, lr=0.1)),
        ("asgd", "solver: {optimizer: asgd, lr: 0.05, weight_decay: 0.01, asgd_t0: 3}", lambda p: O.ASGD(p, lr=0.05, t0=3, weight_decay=0.01)),
        ("rprop", "solver: {optimizer: rprop, lr: 0.05, weight_decay: 0.0}", lambda p: O.Rprop(p, lr=0.05)),
    ]
    return [{"name": n, "yaml": y, "a": A, "w0": W0, "w": run(m)} for n, y, m in specs]

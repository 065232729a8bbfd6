"""LR-schedule cases for scripts/make_goldens.py: PyTorch 1.13's torch.optim.lr_scheduler run step by step.

Each case holds the schedule config (YAML text, as a user writes it), the run length and the LR (and momentum
where a scheduler moves it) before every optimizer step; tests/lr/schedule_golden_test.cpp replays the config
through the project's LrController and compares. Only cases whose semantics match the project's are here
(SPEC-LR.md says where the project deliberately differs, e.g. cosine held at eta_min after T).
"""
import warnings

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as S


warnings.filterwarnings("ignore", message="The epoch parameter")


def run(make, steps, lr=1.0, momentum=0.0, metrics=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = SGD([p], lr=lr, momentum=momentum)
    sched = make(opt)
    lrs, moms = [], []
    for t in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[t])
    return lrs, moms


def case(name, yaml, steps, make, lr=1.0, momentum=0.0, with_momentum=False, metrics=None):
    lrs, moms = run(make, steps, lr, momentum, metrics)
    out = {"name": name, "yaml": yaml, "total_iters": steps, "lr": [float("%.12g" % v) for v in lrs]}
    if with_momentum:
        out["momentum"] = [float("%.12g" % v) for v in moms]
    if metrics is not None:
        out["metrics"] = metrics
    return out


def cases():
    no_warmup = "  warmup: {iters: 0}\n"
    c = []
    c.append(case("step", "solver: {lr: 1.0}\nschedule:\n  name: step\n  step: {step_size: 3, gamma: 0.5}\n" + no_warmup, 12,
                  lambda o: S.StepLR(o, step_size=3, gamma=0.5)))
    c.append(case("multistep", "solver: {lr: 1.0}\nschedule:\n  name: multistep\n  multistep: {milestones: [3, 7], gamma: 0.1}\n" + no_warmup,
                  10, lambda o: S.MultiStepLR(o, milestones=[3, 7], gamma=0.1)))
    c.append(case("exponential", "solver: {lr: 1.0}\nschedule:\n  name: exponential\n  exponential: {gamma: 0.9}\n" + no_warmup, 10,
                  lambda o: S.ExponentialLR(o, gamma=0.9)))
    c.append(case("linear", "solver: {lr: 1.0}\nschedule:\n  name: linear\n  total: 5\n  linear: {start_factor: 0.3333333333333333, end_factor: 1.0}\n" + no_warmup,
                  8, lambda o: S.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=5)))
    c.append(case("polynomial_power2", "solver: {lr: 1.0}\nschedule:\n  name: polynomial\n  total: 4\n  polynomial: {power: 2.0}\n" + no_warmup,
                  6, lambda o: S.PolynomialLR(o, total_iters=4, power=2.0)))
    c.append(case("cosine_periodic", "solver: {lr: 1.0}\nschedule:\n  name: cosine\n  total: 10\n  cosine: {eta_min: 0.1, periodic: true}\n" + no_warmup,
                  25, lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.1)))
    c.append(case("cosine_restarts_tmult2", "solver: {lr: 1.0}\nschedule:\n  name: cosine_restarts\n  cosine_restarts: {T_0: 3, T_mult: 2, eta_min: 0.01}\n" + no_warmup,
                  25, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01)))
    c.append(case("cosine_restarts_tmult1", "solver: {lr: 0.5}\nschedule:\n  name: cosine_restarts\n  cosine_restarts: {T_0: 4}\n" + no_warmup,
                  14, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4), lr=0.5))
    for mode, gamma in (("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.95)):
        c.append(case("cyclic_" + mode,
                      "solver: {lr: 0.01, momentum: 0.9}\nschedule:\n  name: cyclic\n  cyclic: {base_lr: 0.001, max_lr: 0.006, step_size_up: 4, "
                      "step_size_down: 2, mode: %s, gamma: %s, cycle_momentum: true, base_momentum: 0.8, max_momentum: 0.9}\n" % (mode, gamma) + no_warmup,
                      20, lambda o, m=mode, g=gamma: S.CyclicLR(o, base_lr=0.001, max_lr=0.006, step_size_up=4, step_size_down=2, mode=m, gamma=g,
                                                                cycle_momentum=True, base_momentum=0.8, max_momentum=0.9),
                      lr=0.01, momentum=0.9, with_momentum=True))
    for anneal in ("cos", "linear"):
        for three in (False, True):
            c.append(case("one_cycle_%s%s" % (anneal, "_three_phase" if three else ""),
                          "solver: {lr: 0.01, momentum: 0.9}\nschedule:\n  name: one_cycle\n  one_cycle: {anneal: %s, three_phase: %s}\n"
                          % (anneal, "true" if three else "false") + no_warmup,
                          20, lambda o, a=anneal, t=three: S.OneCycleLR(o, max_lr=0.01, total_steps=20, anneal_strategy=a, three_phase=t),
                          lr=0.01, momentum=0.9, with_momentum=True))
    c.append(case("sequential_linear_exponential",
                  "solver: {lr: 1.0}\nschedule:\n  name: sequential\n  sequential: {schedules: [linear, exponential], lengths: [3]}\n"
                  "  linear: {start_factor: 0.1, end_factor: 1.0}\n  exponential: {gamma: 0.9}\n" + no_warmup, 10,
                  lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.9)], milestones=[3])))
    # Warm-up composed with a schedule: PyTorch's ChainedScheduler multiplies the factors, as prefix: false does.
    c.append(case("warmup_linear_multistep",
                  "solver: {lr: 1.0}\nschedule:\n  name: multistep\n  multistep: {milestones: [6, 8], gamma: 0.1}\n  warmup: {iters: 4, start_factor: 0.25}\n",
                  10, lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.25, total_iters=4), S.MultiStepLR(o, milestones=[6, 8], gamma=0.1)])))
    c.append(case("warmup_constant_exponential",
                  "solver: {lr: 1.0}\nschedule:\n  name: exponential\n  exponential: {gamma: 0.9}\n  warmup: {method: constant, iters: 3, start_factor: 0.5}\n",
                  8, lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.9)])))
    loss = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    c.append(case("plateau_min_rel",
                  "solver: {lr: 1.0}\nschedule:\n  name: plateau\n  plateau: {monitor: val/loss, mode: min, factor: 0.5, patience: 2, cooldown: 1, min_lr: 0.1}\n" + no_warmup,
                  len(loss), lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.1), metrics=loss))
    m_ap = [0.1, 0.2, 0.25, 0.25, 0.255, 0.26, 0.26, 0.26, 0.3, 0.3, 0.3, 0.3]
    c.append(case("plateau_max_abs",
                  "solver: {lr: 1.0}\nschedule:\n  name: plateau\n  plateau: {monitor: val/mAP, mode: max, factor: 0.1, patience: 1, threshold: 0.01, threshold_mode: abs}\n" + no_warmup,
                  len(m_ap), lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=1, threshold=0.01, threshold_mode="abs"), metrics=m_ap))
    return c

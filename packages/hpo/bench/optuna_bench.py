# Optuna side of `pnpm --filter @ft/hpo bench`: runs the same problems as bench/index.ts with
# Optuna's TPESampler and RandomSampler and prints one JSON object on stdout.
# Usage: /usr/bin/python3 optuna_bench.py < config.json, the config on stdin being
#          {"mode": "quality", "seeds": 10, "trials": 100,
#           "startup": {"branin": [[{"x1": .., "x2": ..}, ..], ..]}}
#        ("startup": per problem and seed, the shared random points enqueued before optimizing)
#        or {"mode": "overhead", "history": 1000, "timed": 20}
import json
import math
import sys
import time

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

HARTMANN_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
HARTMANN_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                              [2329, 4135, 8307, 3736, 1004, 9991],
                              [2348, 1451, 3522, 2883, 3047, 6650],
                              [4047, 8828, 8732, 5743, 1091, 381]])
HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
MIXED_OFFSET = {"a": 0.0, "b": 1.0, "c": 2.5}


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def hartmann6(t):
    x = np.array([t.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    inner = np.sum(HARTMANN_A * (x - HARTMANN_P) ** 2, axis=1)
    return float(-np.sum(HARTMANN_ALPHA * np.exp(-inner)))


def rosenbrock10(t):
    x = [t.suggest_float(f"x{i}", -5, 10) for i in range(10)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(9))


def mixed(t):
    kind = t.suggest_categorical("kind", ["a", "b", "c"])
    n = t.suggest_int("n", 1, 20)
    x = t.suggest_float("x", -5, 5)
    lr = t.suggest_float("lr", 1e-4, 1, log=True)
    return MIXED_OFFSET[kind] + (n - 7) ** 2 / 10 + (x - 1) ** 2 + (math.log10(lr) + 2) ** 2


PROBLEMS = {"branin": branin, "hartmann6": hartmann6, "rosenbrock10": rosenbrock10,
            "mixed": mixed}


class TimedTPE(optuna.samplers.TPESampler):
    """Adds up the CPU seconds spent in the sampler's hooks (robust to a busy machine)."""

    seconds = 0.0

    def infer_relative_search_space(self, study, trial):
        t0 = time.process_time()
        try:
            return super().infer_relative_search_space(study, trial)
        finally:
            TimedTPE.seconds += time.process_time() - t0

    def sample_relative(self, study, trial, search_space):
        t0 = time.process_time()
        try:
            return super().sample_relative(study, trial, search_space)
        finally:
            TimedTPE.seconds += time.process_time() - t0

    def sample_independent(self, study, trial, name, dist):
        t0 = time.process_time()
        try:
            return super().sample_independent(study, trial, name, dist)
        finally:
            TimedTPE.seconds += time.process_time() - t0


def quality(config):
    out = {"version": optuna.__version__, "best": {}}
    for name, objective in PROBLEMS.items():
        for kind in ("tpe", "random"):
            bests = []
            for seed in range(config["seeds"]):
                if kind == "tpe":
                    sampler = optuna.samplers.TPESampler(seed=seed)
                else:
                    sampler = optuna.samplers.RandomSampler(seed=seed)
                study = optuna.create_study(sampler=sampler)
                startup = config.get("startup", {}).get(name)
                for params in startup[seed] if startup else []:
                    study.enqueue_trial(params)
                study.optimize(objective, n_trials=config["trials"])
                bests.append(study.best_value)
            out["best"][f"{kind}_{name}"] = bests
    return out


def overhead(config):
    # A study that already holds `history` finished trials of the mixed problem (random
    # parameters), then `timed` TPE trials: sampler seconds per trial at that history size.
    rs = np.random.RandomState(0)
    dists = {
        "kind": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
        "n": optuna.distributions.IntDistribution(1, 20),
        "x": optuna.distributions.FloatDistribution(-5, 5),
        "lr": optuna.distributions.FloatDistribution(1e-4, 1, log=True),
    }
    trials = []
    for _ in range(config["history"]):
        params = {"kind": ["a", "b", "c"][rs.randint(3)], "n": int(rs.randint(1, 21)),
                  "x": float(rs.uniform(-5, 5)), "lr": float(10 ** rs.uniform(-4, 0))}
        value = MIXED_OFFSET[params["kind"]] + (params["n"] - 7) ** 2 / 10 + (params["x"] - 1) ** 2
        value += (math.log10(params["lr"]) + 2) ** 2
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=value))
    study = optuna.create_study(sampler=TimedTPE(seed=0))
    study.add_trials(trials)
    TimedTPE.seconds = 0.0
    study.optimize(mixed, n_trials=config["timed"])
    return {"version": optuna.__version__,
            "samplerSecondsPerTrial": TimedTPE.seconds / config["timed"]}


def main():
    config = json.loads(sys.stdin.read())
    result = overhead(config) if config["mode"] == "overhead" else quality(config)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Data and XGBoost side of test/bench/gbdt.sh.

  gbdt.py higgs CSV            write the HIGGS-shaped synthetic data (seeded)
  gbdt.py fashion CSV          write Fashion-MNIST (60 000 train, 10 000 test)
  gbdt.py xgb DATA THREADS     train XGBoost hist on DATA (higgs / fashion) with
                               the benchmark's settings; print one line:
                               seconds, score, peak RSS in MiB
  gbdt.py score                train 100 trees of depth 6 on higgs (not timed),
                               then print the median seconds of five
                               inplace_predict calls on the 200 000 test rows,
                               one thread

HIGGS-shaped: 800 000 training and 200 000 test rows of 28 float features
(21 "low-level" ones, 7 nonlinear "high-level" combinations of them) and a
binary label from a noisy nonlinear function, seeded.
"""
import gzip
import resource
import sys
import time

import numpy as np

N_TRAIN, N_TEST = 800000, 200000
SETTINGS = {
    "higgs": dict(n_estimators=100, max_depth=8, learning_rate=0.1, max_bin=255,
                  tree_method="hist", random_state=0),
    "fashion": dict(n_estimators=50, max_depth=6, learning_rate=0.3, max_bin=255,
                    tree_method="hist", random_state=0),
}


def higgs():
    rng = np.random.RandomState(20261128)
    n = N_TRAIN + N_TEST
    low = rng.normal(size=(n, 21)).astype(np.float32)
    low[:, 0:7] = np.abs(low[:, 0:7]) * 2.0          # momenta-like, positive
    low[:, 7:14] = rng.uniform(-np.pi, np.pi, size=(n, 7))   # angles
    high = np.stack([
        np.sqrt(low[:, 0] * low[:, 1]) * np.abs(np.cos(low[:, 7] - low[:, 8])),
        np.sqrt(low[:, 2] * low[:, 3] + 1.0),
        low[:, 0] + low[:, 4] - low[:, 5],
        np.log1p(low[:, 1] * low[:, 6]),
        np.abs(low[:, 14] * low[:, 15]),
        low[:, 16] ** 2 + low[:, 17],
        np.cos(low[:, 9]) * low[:, 2],
    ], axis=1).astype(np.float32)
    X = np.concatenate([low, high], axis=1)
    z = (0.8 * high[:, 0] - 0.6 * high[:, 1] + 0.5 * np.sin(high[:, 2]) + 0.4 * high[:, 3]
         - 0.3 * high[:, 4] + 0.2 * np.tanh(high[:, 5]) + 0.5 * high[:, 6]
         + 0.3 * low[:, 18] * low[:, 19] - 0.2 * low[:, 20] + rng.logistic(size=n))
    y = (z > np.median(z)).astype(np.int64)
    return X, y


def fashion():
    d = "/usr/share/datasets/fashion-mnist/"

    def idx(path, images):
        with gzip.open(d + path) as f:
            data = f.read()
        if images:
            return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 784).astype(np.float32)
        return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)
    Xtr, ytr = idx("train-images-idx3-ubyte.gz", True), idx("train-labels-idx1-ubyte.gz", False)
    Xte, yte = idx("t10k-images-idx3-ubyte.gz", True), idx("t10k-labels-idx1-ubyte.gz", False)
    return np.concatenate([Xtr, Xte]), np.concatenate([ytr, yte]), len(ytr)


def load(name):
    if name == "higgs":
        X, y = higgs()
        return X, y, N_TRAIN
    return fashion()


def write_csv(name, path):
    X, y, ntr = load(name)
    with open(path, "w") as f:
        for i in range(len(y)):
            part = "train" if i < ntr else "test"
            if name == "higgs":
                f.write("%s,%d,%s\n" % (part, y[i], ",".join("%.7g" % v for v in X[i])))
            else:
                f.write('%s,%d,"{%s}"\n' % (part, y[i], ",".join("%d" % v for v in X[i])))


def run_xgb(name, threads):
    import xgboost as xgb
    from sklearn import metrics
    X, y, ntr = load(name)
    t0 = time.time()
    if name == "higgs":
        m = xgb.XGBClassifier(n_jobs=threads, base_score=float(y[:ntr].mean()), **SETTINGS[name])
        m.fit(X[:ntr], y[:ntr])
        secs = time.time() - t0
        score = metrics.roc_auc_score(y[ntr:], m.predict_proba(X[ntr:])[:, 1])
    else:
        m = xgb.XGBClassifier(n_jobs=threads, **SETTINGS[name])
        m.fit(X[:ntr], y[:ntr])
        secs = time.time() - t0
        score = metrics.accuracy_score(y[ntr:], m.predict(X[ntr:]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%.2f %.4f %.0f" % (secs, score, peak))


def run_score():
    import xgboost as xgb
    X, y, ntr = load("higgs")
    m = xgb.XGBClassifier(n_jobs=2, n_estimators=100, max_depth=6, max_bin=255,
                          tree_method="hist", random_state=0)
    m.fit(X[:ntr], y[:ntr])
    booster = m.get_booster()
    booster.set_param({"nthread": 1})
    Xt = np.ascontiguousarray(X[ntr:])
    booster.inplace_predict(Xt[:1000])
    times = []
    for _ in range(5):
        t0 = time.time()
        booster.inplace_predict(Xt)
        times.append(time.time() - t0)
    print("%.4f" % sorted(times)[2])


if __name__ == "__main__":
    if sys.argv[1] == "xgb":
        run_xgb(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "score":
        run_score()
    else:
        write_csv(sys.argv[1], sys.argv[2])

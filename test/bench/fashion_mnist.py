#!/usr/bin/python3
"""Fashion-MNIST subset for test/bench/fashion.sh (Debian's dataset-fashion-mnist).

Writes a CSV of the first N_TRAIN training images and the first N_TEST test
images (id, part, label, pixels as a PostgreSQL float4[] literal scaled to
[0, 1]) to the path given, and prints scikit-learn's held-out accuracy for the
learners the benchmark also trains in mlsql, with the same settings.
"""
import gzip
import sys
import time

import numpy as np

D = "/usr/share/datasets/fashion-mnist/"
N_TRAIN, N_TEST = 10000, 2000


def idx(path, images):
    with gzip.open(D + path) as f:
        data = f.read()
    if images:
        return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 784).astype(np.float64) / 255.0
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


def main():
    Xtr, ytr = idx("train-images-idx3-ubyte.gz", True)[:N_TRAIN], idx("train-labels-idx1-ubyte.gz", False)[:N_TRAIN]
    Xte, yte = idx("t10k-images-idx3-ubyte.gz", True)[:N_TEST], idx("t10k-labels-idx1-ubyte.gz", False)[:N_TEST]
    with open(sys.argv[1], "w") as f:
        i = 0
        for part, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
            for x, label in zip(X, y):
                i += 1
                f.write('%d,%s,%d,"{%s}"\n' % (i, part, label, ",".join("%.6g" % v for v in x)))
    if len(sys.argv) > 2 and sys.argv[2] == "--no-sklearn":
        return
    import warnings
    warnings.filterwarnings("ignore")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    models = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100)),
        "knn": make_pipeline(StandardScaler(), KNeighborsClassifier(5)),
        "forest": RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=1),
        "mlp": make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0)),
    }
    for name, m in models.items():
        t = time.time()
        m.fit(Xtr, ytr)
        acc = (m.predict(Xte) == yte).mean()
        print("sklearn %-9s accuracy %.4f  fit+predict %.1f s" % (name, acc, time.time() - t))


if __name__ == "__main__":
    main()

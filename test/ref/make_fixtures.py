#!/usr/bin/python3
"""Write the data sets and scikit-learn reference values the tests compare with.

Run under Debian's /usr/bin/python3 (python3-sklearn) from the repository root:

    /usr/bin/python3 test/ref/make_fixtures.py

Outputs are committed, so the test suite needs no Python:
  test/data/breast_cancer.csv    scikit-learn's breast cancer data, 569 x 30 + target
  test/data/diabetes.csv         scikit-learn's diabetes data (scaled), 442 x 10 + target
  test/data/iris.csv             iris, 150 x 4 + species name (multiclass, text labels)
  test/fixtures/ridge_diabetes.csv         Ridge / LinearRegression coefficients
  test/fixtures/logistic_breast_cancer.csv StandardScaler + LogisticRegression probabilities
  test/fixtures/logistic_iris.csv          the same, multinomial, on iris
  test/fixtures/metrics_sklearn.txt        metric values on seeded random predictions
  test/fixtures/ensembles_sklearn.csv      bagging / voting / stacking test scores
  test/fixtures/calibration_sklearn.txt    isotonic / sigmoid calibration, Brier, reliability curves
"""
import csv
import re

import numpy as np
import sklearn
from sklearn import datasets, metrics
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def snake(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def fmt(v):
    return repr(float(v))


def main():
    bc = datasets.load_breast_cancer()
    cols = [snake(c) for c in bc.feature_names]
    write_csv("test/data/breast_cancer.csv", ["id"] + cols + ["diagnosis", "target"],
              [[i + 1] + [fmt(v) for v in x] + [bc.target_names[t], int(t)]
               for i, (x, t) in enumerate(zip(bc.data, bc.target))])

    db = datasets.load_diabetes()
    write_csv("test/data/diabetes.csv", ["id"] + list(db.feature_names) + ["target"],
              [[i + 1] + [fmt(v) for v in x] + [fmt(t)]
               for i, (x, t) in enumerate(zip(db.data, db.target))])

    ir = datasets.load_iris()
    icols = [snake(c.replace("(cm)", "")) for c in ir.feature_names]
    write_csv("test/data/iris.csv", ["id"] + icols + ["species"],
              [[i + 1] + [fmt(v) for v in x] + [ir.target_names[t]]
               for i, (x, t) in enumerate(zip(ir.data, ir.target))])

    wn = datasets.load_wine()
    wcols = [snake(c) for c in wn.feature_names]
    write_csv("test/data/wine.csv", ["id"] + wcols + ["cultivar"],
              [[i + 1] + [fmt(v) for v in x] + ["class_%d" % t]
               for i, (x, t) in enumerate(zip(wn.data, wn.target))])

    dg = datasets.load_digits()
    write_csv("test/data/digits.csv", ["id", "pixels", "digit"],
              [[i + 1, "{" + ",".join("%d" % v for v in x) + "}", int(t)]
               for i, (x, t) in enumerate(zip(dg.data, dg.target))])

    # Ridge and least squares on the whole diabetes data
    rows = []
    for alpha in (0.0, 0.1, 1.0, 10.0):
        m = LinearRegression() if alpha == 0 else Ridge(alpha=alpha, solver="cholesky")
        m.fit(db.data, db.target)
        rows.append([fmt(alpha), fmt(m.intercept_)] + [fmt(c) for c in m.coef_])
    write_csv("test/fixtures/ridge_diabetes.csv",
              ["alpha", "intercept"] + ["coef_%d" % j for j in range(10)], rows)

    # Logistic regression, standardized, on all rows (C = 1 / alpha)
    for name, X, y, path in (
            ("bc", bc.data, bc.target, "test/fixtures/logistic_breast_cancer.csv"),
            ("iris", ir.data, ir.target, "test/fixtures/logistic_iris.csv")):
        pipe = make_pipeline(StandardScaler(),
                             LogisticRegression(C=1.0, tol=1e-12, max_iter=100000))
        pipe.fit(X, y)
        P = pipe.predict_proba(X)
        write_csv(path, ["id"] + ["p%d" % c for c in range(P.shape[1])],
                  [[i + 1] + [fmt(v) for v in p] for i, p in enumerate(P)])

    # Learner zoo references, all fitted on every row (test_size => 0 in the tests)
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.linear_model import ElasticNet, Lasso
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def write_pred(path, cols, rows):
        write_csv(path, ["id"] + cols, [[i + 1] + [fmt(v) for v in r] for i, r in enumerate(rows)])

    write_pred("test/fixtures/gnb_breast_cancer.csv", ["p0", "p1"],
               GaussianNB().fit(bc.data, bc.target).predict_proba(bc.data))
    write_pred("test/fixtures/gnb_iris.csv", ["p0", "p1", "p2"],
               GaussianNB().fit(ir.data, ir.target).predict_proba(ir.data))
    # balanced class weights make GaussianNB's priors uniform
    write_pred("test/fixtures/gnb_balanced_breast_cancer.csv", ["p0", "p1"],
               GaussianNB(priors=[0.5, 0.5]).fit(bc.data, bc.target).predict_proba(bc.data))
    # mixed naive Bayes on iris: two numeric features (Gaussian) and two
    # binned text features (categorical, codes in byte order as mlsql's
    # ordinal encoding); the joint log likelihood adds both, the prior once
    from sklearn.naive_bayes import CategoricalNB

    def size_bin(v, lo, hi):
        return "short" if v < lo else ("mid" if v < hi else "long")
    order = {"long": 0, "mid": 1, "short": 2}
    Xc = np.array([[order[size_bin(x[2], 2.0, 5.0)], order[size_bin(x[3], 0.6, 1.7)]] for x in ir.data])
    g = GaussianNB().fit(ir.data[:, :2], ir.target)
    c = CategoricalNB(alpha=1.0).fit(Xc, ir.target)
    jll = (g.predict_joint_log_proba(ir.data[:, :2]) + c.predict_joint_log_proba(Xc)
           - np.log(g.class_prior_)) if hasattr(g, "predict_joint_log_proba") else (
        g._joint_log_likelihood(ir.data[:, :2]) + c._joint_log_likelihood(Xc) - np.log(g.class_prior_))
    jll -= jll.max(axis=1, keepdims=True)
    P = np.exp(jll) / np.exp(jll).sum(axis=1, keepdims=True)
    write_pred("test/fixtures/nb_mixed_iris.csv", ["p0", "p1", "p2"], P)
    # logistic regression with a class_weight map (bc) and balanced (wine)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=100000,
                                                              class_weight={0: 3.0, 1: 0.5}))
    write_pred("test/fixtures/logistic_weighted_breast_cancer.csv", ["p0", "p1"],
               pipe.fit(bc.data, bc.target).predict_proba(bc.data))
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=100000,
                                                              class_weight="balanced"))
    write_pred("test/fixtures/logistic_balanced_wine.csv", ["p0", "p1", "p2"],
               pipe.fit(wn.data, wn.target).predict_proba(wn.data))
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7, weights="distance"))
    write_pred("test/fixtures/knn_breast_cancer.csv", ["p0", "p1"],
               knn.fit(bc.data, bc.target).predict_proba(bc.data))
    knnr = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=5, metric="manhattan"))
    write_pred("test/fixtures/knn_diabetes.csv", ["pred"],
               [[v] for v in knnr.fit(db.data, db.target).predict(db.data)])
    rows = []
    for name, m in (("elastic_net", ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=1000000)),
                    ("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=1000000))):
        m.fit(db.data, db.target)
        rows.append([name, fmt(m.intercept_)] + [fmt(c) for c in m.coef_])
    write_csv("test/fixtures/enet_diabetes.csv",
              ["learner", "intercept"] + ["coef_%d" % j for j in range(10)], rows)
    dt = DecisionTreeClassifier(max_depth=6, random_state=0).fit(bc.data, bc.target)
    write_pred("test/fixtures/tree_breast_cancer.csv", ["p0", "p1"], dt.predict_proba(bc.data))
    write_csv("test/fixtures/tree_importance.csv", ["feature", "importance"],
              [[c, fmt(v)] for c, v in zip(cols, dt.feature_importances_)])
    write_pred("test/fixtures/tree_diabetes.csv", ["pred"],
               [[v] for v in DecisionTreeRegressor(max_depth=4, random_state=0)
                .fit(db.data, db.target).predict(db.data)])

    # Held-out scores with the same hyperparameters: rows with id % 4 = 0 are the
    # test set (the tests use split "column" on the same rule)
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
    from sklearn.linear_model import LinearRegression as LR
    from sklearn.svm import LinearSVC
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    import warnings
    warnings.filterwarnings("ignore")
    classifiers = {
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=10000)),
        "naive_bayes": lambda: GaussianNB(),
        "knn": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)),
        "tree": lambda: DecisionTreeClassifier(random_state=0),
        "forest": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
        "svm": lambda: make_pipeline(StandardScaler(), LinearSVC(C=1.0, random_state=0, max_iter=100000)),
        "mlp": lambda: make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
        "adaboost": lambda: AdaBoostClassifier(algorithm="SAMME", n_estimators=50, random_state=0),
    }
    regressors = {
        "linear": lambda: LR(),
        "elastic_net": lambda: ElasticNet(alpha=1.0, l1_ratio=0.5),
        "lasso": lambda: Lasso(alpha=1.0),
        "knn": lambda: make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=5)),
        "tree": lambda: DecisionTreeRegressor(random_state=0),
        "forest": lambda: RandomForestRegressor(n_estimators=100, random_state=0),
        "mlp": lambda: make_pipeline(StandardScaler(), MLPRegressor(random_state=0, max_iter=2000)),
    }
    # mlsql parameters that match where its defaults differ
    mlsql_params = {("mlp", "diabetes"): '{"epochs": 2000}'}
    rows = []
    for dname, X, y, models, metric in (
            ("breast_cancer", bc.data, bc.target, classifiers, "accuracy"),
            ("iris", ir.data, ir.target, classifiers, "accuracy"),
            ("wine", wn.data, wn.target, classifiers, "accuracy"),
            ("digits", dg.data, dg.target, classifiers, "accuracy"),
            ("diabetes", db.data, db.target, regressors, "r2")):
        ids = np.arange(1, len(y) + 1)
        test = ids % 4 == 0
        for lname, make in models.items():
            m = make().fit(X[~test], y[~test])
            pred = m.predict(X[test])
            score = (metrics.accuracy_score(y[test], pred) if metric == "accuracy"
                     else metrics.r2_score(y[test], pred))
            rows.append([lname, dname, metric, fmt(score), mlsql_params.get((lname, dname), "{}")])
    write_csv("test/fixtures/scores_sklearn.csv", ["learner", "dataset", "metric", "score", "params"], rows)
    # AdaBoost.R2 draws a weighted bootstrap every round, so one seed's r2 on
    # 111 test rows swings by a few hundredths: compare means over 5 seeds
    ids = np.arange(1, len(db.target) + 1)
    test = ids % 4 == 0
    r2s = [metrics.r2_score(db.target[test], AdaBoostRegressor(n_estimators=50, random_state=s)
                            .fit(db.data[~test], db.target[~test]).predict(db.data[test])) for s in range(5)]
    write_csv("test/fixtures/adaboost_diabetes.csv", ["seeds", "mean_r2"], [[5, fmt(np.mean(r2s))]])

    # Gradient boosting against XGBoost 1.7 hist with the same settings (100
    # rounds, learning rate 0.1, depth 6, 255 bins); mlsql starts from the
    # training mean / prior, so XGBoost gets that base_score (binary, regression)
    try:
        import xgboost as xgb
        rows = []
        for dname, X, y, task in (("breast_cancer", bc.data, bc.target, "binary"),
                                  ("iris", ir.data, ir.target, "multi"),
                                  ("wine", wn.data, wn.target, "multi"),
                                  ("diabetes", db.data, db.target, "regression")):
            ids = np.arange(1, len(y) + 1)
            test = ids % 4 == 0
            kw = dict(n_estimators=100, learning_rate=0.1, max_depth=6, tree_method="hist",
                      max_bin=255, random_state=0, n_jobs=1)
            if task == "regression":
                m = xgb.XGBRegressor(base_score=float(y[~test].mean()), **kw).fit(X[~test], y[~test])
                rows.append([dname, "r2", fmt(metrics.r2_score(y[test], m.predict(X[test])))])
                continue
            if task == "binary":
                m = xgb.XGBClassifier(base_score=float(y[~test].mean()), **kw).fit(X[~test], y[~test])
                rows.append([dname, "roc_auc", fmt(metrics.roc_auc_score(y[test], m.predict_proba(X[test])[:, 1]))])
            else:
                m = xgb.XGBClassifier(**kw).fit(X[~test], y[~test])
            rows.append([dname, "accuracy", fmt(metrics.accuracy_score(y[test], m.predict(X[test])))])
        write_csv("test/fixtures/gbdt_xgboost.csv", ["dataset", "metric", "score"], rows)
    except ImportError:
        print("python3-xgboost is missing: test/fixtures/gbdt_xgboost.csv not rewritten")

    # ml_import_xgboost (sql/gbdt.sql): small XGBoost models saved as JSON,
    # with XGBoost's own predictions for the test rows (id % 4 = 0) and, for
    # breast cancer, its SHAP contributions (pred_contribs) for ten of them
    try:
        import xgboost as xgb
        rows = []
        for dname, X, y, task, depth in (("breast_cancer", bc.data, bc.target, "binary", 4),
                                         ("iris", ir.data, ir.target, "multi", 3),
                                         ("diabetes", db.data, db.target, "regression", 4)):
            ids = np.arange(1, len(y) + 1)
            test = ids % 4 == 0
            kw = dict(n_estimators=20, learning_rate=0.3, max_depth=depth, tree_method="hist",
                      max_bin=255, random_state=0, n_jobs=1)
            m = (xgb.XGBRegressor(**kw) if task == "regression" else xgb.XGBClassifier(**kw)).fit(X[~test], y[~test])
            m.save_model("test/fixtures/xgb_%s.json" % dname)
            Xt = X[test]
            pred = m.predict(Xt) if task == "regression" else m.predict_proba(Xt)
            contribs = m.get_booster().predict(xgb.DMatrix(Xt), pred_contribs=True) if task == "binary" else None
            for i, rid in enumerate(ids[test]):
                p = np.atleast_1d(pred[i])
                c = "{" + ",".join(repr(float(v)) for v in contribs[i]) + "}" if contribs is not None and i < 10 else ""
                rows.append([dname, int(rid), "{" + ",".join(repr(float(v)) for v in Xt[i]) + "}",
                             "{" + ",".join(repr(float(v)) for v in p) + "}", c])
        write_csv("test/fixtures/xgb_predictions.csv", ["dataset", "id", "features", "prediction", "contribs"], rows)
    except ImportError:
        print("python3-xgboost is missing: the ml_import_xgboost fixtures not rewritten")

    # Ensembles (sql/ensemble.sql): bagged trees, soft voting and stacking of
    # logistic + forest + knn, on the same test rows (id % 4 = 0).  The knn and
    # logistic members see standardized features, as mlsql's ensemble pipeline
    # gives every member.
    from sklearn.ensemble import (BaggingClassifier, BaggingRegressor, StackingClassifier,
                                  StackingRegressor, VotingClassifier, VotingRegressor)
    from sklearn.model_selection import KFold
    def cls_members():
        return [("logistic", make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=10000))),
                ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
                ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15)))]
    def reg_members():
        return [("linear", LR()),
                ("forest", RandomForestRegressor(n_estimators=100, random_state=0)),
                ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=15)))]
    ens = {
        "tree": (lambda: DecisionTreeClassifier(random_state=0),
                 lambda: DecisionTreeRegressor(random_state=0), "tree", "{}"),
        "bagging": (lambda: BaggingClassifier(DecisionTreeClassifier(), n_estimators=50, random_state=0),
                    lambda: BaggingRegressor(DecisionTreeRegressor(), n_estimators=50, random_state=0),
                    "bagging", '{"base": {"algorithm": "tree"}, "n_estimators": 50, "voting": "soft"}'),
        "voting": (lambda: VotingClassifier(cls_members(), voting="soft"),
                   lambda: VotingRegressor(reg_members()), "voting",
                   '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "forest"}, '
                   '{"algorithm": "knn", "k": 15}], "voting": "soft"}'),
        "stacking": (lambda: StackingClassifier(cls_members(), final_estimator=LogisticRegression(C=1.0), cv=5),
                     lambda: StackingRegressor(reg_members(), final_estimator=LR(), cv=KFold(5)), "stacking",
                     '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "forest"}, '
                     '{"algorithm": "knn", "k": 15}], "folds": 5}'),
    }
    rows = []
    for dname, X, y, reg in (("breast_cancer", bc.data, bc.target, False),
                             ("wine", wn.data, wn.target, False),
                             ("digits", dg.data, dg.target, False),
                             ("diabetes", db.data, db.target, True)):
        ids = np.arange(1, len(y) + 1)
        test = ids % 4 == 0
        for name, (mc, mr, alg, params) in ens.items():
            m = (mr if reg else mc)().fit(X[~test], y[~test])
            pred = m.predict(X[test])
            score = metrics.r2_score(y[test], pred) if reg else metrics.accuracy_score(y[test], pred)
            if reg and alg == "stacking":
                params = params.replace('"logistic"', '"linear"')
            if reg and alg == "voting":
                params = params.replace('"logistic"', '"linear"').replace(', "voting": "soft"', '')
            rows.append([name, dname, "r2" if reg else "accuracy", fmt(score), alg, params])
    write_csv("test/fixtures/ensembles_sklearn.csv",
              ["model", "dataset", "metric", "score", "algorithm", "params"], rows)

    # Unsupervised: k-means inertia (standardized, k = 3) and the isolation
    # forest's roc_auc of its anomaly score for the malignant class
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    unsup = []
    for dname, X in (("iris", ir.data), ("wine", wn.data)):
        km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(StandardScaler().fit_transform(X))
        unsup.append(["kmeans", dname, "inertia", fmt(km.inertia_)])
    iso = IsolationForest(random_state=0).fit(bc.data)
    unsup.append(["iforest", "breast_cancer", "roc_auc_malignant",
                  fmt(metrics.roc_auc_score(bc.target == 0, -iso.score_samples(bc.data)))])
    write_csv("test/fixtures/unsupervised_sklearn.csv", ["learner", "dataset", "metric", "value"], unsup)

    # Fashion-MNIST subset (test/integration/fashion.sh): the first 3000
    # training and 1000 test images, raw 0..255 pixels, held-out accuracy
    import gzip
    import os
    D = "/usr/share/datasets/fashion-mnist/"
    if os.path.exists(D):
        def idx(path, images, n):
            with gzip.open(D + path) as f:
                data = f.read()
            if images:
                return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 784)[:n].astype(np.float64)
            return np.frombuffer(data, np.uint8, offset=8)[:n].astype(np.int64)
        Xtr, ytr = idx("train-images-idx3-ubyte.gz", True, 3000), idx("train-labels-idx1-ubyte.gz", False, 3000)
        Xte, yte = idx("t10k-images-idx3-ubyte.gz", True, 1000), idx("t10k-labels-idx1-ubyte.gz", False, 1000)
        fashion = {
            "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100)),
            "naive_bayes": GaussianNB(),
            "knn": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)),
            "forest": RandomForestClassifier(n_estimators=50, random_state=0),
            "svm": make_pipeline(StandardScaler(), LinearSVC(C=1.0, random_state=0)),
            "mlp": make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0)),
        }
        members = lambda: [
            ("logistic", make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100))),
            ("forest", RandomForestClassifier(n_estimators=50, random_state=0)),
            ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15)))]
        fashion["tree"] = DecisionTreeClassifier(random_state=0)
        fashion["bagging"] = BaggingClassifier(DecisionTreeClassifier(), n_estimators=20, random_state=0)
        fashion["voting"] = VotingClassifier(members(), voting="soft")
        fashion["stacking"] = StackingClassifier(members(), final_estimator=LogisticRegression(C=1.0), cv=3)
        ens_members = ('[{"algorithm": "logistic"}, {"algorithm": "forest", "n_estimators": 50}, '
                       '{"algorithm": "knn", "k": 15}]')
        mlsql_fashion = {"forest": '{"n_estimators": 50}', "mlp": '{"epochs": 20}',
                         "bagging": '{"n_estimators": 20, "voting": "soft"}',
                         "voting": '{"estimators": %s, "voting": "soft"}' % ens_members,
                         "stacking": '{"estimators": %s, "folds": 3}' % ens_members}
        try:
            import xgboost as xgb
            # mlsql's gbdt starts from the log class priors; XGBoost's softmax from 0
            fashion["gbdt"] = xgb.XGBClassifier(n_estimators=30, learning_rate=0.3, max_depth=6,
                                                tree_method="hist", max_bin=255, random_state=0,
                                                n_jobs=1)
            mlsql_fashion["gbdt"] = '{"n_trees": 30, "learning_rate": 0.3}'
        except ImportError:
            pass
        rows = []
        for lname, m in fashion.items():
            m.fit(Xtr, ytr)
            rows.append([lname, fmt(metrics.accuracy_score(yte, m.predict(Xte))),
                         mlsql_fashion.get(lname, "{}")])
        write_csv("test/fixtures/fashion_sklearn.csv", ["learner", "accuracy", "params"], rows)

    # Metrics on seeded random predictions
    rng = np.random.RandomState(7)
    with open("test/fixtures/metrics_sklearn.txt", "w") as f:
        for n, k in ((50, 2), (200, 2), (120, 3), (300, 4)):
            y = rng.randint(0, k, size=n)
            y[:k] = np.arange(k)
            logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
            logits = np.round(logits, 1)          # creates ties
            P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            pred = P.argmax(axis=1)
            avg = "binary" if k == 2 else "macro"
            f.write("case %d %d\n" % (n, k))
            for t, p in zip(y, P):
                f.write("%d %s\n" % (t, " ".join(repr(float(v)) for v in p)))
            vals = {
                "accuracy": metrics.accuracy_score(y, pred),
                "precision": metrics.precision_score(y, pred, average=avg, zero_division=0),
                "recall": metrics.recall_score(y, pred, average=avg, zero_division=0),
                "f1": metrics.f1_score(y, pred, average=avg, zero_division=0),
                "log_loss": metrics.log_loss(y, P, labels=list(range(k))),
                "roc_auc": (metrics.roc_auc_score(y, P[:, 1]) if k == 2 else
                            metrics.roc_auc_score(y, P, multi_class="ovr", average="macro")),
            }
            for key, v in vals.items():
                f.write("%s %s\n" % (key, repr(float(v))))
            f.write("end\n")
    print("fixtures written with scikit-learn", sklearn.__version__)


def calibration_fixture():
    """Isotonic and sigmoid calibrators, Brier scores and reliability curves on
    seeded scores; per case (binary):
      case <n>
      n lines: <label> <score>
      isotonic <m>, then m lines: <score> <calibrated>   (IsotonicRegression, clip)
      sigmoid <a> <b>                                    (_sigmoid_calibration)
      brier <value>                                      (brier_score_loss)
      curve <bins> <m>, then m lines: <mean predicted> <observed>  (calibration_curve)
      end"""
    from sklearn.calibration import _sigmoid_calibration, calibration_curve
    from sklearn.isotonic import IsotonicRegression
    rng = np.random.RandomState(11)
    with open("test/fixtures/calibration_sklearn.txt", "w") as f:
        for n, bins in ((40, 5), (300, 10), (1000, 15)):
            y = rng.randint(0, 2, size=n)
            # over-confident scores, rounded so that some repeat
            s = np.round(1 / (1 + np.exp(-(3 * (2 * y - 1) + rng.normal(scale=2.5, size=n)))), 2)
            f.write("case %d\n" % n)
            for t, v in zip(y, s):
                f.write("%d %s\n" % (t, repr(float(v))))
            iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
            grid = np.concatenate([np.linspace(-0.1, 1.1, 25), s[:10]])
            f.write("isotonic %d\n" % len(grid))
            for g, c in zip(grid, iso.predict(grid)):
                f.write("%s %s\n" % (repr(float(g)), repr(float(c))))
            a, b = _sigmoid_calibration(s, y)
            f.write("sigmoid %s %s\n" % (repr(float(a)), repr(float(b))))
            f.write("brier %s\n" % repr(float(metrics.brier_score_loss(y, s))))
            prob_true, prob_pred = calibration_curve(y, s, n_bins=bins, strategy="uniform")
            f.write("curve %d %d\n" % (bins, len(prob_true)))
            for pp, pt in zip(prob_pred, prob_true):
                f.write("%s %s\n" % (repr(float(pp)), repr(float(pt))))
            f.write("end\n")


if __name__ == "__main__":
    main()
    calibration_fixture()

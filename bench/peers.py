"""Peer figures for `npm run bench -- --peers`: scikit-learn and XGBoost on the same split.

Reads the same CSV files as the TypeScript benchmark, encodes them the usual way
(one-hot categoricals; median imputation where the model cannot take NaN), fits each
peer with all cores, and prints one JSON object per model on stdout.
With refits=K, K more fits of a new model on the same rows follow the first, and refit_s is
their median (what each fit of a cross-validated search costs once one has run).
Each model's first fit starts after the same pause as on the TypeScript side (SETTLE_S; see
bench/case.ts for why it is there).
Needs Debian's python3-sklearn and python3-xgboost (numpy only, no pandas).
"""
import csv
import json
import sys
import time

import numpy as np

SETTLE_S = 0.25


def load(path, target, positive, levels=None):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    y = np.array([1 if r[t] == positive else 0 for r in rows], dtype=np.int32)
    cols = [i for i in range(len(header)) if i != t]
    if levels is None:
        levels = {}
        for i in cols:
            vals = [r[i] for r in rows if r[i] != ""]
            try:
                [float(v) for v in vals]
            except ValueError:
                levels[i] = sorted(set(vals))
    feats = []
    for i in cols:
        if i in levels:
            for lv in levels[i]:
                feats.append([1.0 if r[i] == lv else 0.0 for r in rows])
        else:
            feats.append([float(r[i]) if r[i] != "" else np.nan for r in rows])
    return np.array(feats, dtype=np.float64).T, y, levels


def load_bin(base, features):
    X = np.fromfile(base + ".x", dtype=np.float64).reshape(-1, features)
    y = np.fromfile(base + ".y", dtype=np.uint8).astype(np.int32)
    return X, y


def main():
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    if "bin_train" in args:
        Xtr, ytr = load_bin(args["bin_train"], int(args["features"]))
        Xte, yte = load_bin(args["bin_test"], int(args["features"]))
    else:
        Xtr, ytr, levels = load(args["train"], args["target"], args["positive"])
        Xte, yte, _ = load(args["test"], args["target"], args["positive"], levels)
    med = np.nanmedian(Xtr, axis=0)
    Xtr_i = np.where(np.isnan(Xtr), med, Xtr)
    Xte_i = np.where(np.isnan(Xte), med, Xte)
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.metrics import roc_auc_score
    import xgboost as xgb

    models = {
        "sklearn-rf-100": (lambda: RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=42), True),
        "sklearn-rf-300-leaf5": (lambda: RandomForestClassifier(n_estimators=300, min_samples_leaf=5, n_jobs=-1, random_state=42), True),
        "sklearn-hgb": (lambda: HistGradientBoostingClassifier(random_state=42), False),
        "xgboost-hist": (lambda: xgb.XGBClassifier(n_estimators=300, max_depth=6, learning_rate=0.05, tree_method="hist", n_jobs=2, random_state=42), False),
        "sklearn-logreg": (lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), True),
    }
    wanted = args.get("models", ",".join(models)).split(",")
    for name in wanted:
        make, impute = models[name]
        a, b = (Xtr_i, Xte_i) if impute else (Xtr, Xte)
        m = make()
        time.sleep(SETTLE_S)
        t0 = time.perf_counter()
        m.fit(a, ytr)
        fit = time.perf_counter() - t0
        refits = []
        for _ in range(int(args.get("refits", "0"))):
            again = make()
            t1 = time.perf_counter()
            again.fit(a, ytr)
            refits.append(time.perf_counter() - t1)
        # Scoring: the best of several whole-batch calls after a first one, as on our side.
        p = m.predict_proba(b)[:, 1]
        score = best_of(lambda: m.predict_proba(b))
        print(json.dumps({"model": name, "fit_s": fit, "refit_s": float(np.median(refits)) if refits else None, "auc": roc_auc_score(yte, p), "score_us_per_row": score * 1e6 / len(yte)}), flush=True)


def best_of(call, budget_s=0.3, most=20):
    """Shortest of up to `most` timed calls, stopping once `budget_s` has been spent."""
    best, spent, k = float("inf"), 0.0, 0
    while k < most and (k < 3 or spent < budget_s):
        t0 = time.perf_counter()
        call()
        dt = time.perf_counter() - t0
        best, spent, k = min(best, dt), spent + dt, k + 1
    return best


if __name__ == "__main__":
    main()

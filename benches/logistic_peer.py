"""scikit-learn's LogisticRegression (lbfgs) on the design `logistic-peer` wrote, with the
same objective as Vigie's fit (the summed log-loss plus alpha / 2 · ‖w‖², the intercept
not penalised: C = 1 / alpha) and a comparable stop (the mean gradient at most 1e-6, 300
iterations at most). Prints its fit time, its objective and Vigie's at Vigie's weights.

Usage: logistic_peer.py OUT_DIR VIGIE_JSON
"""

import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

out, vigie = sys.argv[1], json.loads(open(sys.argv[2]).read())
X = np.load(f"{out}/X.npy")
y = np.load(f"{out}/y.npy")
alpha = 1.0


def objective(w, b):
    z = X @ w + b
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * alpha * np.dot(w, w))


model = LogisticRegression(C=1.0 / alpha, solver="lbfgs", max_iter=300, tol=1e-6)
started = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - started
w = np.asarray(vigie["weights"])
print(json.dumps({
    "rows": int(X.shape[0]),
    "columns": int(X.shape[1]),
    "sklearn": __import__("sklearn").__version__,
    "fit_seconds": seconds,
    "iterations": int(model.n_iter_[0]),
    "objective": objective(model.coef_[0], model.intercept_[0]),
    "vigie_objective": objective(w[:-1], w[-1]),
    "max_weight_difference": float(np.max(np.abs(np.append(model.coef_[0], model.intercept_[0]) - w))),
}))

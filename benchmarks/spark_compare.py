"""cecore against Spark MLlib's LogisticRegression on the same objective (optional).

Run from the repository root: ``python benchmarks/spark_compare.py``. It needs Java and
pyspark (``pip install pyspark``; not a requirement of this project); without either it
prints ``skipped: ...`` and exits 0.

Spark MLlib's ``LogisticRegression(regParam=alpha, elasticNetParam=0, standardization=False)``
minimises ``lossSum / weightSum + regParam / 2 ||beta||^2`` (the intercept not penalised):
cecore's objective with ``alpha = regParam``, binomial (two classes) or multinomial (more).
On standardized breast cancer, wine and a synthetic 200,000 x 20 table, both are fitted to a
tight tolerance; printed: each objective (cecore's objective function evaluated at both
solutions), their relative gap, the largest difference of the probabilities, and the median
fit time of ``--repeats`` fits (ours first, BLAS on one thread, before the JVM starts;
Spark's in ``local[N]`` mode, its data cached first).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ALPHA = 0.01


def missing():
    """Why the comparison cannot run here, or None."""
    if shutil.which("java") is None:
        return "Java is missing (Spark runs on the JVM)"
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is missing (pip install pyspark)"
    return None


def tables():
    from sklearn.datasets import load_breast_cancer, load_wine, make_classification
    from sklearn.preprocessing import StandardScaler

    found = {}
    for name, loader in (("breast cancer", load_breast_cancer), ("wine", load_wine)):
        X, y = loader(return_X_y=True)
        found[name] = (StandardScaler().fit_transform(X), y)
    X, y = make_classification(n_samples=200_000, n_features=20, n_informative=10,
                               random_state=0)
    found["synthetic 200,000 x 20"] = (StandardScaler().fit_transform(X), y)
    return found


def objective_at(X, y, coef, intercept, n_classes):
    """cecore's objective (mean cross-entropy + alpha/2 ||W||^2) at the given weights."""
    from cecore.objective import BinaryObjective, MultinomialObjective

    if n_classes == 2 and coef.shape[0] == 1:
        objective = BinaryObjective(X, y, None, alpha=ALPHA)
    else:
        objective = MultinomialObjective(X, y, None, n_classes=n_classes, alpha=ALPHA)
    return objective.loss_objective_gradient(objective.pack(coef, intercept))[1]


def fit_cecore(X, y):
    from cecore import LogisticRegressionGD, SoftmaxRegressionGD

    cls = LogisticRegressionGD if len(np.unique(y)) == 2 else SoftmaxRegressionGD
    return cls(alpha=ALPHA, solver="nesterov", tol=1e-9, max_epochs=20_000).fit(X, y)


def fit_spark(spark, X, y):
    """Spark's fit and the (coef, intercept, P) of its solution."""
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.linalg import Vectors

    rows = [(float(label), Vectors.dense(row)) for label, row in zip(y, X, strict=True)]
    frame = spark.createDataFrame(rows, ["label", "features"]).cache()
    frame.count()
    binary = len(np.unique(y)) == 2
    estimator = LogisticRegression(regParam=ALPHA, elasticNetParam=0.0, standardization=False,
                                   family="binomial" if binary else "multinomial",
                                   maxIter=10_000, tol=1e-12)

    def fit():
        return estimator.fit(frame)

    return frame, fit, binary


def spark_weights(model, binary):
    if binary:
        return model.coefficients.toArray()[None, :], np.array([model.intercept])
    return model.coefficientMatrix.toArray(), model.interceptVector.toArray()


def median_time(fit, repeats):
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    why = missing()
    if why:
        print(f"skipped: {why}")
        return 0
    from pyspark.sql import SparkSession
    from threadpoolctl import threadpool_limits

    from cecore.losses import sigmoid, softmax

    data = tables()
    with threadpool_limits(1):          # ours first, before the JVM starts its threads
        ours = {name: median_time(lambda X=X, y=y: fit_cecore(X, y), args.repeats)
                for name, (X, y) in data.items()}
    spark = (SparkSession.builder.master(f"local[{args.cores}]").appName("cecore-compare")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"alpha = regParam = {ALPHA}, elasticNetParam = 0, standardization = false; "
          f"Spark local[{args.cores}], medians of {args.repeats} fits")
    print(f"{'table':>24} {'cecore objective':>17} {'Spark objective':>16} {'gap':>9} "
          f"{'max |dP|':>9} {'cecore':>8} {'Spark':>8}")
    try:
        for name, (X, y) in data.items():
            ours_time, model_ours = ours[name]
            frame, fit, binary = fit_spark(spark, X, y)
            spark_time, model = median_time(fit, args.repeats)
            frame.unpersist()
            coef, intercept = spark_weights(model, binary)
            k = len(np.unique(y))
            ours_obj = objective_at(X, y, model_ours.coef_, model_ours.intercept_, k)
            spark_obj = objective_at(X, y, coef, intercept, k)
            z = X @ coef.T + intercept
            p_spark = (np.column_stack([1 - sigmoid(z[:, 0]), sigmoid(z[:, 0])]) if binary
                       else softmax(z, axis=1))
            dp = float(np.abs(model_ours.predict_proba(X) - p_spark).max())
            print(f"{name:>24} {ours_obj:>17.12f} {spark_obj:>16.12f} "
                  f"{(ours_obj - spark_obj) / spark_obj:>9.1e} {dp:>9.1e} "
                  f"{ours_time:>7.3f}s {spark_time:>7.3f}s")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Class weights against a moved threshold, on the same binary data: both buy recall of the
rare class, only one keeps the probabilities honest.

Balanced weights ``w_k = n / (2 n_k)`` make the rare class count as much as the common one
in the objective, so the fitted probabilities of the rare class rise everywhere: recall at
0.5 goes up and calibration goes (sklearn PR #5250). Moving the threshold of the unweighted
model to the one that reaches the same recall gives about the same precision and recall,
and its probabilities stay what log loss made them: close to the observed frequencies.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

__all__ = ["counterpart_run", "matching_threshold", "weights_or_threshold"]


def counterpart_run(run, turns=None):
    """The same data and settings trained with the other class weighting (balanced if the
    run had none, none if it was balanced), run to its end; ``turns`` a
    :class:`cecore.live.TrainingTurns` to take turns with other trainings."""
    from cecore.training import TrainingRun

    other = None if run.config.class_weight == "balanced" else "balanced"
    twin = TrainingRun(run.prepared, replace(run.config, class_weight=other), run.options,
                       frame=run.frame)
    records = twin.records() if turns is None else turns.take(twin.records())
    for _ in records:
        pass
    return twin


def matching_threshold(curves, recall):
    """The highest threshold at which ``curves`` (a BinaryCurves) reach at least ``recall``:
    the cheapest way, in false alarms, to find that share of the positive rows."""
    _, tpr, thresholds = curves.roc()
    reached = np.flatnonzero(tpr >= recall - 1e-12)
    return float(thresholds[reached[0]]) if len(reached) else 0.0


def weights_or_threshold(unweighted, weighted, threshold=0.5):
    """A table with one column per way to find the rare class: the weighted model at
    ``threshold``, the unweighted model at ``threshold``, and the unweighted model at the
    threshold that matches the weighted model's recall. Rows: threshold, recall,
    precision, log loss, calibration error and Brier score on the evaluated rows.

    ``unweighted`` and ``weighted`` are the two models' ProbabilityReports (binary).
    """
    weighted_at = weighted.curves.at(threshold)
    moved = matching_threshold(unweighted.curves, weighted_at.recall)
    columns = {
        f"no weights, threshold {threshold:g}": (unweighted, unweighted.curves.at(threshold)),
        f"no weights, threshold {moved:.3g}": (unweighted, unweighted.curves.at(moved)),
        f"balanced weights, threshold {threshold:g}": (weighted, weighted_at),
    }
    table = pd.DataFrame({
        name: {"threshold": counts.threshold, "recall": counts.recall,
               "precision": counts.precision, "log loss": report.log_loss,
               "calibration error (ECE)": report.expected_calibration_error,
               "Brier score": report.brier["brier"]}
        for name, (report, counts) in columns.items()
    })
    table.index.name = "on the evaluated rows"
    return table

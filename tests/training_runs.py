"""A training run from a table to its end: the tests' shared way to get a finished run."""

import warnings

from cecore.training import DataOptions, TrainConfig, TrainingRun, prepare_data


def trained(frame, target, features=None, options=None, config=None, ignore=Warning):
    """:class:`TrainingRun` on ``frame`` with these settings (defaults: TrainConfig(),
    DataOptions()), run to its end; warnings of the class ``ignore`` are silenced (None:
    every warning reaches the caller)."""
    config, options = config or TrainConfig(), options or DataOptions()
    prepared = prepare_data(frame, target, features, options, config.seed)
    run = TrainingRun(prepared, config, options, frame=frame)
    with warnings.catch_warnings():
        if ignore is not None:
            warnings.simplefilter("ignore", ignore)
        for _ in run.records():
            pass
    return run

"""``python -m cecore race FILE --target COL``: the optimisers of :mod:`cecore.race` on one
table's training rows, each one's epochs and seconds to 1e-6 (relative) of the best
objective, and its final objective; a table, or with ``--json`` one JSON object."""

from __future__ import annotations

import json
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

from cecore.data import read_table
from cecore.export import jsonable
from cecore.hyperparameters import CLASS_WEIGHTS
from cecore.models import DivergenceWarning
from cecore.prepare.options import DataOptions
from cecore.race import RACERS, TARGET_GAP, Race, race_table
from cecore.training import MODELS, TrainConfig, build_estimator, prepare_data, resolve_model

__all__ = ["add_race_parser", "race"]


def add_race_parser(commands):
    race_parser = commands.add_parser(
        "race", help="race gd, nesterov, adam, mini-batch SGD and L-BFGS on a table",
        description="Minimise the training objective of one table with each optimiser from "
                    "the same start; report the epochs and seconds each needs to come within "
                    f"{TARGET_GAP:g} (relative) of the best objective.")
    race_parser.add_argument("file", help="CSV/TSV/TXT, Excel (.xlsx) or Parquet file")
    race_parser.add_argument("--target", required=True, help="the class column")
    race_parser.add_argument("--features", nargs="+", metavar="COL",
                             help="input columns (default: the useful ones)")
    race_parser.add_argument("--model", choices=MODELS, default="auto",
                             help="logistic, softmax, or auto by the number of classes")
    race_parser.add_argument("--alpha", type=float, default=TrainConfig().alpha,
                             help="the L2 penalty of the objective")
    race_parser.add_argument("--class-weight", choices=("none", *CLASS_WEIGHTS),
                             default="none", help="row weights of the objective")
    race_parser.add_argument("--optimizers", nargs="+", choices=tuple(RACERS),
                             default=list(RACERS), metavar="NAME",
                             help=f"which of {', '.join(RACERS)} (default: all)")
    race_parser.add_argument("--epochs", type=int, default=1000,
                             help="at most this many epochs per optimiser (default: 1000)")
    race_parser.add_argument("--seconds", type=float, default=60.0,
                             help="at most this many seconds per optimiser (default: 60)")
    race_parser.add_argument("--batch-size", type=int, default=None, metavar="N",
                             help="the mini-batch SGD lane's batch (default: 256)")
    race_parser.add_argument("--test-size", type=float, default=DataOptions().test_size,
                             help="share of rows left out, as in train (default: 0.25)")
    race_parser.add_argument("--seed", type=int, default=0, help="the split's seed")
    race_parser.add_argument("--raw", action="store_true",
                             help="race on the numeric features in their own units")
    race_parser.add_argument("--json", action="store_true", help="print one JSON object")
    return race_parser


def race_result(the_race, kind, n_rows):
    """The JSON of a finished race: the best objective, then per optimiser its epochs,
    seconds and passes to 1e-6 (null when not reached), its last epoch and objective."""
    lanes = {}
    for name, lane in the_race.lanes.items():
        reached = lane.first_within(the_race.best_objective)
        lanes[name] = {
            "label": lane.label, "status": lane.status,
            "epochs_to_target": None if reached is None else reached["epoch"],
            "seconds_to_target": None if reached is None else reached["seconds"],
            "passes_to_target": None if reached is None else reached["evaluations"],
            "epochs": lane.records[-1]["epoch"] if lane.records else 0,
            "seconds": lane.records[-1]["seconds"] if lane.records else 0.0,
            "final_objective": lane.records[-1]["objective"] if lane.records else None,
        }
    return jsonable({"model": kind, "n_rows": n_rows, "n_features": the_race.X.shape[1],
                     "target_gap": TARGET_GAP, "best_objective": the_race.best_objective,
                     "optimizers": lanes})


def race(args):
    config = TrainConfig(model=args.model, alpha=args.alpha, seed=args.seed,
                         batch_size=args.batch_size,
                         class_weight=None if args.class_weight == "none" else args.class_weight)
    options = DataOptions(test_size=args.test_size, scale=not args.raw)
    frame = read_table(args.file)
    prepared = prepare_data(frame, args.target, args.features, options, config.seed)
    kind = resolve_model(config.model, len(prepared.classes))
    the_race = Race(build_estimator(config, kind), prepared.X_train, prepared.y_train,
                    racers=tuple(args.optimizers), max_epochs=args.epochs,
                    max_seconds=args.seconds, batch_size=args.batch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        current = None
        try:
            for lane, _ in the_race.steps():
                if lane is not current:
                    print(f"racing {lane.label}…", file=sys.stderr, flush=True)
                    current = lane
        except KeyboardInterrupt:
            the_race.stop()
    result = race_result(the_race, kind, len(prepared.y_train))
    if args.json:
        print(json.dumps(result))
    else:
        print(race_table(the_race).to_string(index=False, float_format=lambda v: f"{v:.6g}",
                                             na_rep="-"))
    return 0

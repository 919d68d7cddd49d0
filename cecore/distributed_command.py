"""``python -m cecore train "data/part-*.parquet" --target y --dask local|ADDRESS``: the
command's training on a Dask cluster (imported only with ``--dask``).

* The parts: the files the glob matches (a URL such as ``s3://bucket/part-*.parquet`` is
  expanded by fsspec), in the natural order of their names (``part-2`` before
  ``part-10``), all Parquet (``.parquet``, ``.pq``) or all CSV (``.csv``, ``.txt``; ``.tsv``
  tab-separated), read by ``dask.dataframe`` (CSV: a header line in every part, integer
  columns read as floats so that a part with a missing value agrees with the others).
  The workers open the files themselves: on a cluster of several machines the paths must
  be theirs too (a shared folder, or object storage).
* The cluster: ``local`` starts a LocalCluster of worker processes sized to the machine
  (dask's default: one worker a core here, memory shared out); an address
  (``tcp://host:8786``, or ``host:8786``) connects to a running scheduler, giving up after
  :data:`CONNECT_TIMEOUT` seconds. Every worker needs cecore installed (``pip install
  ".[dask]"``).
* Then :func:`cecore.distributed_prepare.prepare_on_cluster` (the preparation's statistics
  on the cluster), a :class:`cecore.distributed_run.ClusterRun` (each epoch on the cluster,
  a progress bar on stderr), and the summary with the keys of the in-memory ``train
  --json`` (those in :data:`cecore.distributed_run.NOT_COMPUTED` are null), plus ``dask``:
  the cluster, the files, the parts and the preparation's notes. ``--save-model`` writes
  the same model file as in memory; ``--script``, ``--sklearn-script``,
  ``--validation-share`` and ``--early-stopping`` are refused.

Anything that goes wrong on the cluster (a file a worker cannot read, a worker lost)
becomes a DataError: the command's one line ``error: ...`` and exit status 2.
"""

from __future__ import annotations

import gc
import glob
import json
import logging
import os
import re
import socket
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from cecore.distributed_prepare import prepare_on_cluster
from cecore.distributed_run import NOT_COMPUTED, ClusterRun
from cecore.errors import DataError
from cecore.export import model_json, summary
from cecore.progress import train_with_progress

__all__ = ["CONNECT_TIMEOUT", "cluster_client", "part_paths", "read_parts",
           "train_on_cluster"]

CONNECT_TIMEOUT = 10  # seconds to reach a scheduler
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".txt": "csv",
            ".tsv": "csv"}


def _natural(path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def part_paths(pattern):
    """The files ``pattern`` matches, in natural order; DataError when none does."""
    if "://" in pattern:
        from fsspec.core import get_fs_token_paths

        fs, _, paths = get_fs_token_paths(pattern)
        protocol = fs.protocol[0] if isinstance(fs.protocol, tuple) else fs.protocol
        paths = [f"{protocol}://{p}" for p in paths]
    else:
        paths = [os.path.abspath(p) for p in glob.glob(os.path.expanduser(pattern))
                 if os.path.isfile(p)]
    if not paths:
        raise DataError(f"No file matches '{pattern}'.")
    return sorted(paths, key=_natural)


def read_parts(paths):
    """The parts as one Dask DataFrame (see the module docstring)."""
    import dask.dataframe as dd

    kinds = {_FORMATS.get(Path(p).suffix.lower()) for p in paths}
    if None in kinds:
        odd = next(p for p in paths if Path(p).suffix.lower() not in _FORMATS)
        raise DataError(f"--dask reads CSV or Parquet parts (.csv, .tsv, .txt, .parquet, "
                        f".pq); '{Path(odd).name}' is neither.")
    if len(kinds) > 1:
        raise DataError("The parts mix CSV and Parquet files; give one kind.")
    if kinds == {"parquet"}:
        return dd.read_parquet(paths)
    tabs = all(Path(p).suffix.lower() == ".tsv" for p in paths)
    return dd.read_csv(paths, sep="\t" if tabs else ",", assume_missing=True)


def _unreachable(address, reason):
    return DataError(f"Cannot reach the Dask scheduler at {address}: {reason}. Start one with "
                     f"`dask scheduler` and its workers with `dask worker {address}`, or use "
                     "--dask local.")


def _probe(address):
    """DataError unless something accepts a TCP connection at a tcp:// address."""
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786),
                                      timeout=CONNECT_TIMEOUT):
            pass
    except TimeoutError:
        raise _unreachable(address, f"no answer within {CONNECT_TIMEOUT} s") from None
    except OSError as error:
        raise _unreachable(address, error.strerror or str(error)) from None


@contextmanager
def cluster_client(where):
    """A distributed Client of ``where`` ("local" or a scheduler's address), closed after."""
    from distributed import Client, LocalCluster

    if where == "local":
        with LocalCluster(processes=True, dashboard_address=None,
                          silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
            yield client
        return
    address = where if "://" in where else f"tcp://{where}"
    _probe(address)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except Exception as error:  # whatever it is, the scheduler is not there
        _quietly_collect()
        said = " ".join(str(error).split())
        raise _unreachable(address, f"no Dask scheduler answered there ({type(error).__name__}"
                                    f"{': ' + said if said else ''})") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise DataError(f"The Dask scheduler at {address} has no workers; start some "
                            f"with `dask worker {address}`.") from None
        yield client


def _quietly_collect():
    """Collect a Client that failed to connect without its closing noise on stderr."""
    hook, sys.unraisablehook = sys.unraisablehook, lambda *_: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _describe(client, where, paths, prepared):
    workers = client.scheduler_info().get("workers", {})
    return {"scheduler": "local" if where == "local" else client.scheduler.address,
            "workers": len(workers),
            "threads": sum(w.get("nthreads", 0) for w in workers.values()),
            "files": len(paths), "parts": prepared.n_parts,
            "notes": prepared.notes, "not_computed": NOT_COMPUTED}


def _table(result):
    """The result in lines of text (the in-memory table without the scikit-learn columns)."""
    test = (f"test loss {result['test_loss']:.8g}, test accuracy {result['accuracy_test']:.4g}"
            if result["n_test"] else "no test rows")
    dask = result["dask"]
    return "\n".join([
        f"model      {result['model']} ({result['estimator']}), classes: "
        f"{', '.join(result['classes'])}",
        f"data       {result['n_train']} training rows, {result['n_test']} test rows, "
        f"{len(result['features'])} features, from {dask['files']} files in "
        f"{dask['parts']} parts",
        f"cluster    {dask['scheduler']}: {dask['workers']} workers, {dask['threads']} threads",
        f"training   {result['stop_reason']} after {result['epochs']} epochs "
        f"({result['seconds']:.3g} s)"
        + (f", class_weight={result['class_weight']}" if result["class_weight"] else ""),
        f"result     objective {result['objective']:.10g}, train loss "
        f"{result['train_loss']:.8g}, train accuracy {result['accuracy_train']:.4g}; {test}",
        "Not compared with scikit-learn: its lbfgs fit needs X in memory.",
    ])


def train_on_cluster(args, config, options, progress_bar):
    """The ``train`` command with ``--dask`` (``args`` the parsed options, ``config`` and
    ``options`` the TrainConfig and DataOptions they give, ``progress_bar`` the command's
    ProgressBar class). Returns the exit status."""
    for given, option in ((args.script, "--script"), (args.sklearn_script, "--sklearn-script")):
        if given:
            raise DataError(f"{option} is not supported with --dask: the script reproduces an "
                            "in-memory run.")
    for given, option in ((config.validation_share, "--validation-share"),
                          (config.early_stopping, "--early-stopping")):
        if given:
            raise DataError(f"{option} is not supported with --dask yet.")
    paths = part_paths(args.file)
    with cluster_client(args.dask) as client:
        try:
            prepared = prepare_on_cluster(read_parts(paths), args.target, args.features,
                                          replace(options, random_state=config.seed))
            run = ClusterRun(prepared, config, options, args.dask)
            train_with_progress(run, progress_bar(run.config.epochs))
            if not run.usable:
                print(f"error: {run.message}", file=sys.stderr)
                return 1
            result = summary(run, threshold=args.threshold)
            result.update({key: None for key in NOT_COMPUTED},
                          dask=_describe(client, args.dask, paths, prepared))
            model = model_json(run) if args.save_model else None
        except (DataError, ValueError):
            raise
        except Exception as error:  # a file a worker cannot read, a lost worker: one line
            raise DataError(f"the Dask cluster failed: {type(error).__name__}: {error}") \
                from None
    if model is not None:
        try:
            Path(args.save_model).write_text(model, encoding="utf-8")
        except OSError as error:
            raise DataError(f"Cannot write '{args.save_model}': "
                            f"{error.strerror or error}.") from None
    print(json.dumps(result) if args.json else _table(result))
    return 0

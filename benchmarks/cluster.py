"""Cluster benchmark: one class graded by the local pool and by a two-worker Dask cluster.

    python benchmarks/cluster.py [--count 1000] [--repeat 2]

Both run on this machine's cores: the local pool (two worker processes per core, placement on)
and a Dask cluster of a real ``dask scheduler`` and two ``dask worker`` processes with as many
grading slots in all (``--nthreads`` = cores), started once, as a TA would. The runs alternate
(local, cluster, local, cluster, ...) so that a drift of the machine's speed hits both.

Reported per run: submissions per second (wall clock from the first task sent to the last
result recorded; the suite's preparation on each worker included), and the CPU time the
client (this process: discovery, reading files into parcels, the Dask client, checking and
recording results) spent per submission, which bounds what one client can feed:
1 / (client CPU per submission) submissions per second per client core.

Target (issue 20): the Dask path within 15 % of the local pool's throughput on the same cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import batch  # noqa: E402
from autograder.executors.cluster import DaskExecutor  # noqa: E402
from autograder.executors.local import LocalPool  # noqa: E402
from autograder.gradebook import Gradebook  # noqa: E402
from autograder.placement import available_cores  # noqa: E402
from autograder.scoring import suite_version  # noqa: E402
from autograder.scratch import Scratch  # noqa: E402
from autograder.settings import Settings  # noqa: E402
from examples.local_dask import LocalDask  # noqa: E402
from examples.synthetic_class import make_class  # noqa: E402


def one_run(executor, settings: Settings, klass: Path, folder: Path) -> dict[str, float]:
    book = Gradebook(folder / "gradebook.sqlite")
    try:
        with Scratch(folder) as scratch:
            cpu, wall = time.process_time(), time.perf_counter()
            plan = batch.plan(settings, [klass], book, scratch)
            graded = batch.run(settings, plan, book, executor=executor)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        book.close()
    return {
        "count": len(graded),
        "per_second": len(graded) / wall,
        "client_cpu_ms": 1000 * cpu / len(graded),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cores = len(available_cores())
    settings = Settings("optimizers", suite_version("optimizers"))
    with tempfile.TemporaryDirectory(prefix="optigrade-bench-cluster-") as tmp:
        root = Path(tmp)
        klass = root / "class"
        make_class(klass, "optimizers", args.count)
        dask = LocalDask(root, workers=2, threads=cores)
        try:
            cluster = DaskExecutor(dask.address)
            local = LocalPool()
            runs: dict[str, list[dict[str, float]]] = {"local": [], "dask": []}
            for round_ in range(args.repeat):
                for name, executor in (("local", local), ("dask", cluster)):
                    figures = one_run(executor, settings, klass, root / f"{name}{round_}")
                    runs[name].append(figures)
                    print(
                        f"  {name:5} run {round_ + 1}: {figures['count']} submissions, "
                        f"{figures['per_second']:.2f}/s, client CPU "
                        f"{figures['client_cpu_ms']:.2f} ms per submission",
                        flush=True,
                    )
            cluster.close()
        finally:
            dask.stop()
    local_rate = statistics.median(r["per_second"] for r in runs["local"])
    dask_rate = statistics.median(r["per_second"] for r in runs["dask"])
    client_ms = statistics.median(r["client_cpu_ms"] for r in runs["dask"])
    ratio = dask_rate / local_rate
    print(
        f"local pool: {local_rate:.2f}/s; Dask, 2 workers: {dask_rate:.2f}/s "
        f"(median of {args.repeat}, {cores} cores)"
    )
    print(
        f"Dask / local throughput: {ratio:.3f} "
        f"(target >= 0.85: {'met' if ratio >= 0.85 else 'NOT met'})"
    )
    print(
        f"client cost: {client_ms:.2f} ms CPU per submission, a ceiling of about "
        f"{1000 / client_ms:.0f} submissions/s for one client core"
    )
    print(f"(process {os.getpid()}; class of {args.count})")


if __name__ == "__main__":
    main()

"""A Dask scheduler and workers on loopback, started as the `dask` commands a TA would run.

Used by the cluster tests and ``benchmarks/cluster.py``; also a runnable example::

    python examples/local_dask.py --workers 2 --threads 2   # prints the address, Ctrl-C stops

Each is a separate process (no nanny: killing a worker's process is that worker's death, as
when a machine is lost).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


class LocalDask:
    """``dask scheduler`` and ``workers`` × ``dask worker`` on 127.0.0.1; logs in ``folder``."""

    def __init__(self, folder: Path, workers: int, threads: int = 1) -> None:
        self.log = open(folder / "dask.log", "ab")  # noqa: SIM115 - open while the cluster runs
        file = folder / "scheduler.json"
        common = {"stdout": subprocess.DEVNULL, "stderr": self.log}
        self.scheduler = subprocess.Popen(
            [
                BIN / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                file,
            ],
            **common,
        )
        deadline = time.monotonic() + 60
        while not file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.stop()
                raise RuntimeError(f"the Dask scheduler did not start (see {folder / 'dask.log'})")
            time.sleep(0.1)
        self.address: str = json.loads(file.read_text())["address"]
        self.workers = [
            subprocess.Popen(
                [
                    BIN / "dask",
                    "worker",
                    self.address,
                    "--nthreads",
                    str(threads),
                    "--no-nanny",
                    "--no-dashboard",
                    "--name",
                    f"w{number}",
                ],
                **common,
            )
            for number in range(workers)
        ]
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)

    def stop(self) -> None:
        """Stop every process (a worker still closing down after 20 s is killed)."""
        processes = [*getattr(self, "workers", []), self.scheduler]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="optigrade-dask-") as folder:
        cluster = LocalDask(Path(folder), args.workers, args.threads)
        print(f"scheduler at {cluster.address}; Ctrl-C stops", flush=True)
        try:
            cluster.scheduler.wait()
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()

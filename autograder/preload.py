"""What the batch's worker server imports before it forks any worker.

Workers are forked from this server (``batch.start_worker_server``), so what it loads here each
worker has without paying for it: the grading engine (pytest, numpy, the suites' helpers) and
the notebook reader, warmed up.
"""

from autograder import engine, ingest

__all__ = ["engine"]

ingest.warm_up()

"""What the batch's worker server imports before it forks any worker.

Workers are forked from this server (:mod:`autograder.server`), so what it loads here each
worker has without paying for it: the grading engine (pytest, numpy, the suites' helpers),
the notebook reader, warmed up, the templates that say which cells are the course's
(``autograder.intake.course``), and, when the server is started for an assignment, that
suite imported with its plan and the reference's results (``engine.prepare_suite``).
"""

import os

from assignments import cells
from autograder import intake, server
from autograder.engine import worker as engine

__all__ = ["cells", "engine", "prepared"]

intake.warm_up()
_assignment = os.environ.pop(server.WARM_ENV, None)
#: The reference pass of that suite (``engine.prepare_suite``), made here once and inherited
#: by every worker forked from this server; each worker hands it to its engine explicitly
#: (``executors.local``), which makes its own if it was made for another suite.
prepared = engine.prepare_suite(_assignment) if _assignment else None

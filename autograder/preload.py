"""What the batch's worker server imports before it forks any worker.

Workers are forked from this server (:mod:`autograder.server`), so what it loads here each
worker has without paying for it: the grading engine (pytest, numpy, the suites' helpers),
the notebook reader, warmed up, the templates that say which cells are the course's
(``autograder.intake.course``), and, when the server is started for an assignment, that
suite imported with its plan and the reference's results (``engine.prepare_suite``).
"""

import os

from assignments import cells
from autograder import engine, intake, server

__all__ = ["cells", "engine"]

intake.warm_up()
_assignment = os.environ.pop(server.WARM_ENV, None)
if _assignment:
    engine.prepare_suite(_assignment)

"""Print every student's score per grade cell as JSON (run with the nbgrader venv's python).

nbgrader keeps its scores in its gradebook database; ``nbgrader export`` gives one total per
assignment only, and the benchmark needs the score of each item.
"""

import json
import sys

from nbgrader.api import Gradebook


def main() -> None:
    db, assignment, notebook = sys.argv[1:4]
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for student in gb.students:
            try:
                nb = gb.find_submission_notebook(notebook, assignment, student.id)
            except Exception:
                continue
            scores[student.id] = {g.name: float(g.score or 0) for g in nb.grades}
    json.dump(scores, sys.stdout)


if __name__ == "__main__":
    main()

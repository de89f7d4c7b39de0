"""Reading a submission: each file once, for its hash and its cells, within the size limit."""

from __future__ import annotations

from pathlib import Path

from autograder.ingest import MAX_FILE_BYTES, content_hash, ingest
from examples.synthetic_class import notebook
from tests.test_grade_cli import class_cells


def test_a_file_over_the_limit_is_too_large_and_says_how_large(tmp_path):
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 10)  # sparse: no disk used
    result = ingest("s", [huge])
    assert result.status == "too_large", result
    assert f"{MAX_FILE_BYTES + 10} bytes" in result.reason


def test_the_batch_and_the_worker_agree_on_a_submissions_hash(tmp_path):
    # The batch hashes files to skip unchanged submissions; the worker records the hash of
    # what it read. They must agree, or a resumed batch would grade everything again.
    good = tmp_path / "good.ipynb"
    good.write_text(notebook(class_cells()))
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.py"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    missing = tmp_path / "missing.ipynb"
    for files in ([good], [empty], [huge], [missing], [good, empty, huge]):
        assert ingest("s", files).content_hash == content_hash(files), files
    assert len({content_hash([f]) for f in (good, empty, huge, missing)}) == 4


def test_a_notebooks_code_cells_come_back_as_written_without_its_check_cells(tmp_path):
    # nbformat stores each source as a list of lines; a check cell follows every code cell.
    cells = class_cells()
    path = Path(tmp_path / "n.ipynb")
    path.write_text(notebook(cells))
    result = ingest("s", [path])
    assert result.status == "ok"
    assert [c.strip() for c in result.cells] == [c.strip() for c in cells]

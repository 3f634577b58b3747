"""The Dask backend against a real 2-worker LocalCluster: same grades as a local run."""

import pytest

from grader.pipeline import BatchOptions, grade_folder
from tests.conftest import FAST, FIXTURE_SOLUTIONS, code, notebook, write

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def test_dask_backend_gives_the_same_grades_csv_as_a_local_run(tmp_path, cluster):
    folder = tmp_path / "s"
    solved = [code("import torch\nfrom torch import nn"), code("layer = nn.Linear(2, 1)", "ex1"),
              code("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2")]
    write(notebook(*solved, assignment="mini"), folder / "ada" / "mini.ipynb")
    write(notebook(code("layer = 3", "ex1"), assignment="mini"), folder / "bob" / "mini.ipynb")
    (folder / "cy.ipynb").write_text("not json", encoding="utf-8")
    local = grade_folder(folder, BatchOptions(tmp_path / "local", FIXTURE_SOLUTIONS, FAST, workers=1))
    remote = grade_folder(folder, BatchOptions(tmp_path / "remote", FIXTURE_SOLUTIONS, FAST, dask=cluster.scheduler_address))
    assert (tmp_path / "remote" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert [r.score for r in remote.results] == [r.score for r in local.results] == [4, 0, 0]
    assert (tmp_path / "remote" / "ada__mini" / "report.html").is_file()

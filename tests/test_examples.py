"""The notebooks in examples/ are stored without outputs and run from top to bottom (nbclient, a
real Jupyter kernel) in an empty folder."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")   # the dev extra installs them; CI has them
nbclient = pytest.importorskip("nbclient")

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.ipynb"))


def test_there_is_a_notebook():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
# a kernel runs the notebook's kMC run, ~20 s of CPU (its API: tests/test_readme.py's Python blocks)
@pytest.mark.slow
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()   # raises on an error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert {"contact.png", "cross_section.png", "voids.png"} <= {p.name for p in tmp_path.iterdir()}

"""The notebook regenerates the review figures through the public API."""

import shutil

import nbformat
from conftest import ROOT
from nbclient import NotebookClient
from test_outputs import copy_review


def test_notebook_runs_and_draws_the_figures(tmp_path, monkeypatch):
    project = copy_review(tmp_path / "review")
    figures = tmp_path / "figures"
    monkeypatch.setenv("MAPPING_REVIEW_PROJECT", str(project.root))
    monkeypatch.setenv("MAPPING_REVIEW_FIGURES", str(figures))
    notebook = tmp_path / "review_figures.ipynb"
    shutil.copyfile(ROOT / "notebooks" / "review_figures.ipynb", notebook)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "10 guides, 33 codes, 211 present" in outputs
    assert "60 nodes, 233 edges" in outputs
    assert {p.name for p in figures.iterdir()} >= {"heatmap.png", "network.svg", "coverage.pdf"}
    assert any(o.get("output_type") == "execute_result" and "image/png" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)

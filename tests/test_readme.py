"""The README's code example runs and says what it claims."""

import re
from pathlib import Path

import numpy as np

from autograd_core import Config
from benchmarks import figures as F

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example_runs_and_its_gradient_is_right():
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    namespace = {}
    try:
        exec(compile(block, str(README), "exec"), namespace)
    finally:
        Config.graph = "weak"  # the example switches this thread to the strong graph
    # d/dx (x**4 + x**3) at 2 = 4*8 + 3*4, as the README's comment says.
    assert namespace["x"].grad == np.array(44.0)
    assert "# array(44.)" in block
    assert namespace["z"].creator is None


def test_the_results_schema_page_documents_every_figure():
    schema = (README.parent / "reports" / "README.md").read_text(encoding="utf-8")
    missing = [f.name for f in F.FIGURES if f"`{f.name}`" not in schema]
    assert not missing, f"reports/README.md does not document {missing}"

"""The report's sections, in the order the page shows them.

Each section is one module here with a `build(inputs)` that returns one `Section` (report/
section.py): its id and title, a one-line summary computed from the figures (what the section
says while it is closed), the values its template reads, and the files it writes beside
index.html. Its template is templates/sections/<id>.html.j2; the page wraps every section but
the first screen in a <details> that opens on the summary.

Adding a section is three steps: a module here with `build(inputs) -> Section`, its template,
and one line in ORDER below.
"""

from . import (
    across,
    benchmarks,
    environment,
    first_screen,
    history,
    mprof,
    plots,
    ratios,
    scaling,
    tradeoff,
    variants,
    why,
)

ORDER = (
    first_screen,
    plots,
    variants,
    why,
    tradeoff,
    across,
    scaling,
    ratios,
    benchmarks,
    mprof,
    history,
    environment,
)


def build(inputs):
    """Every section, in ORDER."""
    return [module.build(inputs) for module in ORDER]

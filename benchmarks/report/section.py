"""What a section of the report is: one object, built from the files the report shows, that its
own template (templates/sections/<id>.html.j2) turns into HTML. The sections and their order:
`benchmarks/report/sections/`."""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Section:
    id: str  # the HTML id, and the template's name: templates/sections/<id>.html.j2
    title: str
    summary: str  # one line computed from the figures: what a closed section says
    values: dict  # what its template reads
    # Files beside index.html, by name: their bytes, or None to remove one an earlier render
    # wrote. Written with the page or not at all.
    files: dict = field(default_factory=dict)
    folds: bool = True  # False: always open (the first screen)


@dataclass(frozen=True)
class Inputs:
    """The files the report shows, already loaded: what every section may read."""

    path: Path  # the results file the sections show
    data: dict
    pool: list  # [(path, data)]: the files pooled into "Across environments"
    lead: str  # why `path` leads the pool: "own" or "newest" (choose.lead)
    reports_dir: Path
    repo_root: Path
    mprof_runs: list  # parsed mprof .dat files
    bench: object  # pytest_bench's run, or None
    ratios: object  # ratios.RatiosRun, or None
    sweep: object = None  # an explicit sweep file, or None for the newest of each set of axes
    notices: list = field(default_factory=list)

    def shown(self, path):
        """`path` as the page names it: from the repository root, where the commands run."""
        try:
            return Path(path).resolve().relative_to(Path(self.repo_root).resolve())
        except ValueError:
            return Path(path)

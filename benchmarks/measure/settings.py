"""The settings of a measured run: the workload's size and the measurement's limits. Their
defaults are the classic loop's, for `python -m benchmarks run` and `benchmarks/loop.py` alike."""

from dataclasses import asdict, dataclass, field

from ..workloads import CLASSIC
from .probes import MIB


def _half_the_ram_mib():
    import psutil  # only the parent sets a limit; the child script never imports psutil

    return psutil.virtual_memory().total / MIB / 2


@dataclass
class Settings:
    workload: str = CLASSIC.name  # benchmarks/workloads/: classic or deep-chain
    iters: int = CLASSIC.iters
    size: int = 100_000
    depth: int = CLASSIC.depth
    seed: int = 0
    input: str = "copy"  # how each iteration gets its new input array: workloads/classic.INPUTS
    repeat: int = 1
    interval_s: float = 0.001
    gc_enabled: bool = True
    gc_threshold: int | None = None
    mem_limit_mib: float = field(default_factory=_half_the_ram_mib)
    retain_grad: bool = False
    timeout_s: float = 600.0
    # Variants whose native pass keeps the stacks alive at its peak, for a flame graph, beside
    # the strong graph's, which always do (`--flamegraph`).
    flamegraph: tuple[str, ...] = ()
    # The python every child runs (`--python`, via measure/interpreters.py); None: this one.
    # Recorded under the results' environment, not here: it says where, not what, was measured.
    python: str | None = None

    def __post_init__(self):
        self.flamegraph = tuple(self.flamegraph)  # a list, read back from a file

    def as_json(self):
        settings = asdict(self)
        del settings["python"]
        settings["flamegraph"] = list(self.flamegraph)
        return settings


# The workload's defaults without a memory limit, for the child script (no psutil there).
WORKLOAD = Settings(mem_limit_mib=0.0)

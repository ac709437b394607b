"""The designs that save memory, as variants: freeing what backward has passed
(`weak-backward-free`) and checkpoints (`weak-backward-checkpoint`, in the deep chain), their
names, their exact tracemalloc peaks at reduced sizes against the plain variants and the
live-array floor, and their gradients against the plain run's.

Run `pytest -s tests/test_designs.py` to see the figures.
"""

import gc
import types

import numpy as np
import pytest

from benchmarks import engines, loop
from benchmarks import workloads as W
from benchmarks.measure import runner
from benchmarks.measure.settings import Settings
from benchmarks.suite.memprobe import MIB, loop_memory
from benchmarks.workloads import deep_chain
from benchmarks.workloads import variants as V

ELIDED = 40_000  # numpy reuses temporaries from 256 KiB an array up: the floors count so
SMALL = 10_000


def traced_arrays(name, workload, depth, iters, size=ELIDED):
    """(floor, tracemalloc peak) of `iters` iterations of the loop, as loop.py runs it, in
    arrays of `size` elements, the cyclic GC off (what reference counting alone frees)."""
    variant = V.parse(name)
    gc.disable()  # loop_memory collects first
    try:
        built = W.build(variant, depth, workload=workload)
        peak = loop_memory(*built, iters, size)["tracemalloc_peak_mib"]
    finally:
        gc.enable()
        gc.collect()
    array = size * 8 / MIB
    return variant.live_array_floor_mib(size, depth, iters, workload_name=workload) / array, (
        peak / array
    )


# Names


def test_every_variant_of_every_workload_has_one_name_that_parses_back():
    for workload in W.WORKLOADS:
        names = [v.name for v in V.matrix(workload)]
        assert len(names) == len(set(names)), workload  # unique within a file
        for v in V.matrix(workload):
            assert V.parse(v.name) == v
            assert V.refused(v, workload) is None


def test_the_classic_matrix_measures_freeing_and_the_deep_chain_every_design():
    classic = {v.name for v in V.DEFAULT_MATRIX}
    assert {"weak-backward-free", "strong-backward-free"} <= classic
    assert not any(V.parse(n).checkpoints for n in classic)
    deep = [v.name for v in V.matrix("deep-chain")]
    designs = ("", "-free", "-checkpoint", "-checkpoint-free")
    assert {f"{g}-backward{d}" for g in V.OURS for d in designs} <= set(deep)
    assert deep[0] == "numpy"  # the floor: numpy's chain of np.tanh
    assert {"torch-backward", "torch-backward-checkpoint"} <= set(deep)
    assert "torch-backward-free" not in V.BY_NAME  # PyTorch's backward frees already


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        ("--impl weak --mode backward --design free", "weak-backward-free"),
        ("--impl strong --mode backward --design free", "strong-backward-free"),
        (
            "--workload deep-chain --impl weak --mode backward --design checkpoint-free",
            "weak-backward-checkpoint-free",
        ),
        ("--workload deep-chain --variant strong-backward-checkpoint", None),
    ],
)
def test_a_design_crosses_to_the_child_as_one_name(argv, name):
    argv = argv.split()
    args = loop.parse_args(argv)
    name = name or argv[-1]
    assert args.variant.name == name
    settings = Settings(workload=args.workload, depth=args.depth, iters=args.iters)
    cmd = runner.loop_command(args.variant, settings)
    assert cmd[cmd.index("--variant") + 1] == name
    assert loop.parse_args(cmd[2:]).variant == args.variant


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--variant", "weak-backward-checkpoint"], "the classic workload measures designs free"),
        (["--impl", "weak", "--mode", "backprop", "--design", "free"], "has no design free"),
        (["--impl", "torch", "--mode", "backward", "--design", "free"], "it has: checkpoint"),
        (["--variant", "weak-backward-free", "--design", "free"], "leave out --impl, --mode"),
        (["--workload", "deep-chain", "--variant", "weak-backprop"], "measures mode backward"),
    ],
)
def test_a_design_a_workload_does_not_measure_is_refused_with_what_it_does(argv, message, capsys):
    if "torch" in argv and V.parse("torch-backward").missing():
        pytest.skip("torch is not installed")
    with pytest.raises(SystemExit) as stop:
        loop.parse_args(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_only_says_which_workload_measures_a_variant():
    with pytest.raises(ValueError, match="weak-backward-checkpoint: --workload deep-chain"):
        V.select(["weak-backward-checkpoint"])
    assert [v.name for v in V.select(["free"])] == ["strong-backward-free", "weak-backward-free"]


def _engine(backward):
    return engines.Engine(types.SimpleNamespace(backward=backward), "test", "user")


def test_an_engine_has_the_designs_its_file_declares():
    assert V.parse("weak-backward").engine.designs == ("checkpoint", "free")
    assert engines.builtin()["torch"].designs == ("checkpoint",)
    assert _engine(lambda y, retain_graph=True: None).designs == ("free",)
    # A backward that takes any keyword says nothing of what it does with retain_graph.
    assert _engine(lambda y, **options: None).designs == ()


# Memory, exact (tracemalloc)


@pytest.mark.parametrize("graph", V.OURS)
def test_freeing_keeps_at_least_one_array_less_in_the_classic_loop(graph):
    floor_plain, plain = traced_arrays(f"{graph}-backward", "classic", 3, 3)
    floor_free, free = traced_arrays(f"{graph}-backward-free", "classic", 3, 3)
    print(f"\n{graph}: backward {plain:.2f} arrays, freed {free:.2f}")
    assert floor_plain <= plain and floor_free <= free
    assert free <= plain - 1
    # The previous y keeps its own array alone: the chain and x's grad (4 arrays) go.
    assert plain - free >= 4


# 9: segments of 3 and a last one of 3; 10: segments of 3 and a last one of 1.
@pytest.mark.parametrize(("depth", "iters"), [(9, 1), (9, 2), (10, 2)])
@pytest.mark.parametrize("name", [v.name for v in V.matrix("deep-chain", peers=False)])
def test_the_deep_chains_floor_is_what_its_loop_holds(name, depth, iters):
    floor, peak = traced_arrays(name, "deep-chain", depth, iters)
    assert floor <= peak <= floor + 0.25, (floor, peak)  # a quarter array: Python's objects


def test_checkpointing_and_freeing_keeps_under_a_quarter_of_the_plain_deep_chain():
    depth = W.DEEP_CHAIN.depth
    _, plain = traced_arrays("weak-backward", "deep-chain", depth, 2, SMALL)
    _, both = traced_arrays("weak-backward-checkpoint-free", "deep-chain", depth, 2, SMALL)
    _, alone = traced_arrays("weak-backward-checkpoint", "deep-chain", depth, 2, SMALL)
    print(
        f"\ndepth {depth}: plain {plain:.1f} arrays, checkpointed {alone:.1f}, and freed {both:.1f}"
    )
    assert both <= 0.25 * plain
    # Checkpointing alone holds about 3 sqrt(n) of the plain run's 2n arrays: under a quarter
    # from about 100 ops on, not at 64.
    _, plain = traced_arrays("weak-backward", "deep-chain", 128, 2, SMALL)
    _, alone = traced_arrays("weak-backward-checkpoint", "deep-chain", 128, 2, SMALL)
    assert alone <= 0.25 * plain


def _recorded(y):
    """The Functions from y back to the leaf, by type name: Tanh, Tanh, Checkpoint..."""
    kinds = []
    while y.creator is not None:
        kinds.append(type(y.creator).__name__)
        y = y.creator.inputs[0]
    return kinds


def test_the_harness_cuts_a_chain_as_autograd_core_does():
    import autograd_core as ag

    variant = V.parse("weak-backward-checkpoint")
    for depth in (1, 2, 9, 10, 16, 64, 100):
        ops = deep_chain.every(depth)
        core = ag.checkpoint_chain(ag.tanh, ag.Variable(np.ones(2)), depth, ops)
        with variant.settings():
            harness = deep_chain.forward(variant, depth)(ag.Variable(np.ones(2)))
        assert _recorded(harness) == _recorded(core), depth
        count, rest = deep_chain.segments(depth, ops)
        assert _recorded(core).count("Checkpoint") == count and count * ops + rest == depth


# Gradients


def _gradient(name, depth, array):
    x, _ = deep_chain.iteration(V.parse(name), depth)(array)
    return x.grad


@pytest.mark.parametrize("graph", V.OURS)
def test_a_checkpointed_or_freed_deep_chain_has_the_plain_gradient_to_the_bit(graph):
    array = np.random.default_rng(1).standard_normal(100)
    for depth in (5, 16):
        plain = _gradient(f"{graph}-backward", depth, array)
        for design in ("free", "checkpoint", "checkpoint-free"):
            got = _gradient(f"{graph}-backward-{design}", depth, array)
            assert np.array_equal(got, plain), (design, depth)  # bit for bit: same ops, same order


# The main job


def test_the_main_job_measures_the_deep_chain_into_a_file_of_its_own_and_shows_the_classic(
    tmp_path, monkeypatch, capsys
):
    from benchmarks import __main__ as cli
    from benchmarks.files import results, store

    measured = []

    def fake(variant, settings, on_progress=None, passes=(), turns=None):
        measured.append((settings.workload, settings.iters, settings.depth, variant.name))
        record = runner._record(variant, settings)
        return {**record, "tracemalloc_peak_mib": 1.0, "seconds_per_iter": 0.001}

    monkeypatch.setattr(runner, "measure", fake)
    shown = []
    monkeypatch.setattr(cli, "_render", lambda paths, *rest, **options: shown.append(paths))
    reports = tmp_path / "reports"
    argv = ["--no-peers", "--no-speed", "--no-sweep", "--iters", "3", "--size", "1000"]
    argv += ["--reports-dir", str(reports), "--results-dir", str(reports / "results")]
    assert cli.main(argv) == 0
    files = store.json_files(reports / "results")
    classic, deep = (results.load(p) for p in files)
    assert shown == [[str(files[0])]]  # the report's sections show the classic loop
    assert [v["name"] for v in classic["variants"]] == [v.name for v in V.DEFAULT_MATRIX]
    assert [v["name"] for v in deep["variants"]] == [v.name for v in V.matrix("deep-chain", False)]
    assert (W.of(classic), W.of(deep)) == ("classic", "deep-chain")
    # The deep chain takes its own iterations and depth, the other options as given.
    assert {m[:3] for m in measured} == {("classic", 3, 3), ("deep-chain", 5, 64)}
    assert deep["settings"]["size"] == 1000
    with pytest.raises(SystemExit) as stop:
        cli.main(["all", "--workload", "deep-chain", "--reports-dir", str(reports)])
    assert stop.value.code == 2 and "leave out --workload" in capsys.readouterr().err


def test_a_sweep_of_depth_runs_the_deep_chain_at_each_depth(tmp_path):
    from benchmarks.files import store
    from benchmarks.sweep import axes as A
    from benchmarks.sweep import files as sweep_files
    from benchmarks.sweep import schedule

    variant = V.parse("weak-backward-free")
    base = Settings(workload="deep-chain", iters=2, size=1000)
    axes = [{"name": "depth", "values": [16, 128]}]
    data = schedule.start(axes, [variant], base, (runner.TRACED,), "python -m benchmarks sweep")
    data = sweep_files.load(store.write_atomic(tmp_path / "sweep.json", data))
    assert data["settings"]["workload"] == "deep-chain" and data["settings"]["depth"] is None
    settings = schedule.settings_of(data)
    for params in A.grid(data["axes"]):
        cmd = runner.loop_command(variant, A.settings_at(settings, params))
        args = loop.parse_args(cmd[2:])
        assert (args.workload, args.depth, args.variant) == ("deep-chain", params["depth"], variant)

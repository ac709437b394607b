"""The runner at small sizes: what it records, and that one variant's failure never
takes the others down."""

import contextlib
import gc
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import __main__ as cli
from benchmarks import engines, loop
from benchmarks.files import results
from benchmarks.measure import matrix, probes, runner
from benchmarks.measure.settings import Settings
from benchmarks.workloads import classic
from benchmarks.workloads import variants as V

SMALL = dict(iters=30, size=20_000, depth=3)
# Long enough for the RSS sampler's readings (runner.MIN_LOOP_SAMPLES, 1 ms apart) with room to
# spare: 30 iterations of 20,000 elements take a few milliseconds.
SAMPLED = dict(SMALL, iters=300)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def weak_backprop():
    return runner.measure(V.parse("weak-backprop"), Settings(**SAMPLED))


def test_variant_record_has_every_field_with_sane_values(weak_backprop):
    r = weak_backprop
    assert (r["name"], r["impl"], r["mode"], r["status"], r["error"]) == (
        "weak-backprop",
        "weak",
        "backprop",
        "ok",
        None,
    )
    assert (r["iters"], r["iters_done"], r["size"], r["depth"]) == (300, 300, 20_000, 3)
    assert 5 < r["baseline_rss_mib"] < r["peak_rss_mib"] < 500
    assert r["peak_increment_mib"] == pytest.approx(r["peak_rss_mib"] - r["baseline_rss_mib"])
    assert r["kernel_peak_rss_mib"] >= r["baseline_rss_mib"]
    # 8 arrays of 20,000 float64 live at once; tracemalloc sees them to the byte.
    floor = 8 * 20_000 * 8 / 2**20
    assert r["live_array_floor_mib"] == pytest.approx(floor)
    assert floor <= r["tracemalloc_peak_mib"] < floor + 1.5
    assert r["seconds"] > 0 and r["seconds_per_iter"] == pytest.approx(r["seconds"] / 300)
    assert r["input_draw_s"] > 0  # the time to make one input, recorded beside it
    gc = r["gc"]
    assert gc["enabled"] is True and len(gc["collections"]) == 3
    assert gc["threshold"][0] > 0 and gc["collected"] >= 0
    tl = r["timeline"]
    assert len(tl["t"]) == len(tl["rss_mib"]) == len(tl["iter"]) > 0
    assert tl["t"] == sorted(tl["t"]) and tl["iter"] == sorted(tl["iter"])
    assert max(tl["rss_mib"]) == r["peak_rss_mib"]
    json.dumps(r, allow_nan=False)  # plain JSON, nothing else


def test_strong_graph_records_gc_collections_with_their_iterations():
    # Collections come every threshold0 (700) container allocations: enough iterations for some.
    r = runner.measure(V.parse("strong-backprop"), Settings(iters=300, size=20_000))
    gc = r["gc"]
    assert gc["collections"][0] > 0 and gc["collected"] > 0
    assert len(gc["events"]) == sum(gc["collections"])
    assert all(0 <= e["iter"] < 300 and e["generation"] in (0, 1, 2) for e in gc["events"])
    # Cycles pile up between collections: well above the weak graph's floor.
    assert r["tracemalloc_peak_mib"] > 2 * r["live_array_floor_mib"]


def test_repeat_keeps_median_min_max_and_tracemalloc_is_exact():
    r = runner.measure(V.parse("weak-no_grad"), Settings(repeat=3, **SMALL))
    spread = r["repeats"]["tracemalloc_peak_mib"]
    assert len(spread["values"]) == 3
    assert spread["min"] == spread["max"] == r["tracemalloc_peak_mib"]
    times = r["repeats"]["seconds"]
    assert times["min"] <= times["median"] <= times["max"]


def test_crashing_variant_is_recorded_and_the_run_goes_on(tmp_path, monkeypatch):
    real = runner.loop_command

    def crash_weak_no_grad(variant, settings, *how):
        if variant.name == "weak-no_grad":
            return [sys.executable, "-c", "raise RuntimeError('boom in the child')"]
        return real(variant, settings, *how)

    monkeypatch.setattr(runner, "loop_command", crash_weak_no_grad)
    chosen = [V.parse("weak-no_grad"), V.parse("numpy")]
    path, data = matrix.run(chosen, Settings(**SMALL), tmp_path, command="test")
    crashed, numpy = data["variants"]
    assert crashed["status"] == "error" and "boom in the child" in crashed["error"]
    assert numpy["status"] == "ok" and numpy["tracemalloc_peak_mib"] > 0
    assert results.load(path)["complete"] is True


def test_mem_limit_kills_the_child_and_records_how_far_it_got():
    # With gc off the strong graph keeps every iteration's 4 arrays (3 MiB): it must pass
    # baseline + 60 MiB long before 1000 iterations.
    settings = Settings(iters=1000, size=100_000, gc_enabled=False, mem_limit_mib=100)
    r = runner.measure(V.parse("strong-backprop"), settings)
    assert r["status"] == "exceeded_limit"
    assert "100 MiB" in r["error"] and f"iteration {r['iters_done']}" in r["error"]
    assert 0 < r["iters_done"] < 1000
    assert r["tracemalloc_peak_mib"] is None  # the traced pass is not run after a kill


def test_missing_peer_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(engines.importlib.util, "find_spec", lambda name: None)
    r = runner.measure(V.parse("torch-backprop"), Settings(**SMALL))
    assert r["status"] == "skipped" and "torch is not installed" in r["error"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--iters", "-1"], "--iters: expected a whole number from 1 to 1000000000, got -1"),
        (["run", "--size", "0"], "--size: expected a whole number from 1 to 1000000000, got 0"),
        (["run", "--only", "bogus"], "--only 'bogus' matches no variant; allowed:"),
        (["run", "--no-gc", "--gc-threshold", "5"], "contradict"),
        (["run", "--mem-limit", "-5"], "expected a number > 0, got -5"),
    ],
)
def test_bad_run_flags_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mode", "no_grad", "--retain-grad"], "--retain-grad needs --mode backward"),
        (["--size", "0"], "--size: expected a whole number from 1 to 1000000000, got 0"),
        (["--iters", "-3"], "--iters: expected a whole number from 1 to 1000000000, got -3"),
        (["--impl", "numpy", "--mode", "backward"], "--impl numpy records no graph"),
        (["--impl", "autograd", "--mode", "no_grad"], "--impl autograd supports --mode backward"),
        (["--impl", "bogus"], "--impl 'bogus': expected one of numpy, strong, weak"),
        (["--input", "zeros"], "--input: invalid choice: 'zeros' (choose from 'copy', 'draw')"),
    ],
)
def test_bad_loop_flags_exit_2_with_a_message(argv, message):
    out = subprocess.run([sys.executable, runner.LOOP, *argv], capture_output=True, text=True)
    assert out.returncode == 2
    assert message in out.stderr


@pytest.mark.parametrize("how", classic.INPUTS)
def test_every_iteration_gets_a_new_array_and_no_tracked_object(how):
    """The loop's input (docs/measurement.md, "Time per iteration"): a new array each time, as
    the book's draw makes, and nothing the cyclic GC counts, so the way it is made cannot move
    a collection of the strong graph."""
    make = classic.fresh_input(1000, seed=3, how=how)
    first, second = make(), make()
    assert first.shape == (1000,) and first.dtype == np.float64
    assert not np.shares_memory(first, second)
    seeded = np.random.default_rng(3).standard_normal(1000)
    assert np.array_equal(first, seeded)  # the seed's draw, either way
    assert np.array_equal(second, seeded) == (how == "copy")  # a draw moves on
    gc.disable()
    try:
        start = gc.get_count()[0]
        for _ in range(100):
            make()
        assert gc.get_count()[0] == start
    finally:
        gc.enable()


def test_an_unknown_input_is_refused_by_name():
    with pytest.raises(ValueError, match="input 'zeros': choose one of copy, draw"):
        classic.fresh_input(10, how="zeros")


def test_a_run_records_how_its_inputs_were_made(tmp_path):
    argv = ["run", "--only", "weak-backprop", "--iters", "3", "--size", "1000", "--no-native"]
    for how in ("draw", "copy"):
        assert cli.main([*argv, "--input", how, "--results-dir", str(tmp_path / how)]) == 0
        (path,) = (tmp_path / how).glob("*.json")
        data = json.loads(path.read_text())
        assert data["settings"]["input"] == how
        assert data["variants"][0]["input_draw_s"] > 0


def test_loop_script_prints_one_summary_line():
    out = subprocess.run(
        [
            sys.executable,
            runner.LOOP,
            "--impl",
            "strong",
            "--iters",
            "5",
            "--size",
            "1000",
            "--tracemalloc",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = out.stdout.splitlines()
    assert line.startswith("strong-backprop: 5 iterations in ")
    assert "peak RSS" in line and "tracemalloc peak" in line


def _child_report(tmp_path, name, *flags, keep_freed=True):
    """The report of a loop.py child at small size; with keep_freed=False the exact pass leaves
    the C allocator's policy as it is (everything else the same)."""
    report = tmp_path / f"{name}-{keep_freed}.json"
    argv = ["--variant", name, "--iters", "300", "--size", "20000", *flags]
    argv += ["--report-file", str(report)]
    code = "import sys; from benchmarks import loop; "
    if not keep_freed:
        code += "import benchmarks.measure.allocator as a; a.keep_freed_memory = lambda: False; "
    code += "loop.main(sys.argv[1:])"
    subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO, check=True, capture_output=True)
    return json.loads(report.read_text())


def test_a_child_runs_numpys_blas_on_one_thread_unless_told_otherwise(tmp_path, monkeypatch):
    # docs/measurement.md, "One variant, fresh processes": OpenBLAS's threads spin at import,
    # taking CPU from the pass beside; a limit the user set is kept.
    for name in probes.THREAD_LIMITS:
        monkeypatch.delenv(name, raising=False)
    limits = _child_report(tmp_path, "numpy")["extra"]["thread_limits"]
    assert limits == dict.fromkeys(probes.THREAD_LIMITS, "1")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    limits = _child_report(tmp_path, "numpy", "--tracemalloc")["extra"]["thread_limits"]
    assert limits["OPENBLAS_NUM_THREADS"] == "2" and limits["OMP_NUM_THREADS"] == "1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_exact_passes_keep_freed_memory_and_count_the_same(tmp_path):
    # docs/measurement.md, "What the exact passes keep": the untraced pass, whose RSS is the
    # figure, keeps the allocator's own policy; the traced pass keeps what is freed, and counts
    # the same bytes and collections as it would without.
    assert _child_report(tmp_path, "weak-backprop")["keeps_freed_memory"] is False
    kept = _child_report(tmp_path, "strong-backprop", "--tracemalloc")
    plain = _child_report(tmp_path, "strong-backprop", "--tracemalloc", keep_freed=False)
    assert (kept["keeps_freed_memory"], plain["keeps_freed_memory"]) == (True, False)
    assert kept["gc"]["events"]  # collections to compare
    for key in ("tracemalloc_peak_mib", "live"):
        assert kept[key] == plain[key], key
    assert [(e["iter"], e["collected"]) for e in kept["gc"]["events"]] == [
        (e["iter"], e["collected"]) for e in plain["gc"]["events"]
    ]


def test_what_entering_the_settings_allocates_does_not_move_the_collections(monkeypatch, request):
    # Setting a context variable allocates a number of GC-tracked objects that depends on the
    # variables' addresses. The loop must count gen0 from after that, or the strong graph's
    # collections, and with them its peak, move from one process to the next.
    # threshold0 700 on every interpreter: 3.13's default (2000) needs no collection in 120.
    argv = ["--impl", "strong", "--iters", "120", "--size", "1000", "--tracemalloc"]
    args = loop.parse_args([*argv, "--gc-threshold", "700"])
    # loop.run sets it in this process: put the interpreter's own back afterwards.
    thresholds = loop.gc.get_threshold()
    request.addfinalizer(lambda: loop.gc.set_threshold(*thresholds))
    real_build = loop.build

    def build_allocating(n):
        def build(variant, depth, retain_grad, workload):
            settings, step = real_build(variant, depth, retain_grad, workload)

            @contextlib.contextmanager
            def settings_that_allocate():
                with settings():
                    kept = [[] for _ in range(n)]  # n containers, alive all through the loop
                    yield
                    del kept

            return settings_that_allocate, step

        return build

    seen = []
    # 40: about three iterations' worth of containers. The first run is a warm-up: it also
    # allocates what a process keeps once made (caches, specialised code), as a fresh child does.
    for n in (0, 0, 40):
        monkeypatch.setattr(loop, "build", build_allocating(n))
        figures = loop.run(args)
        seen.append(([e["iter"] for e in figures["gc"]["events"]], figures["tracemalloc_peak_mib"]))
    assert seen[1][0], "the strong graph needed no collection: the test shows nothing"
    assert seen[1] == seen[2]


@pytest.mark.parametrize("peer", ["torch", "dezero", "autograd"])
def test_the_loop_names_a_missing_peer_and_how_to_install_it(monkeypatch, capsys, peer):
    monkeypatch.setitem(sys.modules, peer, None)  # its import fails, as if not installed
    with pytest.raises(SystemExit) as stopped:
        loop.main(["--impl", peer, "--mode", V.modes_of(peer)[0], "--iters", "1"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert f"error: {peer} is not installed (pip install -e '.[peers]')" in err
    assert "Traceback" not in err


def help_of(capsys, *argv):
    with pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_the_help_says_what_each_command_does_with_its_defaults(capsys):
    assert "the default sweep of gc threshold0" in help_of(capsys)  # the list of commands
    run = help_of(capsys, "run")
    assert "--reports-dir" not in run  # `run` writes no report
    assert "Measure each variant" in run and "one results file" in run
    for option in ("iterations (default 1000)", "per array (default 100,000)", "(default 0)"):
        assert option in run
    assert "Measure the variants" in help_of(capsys, "sweep")
    report = help_of(capsys, "report")
    assert "REPORTS_DIR/speed/" in report and "under .benchmarks/" in report
    assert "iterations (default 1000)" in " ".join(loop.make_parser().format_help().split())


@pytest.mark.skipif(V.parse("torch-backward").missing() is not None, reason="torch not installed")
def test_a_backward_loop_measures_the_graph_not_the_first_backwards_import():
    # PyTorch's first backward() given a gradient imports sympy and torch.fx: 30 MiB alive,
    # which the engine's warm_up() moves before the loop. Three iterations of 1000 elements
    # then hold their numpy inputs and little else.
    settings = Settings(iters=3, size=1000)
    traced = runner.run_pass(V.parse("torch-backward"), settings, traced=True)
    assert traced.status == "ok", traced.error
    assert traced.report["tracemalloc_peak_mib"] < 1


def test_side_by_side_the_peers_passes_start_first_and_alone_the_matrix_order_holds(monkeypatch):
    # A peer's pass (PyTorch's import takes seconds) started last would leave the other worker
    # idle at the end of the exact phase; the untraced passes keep the order the user sees.
    from benchmarks.measure import schedule

    monkeypatch.setattr(runner, "skipped", lambda variant, settings: None)  # installed or not
    chosen = [V.parse(n) for n in ("numpy", "weak-backprop", "torch-backprop", "strong-backprop")]
    state = matrix._Matrix(chosen, Settings(**SMALL), (runner.UNTRACED, runner.TRACED))
    names = [(chosen[i].name, p) for i, p in state._tasks(schedule.EXACT)]
    assert names == [
        ("torch-backprop", "traced"),
        ("numpy", "traced"),
        ("weak-backprop", "traced"),
        ("strong-backprop", "traced"),
    ]
    alone = [chosen[i].name for i, _ in state._tasks(schedule.ALONE)]
    assert alone == ["numpy", "weak-backprop", "torch-backprop", "strong-backprop"]

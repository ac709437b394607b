"""The native pass (`loop.py --native`, memray) and the flame graph of its peak.

memray's peak is deterministic like tracemalloc's: both count allocations, not pages. Tests that
run the pass skip where memray is not installed; the summary and the drawing need no memray.
"""

import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks import __main__ as cli
from benchmarks.files import results, store
from benchmarks.measure import attribution, peak_stacks, progress, runner
from benchmarks.measure.settings import Settings
from benchmarks.report import flamegraph
from benchmarks.sweep import files as sweep_files
from benchmarks.workloads import variants as V

MIB = 2**20
SIZE = 20_000
ARRAY_MIB = SIZE * 8 / MIB
HINT = "pip install -e '.[native]'"
TINY = ["--iters", "3", "--size", "1000"]
needs_memray = pytest.mark.skipif(
    importlib.util.find_spec("memray") is None,
    reason=f"memray is not installed ({HINT})",
)


def native_pass(name, folder, iters, more=()):
    """The child's report of `loop.py --native` for variant `name`, with the options `more`."""
    capture = folder / f"{name}.bin"
    report = folder / f"{name}.json"
    cmd = runner.loop_command(V.parse(name), Settings(iters=iters, size=SIZE))
    cmd += ["--native", str(capture), *more, "--report-file", str(report)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text())


def run(folder, *argv):
    """`python -m benchmarks run ARGV` in this process: (exit status, the results file or None)."""
    code = cli.main(["run", *argv, "--results-dir", str(folder)])
    files = store.json_files(folder) if folder.exists() else []
    return code, (results.load(files[0]) if files else None)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """Our two graphs through `run` with the native pass: 50 iterations, so the strong graph's
    peak holds 43 chains (its first collection comes at the 43rd)."""
    folder = tmp_path_factory.mktemp("native")
    only = ["--only", "strong-backprop", "weak-backprop", "--native"]
    code, data = run(folder, *only, "--iters", "50", "--size", str(SIZE))
    assert code == 0
    return data


@pytest.fixture(scope="module")
def strong(measured):
    return results.by_name(measured)["strong-backprop"]


@needs_memray
def test_the_run_takes_the_native_pass_and_says_so(measured):
    assert measured["environment"]["native"] == {"enabled": True, "why": None}
    for v in measured["variants"]:
        assert v["native"]["memray"] and v["native"]["allocations"] > 0
        assert "capture_file" not in v["native"]  # gone with the pass's temporary folder


@needs_memray
def test_the_weak_graphs_native_peak_sits_on_the_live_array_floor(measured):
    weak = results.by_name(measured)["weak-backprop"]
    floor = weak["live_array_floor_mib"]
    # On top of the 8 arrays: the graph's Python objects and the frame objects memray's profile
    # hook keeps (7.5 KiB here), far less than an array: one array more would fail.
    print(f"\nweak-backprop: native peak {weak['native_peak_mib']:.4f}, floor {floor:.4f} MiB")
    assert floor <= weak["native_peak_mib"] <= floor + ARRAY_MIB / 4
    assert weak["native"]["peak_stacks"] is None  # kept for the strong graph and --flamegraph


@needs_memray
def test_the_strong_graphs_native_peak_agrees_with_tracemalloc(strong):
    assert strong["native_peak_mib"] == pytest.approx(strong["tracemalloc_peak_mib"], rel=0.03)
    assert strong["gc"]["collections"][0] == 1  # the peak is the one before the collection


@needs_memray
def test_a_sweep_takes_the_native_pass_as_a_pass(tmp_path):
    argv = ["sweep", "gc_threshold=100,700", "--only", "weak-backprop", "--traced-only"]
    argv += ["--native", "--iters", "3", "--size", "1000", "--sweeps-dir", str(tmp_path)]
    assert cli.main(argv) == 0
    data = sweep_files.load(store.json_files(tmp_path)[0])
    assert data["passes"] == ["traced", "native"]
    for point in data["points"]:
        assert set(point["passes"]) == {"traced", "native"}
        assert point["record"]["native_peak_mib"] >= point["record"]["live_array_floor_mib"]


@needs_memray
def test_flamegraph_keeps_a_variants_peak_stacks(tmp_path):
    code, data = run(tmp_path, "--only", "numpy", "--flamegraph", "numpy", *TINY)
    assert code == 0 and data["settings"]["flamegraph"] == ["numpy"]
    (numpy,) = data["variants"]
    summary = numpy["native"]["peak_stacks"]
    assert summary["bytes"] == round(numpy["native_peak_mib"] * MIB)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--flamegraph", "weak-backprop"], "--flamegraph weak-backprop: not measured here;"
         " choose among numpy"),
        (["--flamegraph", "numpy", "--no-native"], "leave out --no-native"),
    ],
)  # fmt: skip
def test_flamegraph_names_a_measured_variant_with_the_native_pass(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        run(tmp_path, "--only", "numpy", *argv, *TINY)
    assert stop.value.code == 2 and message in capsys.readouterr().err


@needs_memray
def test_the_loop_alone_keeps_its_capture_and_the_stacks_unless_told(tmp_path):
    kept = native_pass("weak-backprop", tmp_path, iters=3)
    assert kept["native"]["capture_file"] == "weak-backprop.bin"
    assert (tmp_path / "weak-backprop.bin").is_file()  # for memray's own tools
    assert kept["native"]["peak_stacks"]["bytes"] == round(kept["native_peak_mib"] * MIB)
    (tmp_path / "other").mkdir()
    bare = native_pass("weak-backprop", tmp_path / "other", 3, ["--no-peak-stacks"])
    assert bare["native"]["peak_stacks"] is None
    assert bare["native_peak_mib"] == kept["native_peak_mib"]  # without the native frames too
    assert (kept["native"]["tracker"]["native_traces"], bare["native"]["tracker"]) == (
        True,
        {"trace_python_allocators": True, "native_traces": False},
    )


@pytest.fixture
def no_memray(monkeypatch):
    """memray hidden from this process, as find_spec sees a package that is not installed."""
    monkeypatch.setitem(sys.modules, "memray", None)


def test_without_memray_the_run_measures_the_rest_and_says_why(tmp_path, no_memray):
    code, data = run(tmp_path, "--only", "numpy", *TINY)
    assert code == 0
    assert data["environment"]["native"] == {
        "enabled": False,
        "why": f"memray is not installed ({HINT})",
    }
    (numpy,) = data["variants"]
    assert numpy["status"] == "ok" and numpy["tracemalloc_peak_mib"] > 0
    assert numpy["native_peak_mib"] is None and numpy["native"] is None


def test_without_memray_asking_for_the_native_pass_is_refused_before_measuring(
    tmp_path, no_memray, capsys
):
    code, data = run(tmp_path, "--only", "numpy", "--native", *TINY)
    assert code == 2 and data is None
    assert f"error: --native: memray is not installed ({HINT})" in capsys.readouterr().err


def test_no_native_leaves_it_out_and_says_so(tmp_path):
    code, data = run(tmp_path, "--only", "numpy", "--no-native", *TINY)
    assert code == 0
    assert data["environment"]["native"] == {"enabled": False, "why": "left out (--no-native)"}


def test_a_failed_native_pass_fails_nothing_else(monkeypatch):
    real = runner.loop_command

    def crash_native(variant, settings, traced=False, native=None, peak_stacks=True):
        if native:
            return [sys.executable, "-c", "raise RuntimeError('boom under memray')"]
        return real(variant, settings, traced)

    monkeypatch.setattr(runner, "loop_command", crash_native)
    passes = (*runner.DEFAULT_PASSES, runner.NATIVE)
    record = runner.measure(V.parse("numpy"), Settings(iters=3, size=1000), passes=passes)
    assert record["status"] == "ok" and record["tracemalloc_peak_mib"] > 0
    assert record["native_peak_mib"] is None
    assert "boom under memray" in record["native"]["error"]
    assert "boom under memray" in progress.summary(record)  # said beside the figures


@needs_memray
def test_the_peak_stacks_hold_the_peak_to_the_byte(strong):
    summary = strong["native"]["peak_stacks"]
    assert summary["bytes"] == round(strong["native_peak_mib"] * MIB)
    assert sum(s["bytes"] for s in summary["stacks"]) == summary["bytes"]
    files = [f["file"] for f in summary["frames"] if f["file"]]
    assert "autograd_core/_ops.py" in files
    assert not [f for f in files if Path(f).is_absolute()]  # never a machine's path


@needs_memray
def test_the_flame_graph_of_the_strong_peak_is_svg_with_its_top_frame(strong):
    drawn = flamegraph.svg(strong["native"]["peak_stacks"], "strong-backprop")
    tree = ET.fromstring(drawn)
    texts = [t.text or "" for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("Square.forward (autograd_core/_ops.py:") for t in texts)
    assert "<script" not in drawn and "http" not in drawn.replace(flamegraph.SVG_NS, "")


def test_without_memray_the_native_pass_fails_with_the_install_hint(tmp_path):
    code = (
        "import sys; sys.modules['memray'] = None;"  # what find_spec sees with memray absent
        "from benchmarks import loop; loop.main(sys.argv[1:])"
    )
    argv = ["--iters", "3", "--size", "1000", "--native", str(tmp_path / "c.bin")]
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert out.returncode == 2
    assert HINT in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "c.bin").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--tracemalloc"], "--native runs without tracemalloc"),
        (["--explain", "3"], "--native runs without tracemalloc"),
    ],
)
def test_the_native_pass_refuses_tracemalloc(argv, message, tmp_path, capsys):
    from benchmarks import loop

    with pytest.raises(SystemExit) as stop:
        loop.parse_args([*argv, "--native", str(tmp_path / "c.bin")])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_the_native_pass_never_overwrites_a_capture(tmp_path, capsys):
    from benchmarks import loop

    capture = tmp_path / "c.bin"
    capture.write_bytes(b"kept")
    with pytest.raises(SystemExit):
        loop.parse_args(["--native", str(capture)])
    assert "the file exists" in capsys.readouterr().err and capture.read_bytes() == b"kept"


# --- the summary and the drawing, without memray ---------------------------------------------

FORWARD = ("Square.forward", "autograd_core/_ops.py", 33, "project")
RUN = ("run", "benchmarks/loop.py", 158, "project")


def test_small_frames_merge_into_other_and_the_bytes_add_up():
    alloc = ("default_malloc", None, None, "native")
    stacks = [
        ((RUN, FORWARD, alloc), 900, 9),
        ((RUN, FORWARD), 60, 30),
        ((RUN, ("list.append", "x.py", 1, "python")), 30, 3),
        ((RUN, ("dict.copy", "y.py", 2, "python")), 10, 1),
    ]
    summary = peak_stacks.summarise(stacks, min_share=0.05)
    named = [
        ([summary["frames"][i]["function"] for i in s["frames"]], s["bytes"], s["allocations"])
        for s in summary["stacks"]
    ]
    assert named == [
        (["run", "Square.forward", "default_malloc"], 900, 9),
        (["run", "Square.forward"], 60, 30),
        (["run", "other"], 40, 4),  # 30 and 10 bytes: each under 5% of 1000
    ]
    assert (summary["bytes"], summary["allocations"]) == (1000, 43)
    json.dumps(summary, allow_nan=False)


def test_a_bad_share_is_refused_by_name():
    with pytest.raises(ValueError, match=r"min_share must be at least 0 and below 1, not 1\.5"):
        peak_stacks.summarise([], min_share=1.5)


@pytest.mark.parametrize(
    "symbol, short",
    [
        ("at::native::square(at::Tensor const&)", "at::native::square"),
        ("c10::alloc_cpu(unsigned long)", "c10::alloc_cpu"),
        (
            "c10::impl::wrap_kernel_functor_unboxed_<c10::impl::detail::Wrap<at::Tensor "
            "(at::Tensor const&)>>::call(c10::OperatorKernel*, at::Tensor const&)",
            "c10::impl::wrap_kernel_functor_unboxed_<…>::call",
        ),
        (
            "at::(anonymous namespace)::wrapper_CPU_mul_Tensor(at::Tensor const&)",
            "at::(anonymous namespace)::wrapper_CPU_mul_Tensor",
        ),
        ("bool operator<(Foo const&, Foo const&)", "bool operator<"),
        ("default_malloc", "default_malloc"),
    ],
)
def test_native_names_lose_their_parameters_and_template_arguments(symbol, short):
    assert peak_stacks.native_frame(symbol, "<unknown>", 0) == (short, None, None, "native")


@pytest.mark.parametrize(
    "symbol, filename",
    [
        ("cfunction_call", "Objects/methodobject.c"),
        ("_PyObject_VectorcallTstate", "./Include/internal/pycore_call.h"),
        ("__libc_start_call_main", "../sysdeps/nptl/libc_start_call_main.h"),
        ("_PyEval_EvalFrameDefault", "<unknown>"),  # an interpreter without debug information
        ("_start", "<unknown>"),
    ],
)
def test_the_interpreters_own_frames_are_left_out(symbol, filename):
    assert peak_stacks.native_frame(symbol, filename, 1) is None


@pytest.mark.parametrize(
    "symbol, filename",
    [
        ("default_malloc", "../numpy/_core/src/multiarray/alloc.c"),  # a library built here
        ("_start_workers", "<unknown>"),
    ],
)
def test_a_librarys_frames_stay(symbol, filename):
    assert peak_stacks.native_frame(symbol, filename, 1) == (symbol, None, None, "native")


def test_python_frames_are_named_from_the_project_or_their_library():
    ops = Path(attribution.__file__).parents[2] / "autograd_core" / "_ops.py"
    # The line of Square.forward's body, wherever the op's source puts it.
    line = ops.read_text().splitlines().index("        return np.square(x, out=_ARRAY)") + 1
    assert peak_stacks.python_frame("forward", str(ops), line)[::3] == ("Square.forward", "project")
    assert peak_stacks.python_frame("f", "<frozen importlib._bootstrap>", 1) is None


def summary_of(*stacks, min_share=0.0):
    return peak_stacks.summarise([(frames, size, 1) for frames, size in stacks], min_share)


def test_a_frame_name_from_the_capture_is_escaped():
    hostile = ("<script>alert('&')</script>", 'a"<b>.py', 7, "python")
    drawn = flamegraph.svg(summary_of(((RUN, hostile), 3 * MIB), ((RUN,), MIB)), "t<&>")
    assert "<script" not in drawn
    tree = ET.fromstring(drawn)  # well-formed: every text escaped
    titles = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}title")]
    assert titles[0] == "t<&>: 4.00 MiB"
    assert any(
        t.startswith("<script>alert('&')</script> (a\"<b>.py:7)\n3.000 MiB (75.0%") for t in titles
    )


def test_frames_are_as_wide_as_their_bytes():
    drawn = flamegraph.svg(summary_of(((RUN, FORWARD), 3 * MIB), ((RUN,), MIB)))
    rects = ET.fromstring(drawn).iter("{http://www.w3.org/2000/svg}rect")
    widths = [float(r.get("width")) for r in rects if r.get("y")]
    assert widths == [flamegraph.WIDTH, flamegraph.WIDTH, flamegraph.WIDTH * 0.75]


@pytest.mark.parametrize(
    "summary, message",
    [
        ({"frames": [], "stacks": [{"frames": [5], "bytes": 1}]}, "stack 0: frame 5 is not in"),
        ({"frames": [], "stacks": [{"frames": [], "bytes": -1}]}, "stack 0: needs 'frames'"),
        ({"frames": [{"file": "x.py"}], "stacks": []}, "frame 0: needs a 'function'"),
        ({"stacks": []}, "needs 'frames' and 'stacks', two lists"),
        ([], "needs 'frames' and 'stacks', two lists"),
    ],
)
def test_a_summary_that_is_not_one_is_refused_by_name(summary, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        flamegraph.svg(summary)


def test_an_empty_peak_draws_an_empty_graph():
    drawn = flamegraph.svg(peak_stacks.summarise([]))
    assert (
        ET.fromstring(drawn).find("{http://www.w3.org/2000/svg}title").text.endswith(": 0.00 MiB")
    )

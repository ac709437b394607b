"""The memory-time trade-off (benchmarks/report/tradeoff.py) on synthetic results: points, the
Pareto front, the sentences computed from the points, and the plot."""

import matplotlib as mpl
import pytest

from benchmarks.report import tradeoff as T
from benchmarks.report.plots import _STYLE


def record(name, seconds, peak, design="", mode="backward", engine="ours", **fields):
    return {
        "name": name,
        "status": "ok",
        "mode": mode,
        "design": design,
        "engine": engine,
        "seconds_per_iter": seconds,
        "tracemalloc_peak_mib": peak,
        **fields,
    }


def results(workload, *records, depth=64, machine="box", started="2026-12-04T10:00:00Z"):
    return {
        "environment": {"machine": machine, "started": started},
        "settings": {"workload": workload, "depth": depth},
        "variants": list(records),
    }


SPLIT = {"forward_s": 0.030, "backward_s": 0.010}  # F/(F+B) = 0.75
DEEP = results(
    "deep-chain",
    record("numpy", 0.010, 3.05, mode="no_grad", engine="numpy"),
    record("weak-backward", 0.040, 102.3, extra=SPLIT),
    record("weak-backward-free", 0.041, 52.7, "free"),
    record("weak-backward-checkpoint", 0.070, 34.4, "checkpoint", extra={"checkpoint_every": 8}),
    record("weak-backward-checkpoint-free", 0.066, 16.0, "checkpoint-free",
           extra={"checkpoint_every": 8}),
    record("torch-backward", 0.020, 4.0, engine="torch"),  # tracemalloc sees its inputs alone
    record("torch-backward-checkpoint", 0.030, 4.0, "checkpoint", engine="torch",
           native_peak_mib=60.0),
    {"name": "mygrad-backward", "status": "skipped", "mode": "backward"},
)  # fmt: skip
CLASSIC = results(
    "classic",
    record("weak-backward", 0.0030, 8.40),
    record("weak-backward-free", 0.0031, 4.59, "free"),
    record("autograd-backward", 0.0050, 4.69, engine="autograd"),
    depth=3,
)


def test_every_measured_variant_is_a_point_and_the_others_say_why():
    found, left = T.points([CLASSIC, DEEP])
    names = [p.name for p in found]
    assert names[:3] == ["weak-backward", "weak-backward-free", "autograd-backward"]
    assert "torch-backward" not in names  # its traced peak counts its numpy inputs alone
    torch = next(p for p in found if p.name == "torch-backward-checkpoint")
    assert (torch.peak, torch.peak_mib, torch.label) == (
        "native",
        60.0,
        "torch-backward-checkpoint (native peak)",
    )
    assert dict(((w, n), why) for w, n, why in left) == {
        ("deep-chain", "torch-backward"): "tracemalloc cannot see its engine's memory, and its"
        " record has no native peak",
        ("deep-chain", "mygrad-backward"): "skipped: no figures",
    }
    assert list(T.by_workload(found)) == ["classic", "deep-chain"]
    assert next(p for p in found if p.name == "weak-backward-checkpoint").plain == "weak-backward"


def test_the_front_holds_the_gradient_variants_no_other_beats_on_both_axes():
    found, _ = T.points([DEEP])
    # numpy is faster and smaller than all, but computes no gradient: not on the front.
    # weak-backward is slower and larger than torch's checkpoints, the checkpoint alone than
    # the checkpoint freed.
    assert [p.name for p in T.front(found)] == [
        "torch-backward-checkpoint",
        "weak-backward-free",
        "weak-backward-checkpoint-free",
    ]
    classic, _ = T.points([CLASSIC])
    assert [p.name for p in T.front(classic)] == ["weak-backward", "weak-backward-free"]


def test_the_sentences_state_ratios_against_the_plain_variant_and_the_model_beside_time():
    found, _ = T.points([CLASSIC, DEEP])
    said = T.sentences(found)
    assert said["classic"][0].startswith("classic: on the front")
    assert "weak-backward-free (4.59 MiB, 3.1 ms)" in said["classic"][0]
    assert "autograd-backward" not in said["classic"][0]  # 4.69 MiB and slower: beaten
    (free,) = [s for s in said["classic"] if s.startswith("weak-backward-free:")]
    assert (
        "0.55x weak-backward's (4.59 MiB against 8.40 MiB), at 1.03x its time per iteration"
        " (two processes' untraced passes)" in free
    )
    (checkpoint,) = [s for s in said["deep-chain"] if s.startswith("weak-backward-checkpoint:")]
    # 7 of 8 segments of 8 ops recomputed: 1 + 56/64 * 0.75 = 1.66
    assert "at 1.75x its time per iteration" in checkpoint and "predicts 1.66x" in checkpoint
    # Where the speed step timed the design side by side, that ratio stands instead.
    timed = {"checkpoint-weak-64": {"name": "checkpoint-weak-64", "status": "ok", "ratio": 1.42}}
    (checkpoint,) = [
        s
        for s in T.sentences(found, timed)["deep-chain"]
        if s.startswith("weak-backward-checkpoint:")
    ]
    assert "at 1.42x its time, timed side by side in one process" in checkpoint
    assert "predicts 1.66x" in checkpoint
    assert "off the front: weak-backward-checkpoint-free is both faster and smaller" in checkpoint
    (torch,) = [s for s in said["deep-chain"] if s.startswith("torch-backward-checkpoint")]
    # No plain torch point to compare with (no native peak): its figures, marked, no ratio.
    assert torch == (
        "torch-backward-checkpoint (native peak): 60.00 MiB (native), 30 ms; torch-backward"
        " gives no point to compare it with."
    )


def test_the_sentence_says_when_the_plain_run_spent_time_collecting_that_the_model_leaves_out():
    strong = results(
        "deep-chain",
        record("strong-backward", 0.050, 358.8, extra=SPLIT, gc={"collections": [4, 0, 0]}),
        record("strong-backward-checkpoint", 0.060, 116.0, "checkpoint",
               extra={"checkpoint_every": 8}, gc={"collections": [1, 0, 0]}),
    )  # fmt: skip
    (line,) = T.sentences(T.points([strong])[0])["deep-chain"][1:]
    assert line.endswith(
        "predicts 1.66x from strong-backward's own forward and backward times; it leaves out the"
        " collector, which ran 4 times in strong-backward's loop and 1 in this one)."
    )


def test_the_model_applies_to_checkpoints_with_recorded_forward_and_backward_times():
    found, _ = T.points([DEEP])
    by_name = {p.name: p for p in found}
    plain = by_name["weak-backward"]
    assert T.predicted_time_ratio(by_name["weak-backward-free"], plain) is None
    assert T.predicted_time_ratio(by_name["weak-backward-checkpoint"], plain) == pytest.approx(
        1 + 56 / 64 * 0.75
    )
    assert T.predicted_time_ratio(by_name["weak-backward-checkpoint"], by_name["numpy"]) is None


def test_the_caption_says_where_and_when_each_workloads_times_were_taken():
    text = T.caption([CLASSIC, DEEP])
    assert text == (
        "Times from one run on one machine: classic: box, 2026-12-04; deep-chain: box, 2026-12-04."
    )


def test_the_plot_draws_one_panel_per_workload_with_its_front():
    found, _ = T.points([CLASSIC, DEEP])
    text = T.caption([CLASSIC, DEEP])
    with mpl.rc_context(_STYLE):
        fig = T.draw(found, text)
    classic, deep = fig.axes
    assert (classic.get_title("left"), deep.get_title("left")) == ("classic", "deep-chain")
    assert deep.get_yscale() == "log"  # 3 to 102 MiB: a log axis reads them
    assert text in [t.get_text() for t in fig.texts]
    (staircase,) = [line for line in deep.lines if line.get_drawstyle() == "steps-post"]
    assert list(staircase.get_xdata()) == pytest.approx([30, 41, 66])  # the front, in ms
    assert T.plot(found, text, narrow=True).startswith(b"\x89PNG")
    assert T.plot([], text) is None


def test_the_chart_shows_the_newest_file_of_each_workload_from_one_environment():
    old_deep = results("deep-chain", started="2026-12-03T10:00:00Z")
    deep = results("deep-chain", started="2026-12-04T10:05:00Z")
    classic = results("classic", started="2026-12-04T10:00:00Z")
    elsewhere = results("classic", machine="other", started="2026-12-04T09:00:00Z")
    files = [("a.json", old_deep), ("b.json", classic), ("c.json", deep), ("d.json", elsewhere)]
    assert T.newest_of_each_workload(files) == [classic, deep]
    assert T.newest_of_each_workload([]) == []


def test_the_page_shows_the_newest_file_of_each_workload_on_one_chart(tmp_path):
    from report_samples import make_results, write

    from benchmarks.report import render

    reports = tmp_path / "reports"
    classic = make_results(("weak-backward", "weak-backward-free"), status={}, iters=20)
    deep = make_results(("weak-backward", "weak-backward-checkpoint"), status={}, iters=5)
    deep["settings"]["workload"] = "deep-chain"
    deep["variants"][1]["design"] = "checkpoint"
    write(reports / "results" / "20261123T120000Z.json", classic)
    write(reports / "results" / "20261123T120100Z.json", deep)
    index = render(reports_dir=reports, repo_root=tmp_path, results=reports / "results" /
                   "20261123T120000Z.json")  # fmt: skip
    html = index.read_text(encoding="utf-8")
    section = html[html.index('<section id="tradeoff"') :]
    section = section[: section.index("</section>")]
    assert 'data-workload="classic"' in section and 'data-workload="deep-chain"' in section
    assert "weak-backward-checkpoint: its peak is" in section
    assert (reports / "tradeoff.png").exists()


def test_a_plain_variant_of_zero_peak_or_time_gives_no_ratio_and_no_error():
    # A results file may hold zeros (a hand-made one, or an engine that allocates nothing).
    zero = results(
        "deep-chain",
        record("weak-backward", 0.0, 0.0),
        record("weak-backward-free", 0.010, 4.59, design="free"),
    )
    (line,) = T.sentences(T.points([zero])[0])["deep-chain"][1:]
    assert line == (
        "weak-backward-free: its peak is 4.59 MiB against 0.00 MiB, weak-backward's, with no"
        " time ratio (weak-backward took no time per iteration); off the front: weak-backward"
        " is both faster and smaller."
    )

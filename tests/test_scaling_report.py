"""The report's Scaling section on a synthetic sweep file (shaped like a real one, never
measured): its curves, slopes, sentences, plots and escaping."""

import pytest
from report_samples import THRESHOLDS, XSS, make_results, synthetic_sweep, write

from benchmarks.files import folders, store
from benchmarks.report import render, scaling, scaling_plots


def test_fit_finds_the_power_of_a_power_law():
    slope, r2, n = scaling.fit([1, 10, 100, 1000], [3 * x**1.5 for x in (1, 10, 100, 1000)])
    assert (round(slope, 9), round(r2, 9), n) == (1.5, 1.0, 4)
    assert scaling.fit([5, 5], [1, 2]) is None  # one distinct x: no slope
    assert scaling.fit([1, 2, 4], [None, 0, 3]) is None  # only one usable point


def test_series_follow_the_axis_and_sentences_state_the_slopes():
    strong, weak = scaling.series(synthetic_sweep(), "gc_threshold")
    assert (strong.variant, strong.x) == ("strong-backprop", THRESHOLDS)
    assert strong.traced == pytest.approx([5, 10, 20, 40])
    assert strong.floor[0] == pytest.approx(8 * 100_000 * 8 / 2**20)
    text = scaling.sentence(strong, "gc_threshold", "traced", "the traced peak")
    assert text.startswith("strong-backprop: the traced peak grows from 5.00 MiB to 40.00 MiB")
    assert "gc_threshold to the power 1.00" in text and "multiplies it by 2.00" in text
    assert f"{40 / strong.floor[-1]:.1f}x the live-array floor" in text
    flat = scaling.sentence(weak, "gc_threshold", "traced", "the traced peak")
    assert flat.startswith("weak-backprop: the traced peak stays at 6.11 MiB over gc_threshold 100")


def test_a_bending_curve_is_said_to_bend():
    data = synthetic_sweep()
    for p, peak in zip(data["points"][::2], [5, 40, 6, 41], strict=True):
        p["record"]["tracemalloc_peak_mib"] = peak
    strong = scaling.series(data, "gc_threshold")[0]
    assert "bend away from a straight line" in scaling.sentence(
        strong, "gc_threshold", "traced", "it"
    )


@pytest.mark.plots  # compares two drawings
def test_a_models_prediction_is_drawn_beside_the_measurement():
    data = synthetic_sweep()
    plain = scaling.series(data, "gc_threshold")
    modelled = scaling.series(
        data, "gc_threshold", predict=lambda params, r: 0.04 * params["gc_threshold"]
    )
    assert plain[0].predicted is None and modelled[0].predicted == pytest.approx([4, 8, 16, 32])
    with_model = scaling_plots.against(modelled, "gc_threshold", ("traced",))
    assert with_model.startswith(b"\x89PNG") and with_model != scaling_plots.against(
        plain, "gc_threshold", ("traced",)
    )


def test_the_page_shows_the_newest_sweep_escaped(tmp_path):
    reports = tmp_path / "reports"
    write(folders.results_dir(reports) / "20261123T120000Z.json", make_results())
    store.write_atomic(folders.sweeps_dir(reports) / "20261123T120000Z.json", synthetic_sweep())
    newest = synthetic_sweep(broken=(800, "strong-backprop"))
    store.write_atomic(folders.sweeps_dir(reports) / "20261124T120000Z.json", newest)
    (reports / "scaling_depth.png").write_bytes(b"stale")
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    start = html.index('<section id="scaling"')
    section = html[start : html.index("</section>", start)]
    assert "20261124T120000Z.json" in section
    assert "gc_threshold to the power 1.00" in section  # from the three points that are ok
    assert "weak-backprop: the traced peak stays at 6.11 MiB" in section
    assert XSS not in html and "&lt;script&gt;" in section
    assert section.count("<tr data-variant=") == 8
    assert (reports / "scaling_gc_threshold.png").read_bytes().startswith(b"\x89PNG")
    assert not (reports / "scaling_depth.png").exists()  # a plot of no sweep shown is gone


def test_the_page_says_how_to_sweep_without_a_sweep_file(tmp_path):
    reports = tmp_path / "reports"
    write(folders.results_dir(reports) / "20261123T120000Z.json", make_results())
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    assert "No sweep in" in html and "python -m benchmarks sweep" in html


def test_the_section_draws_the_gc_models_prediction_each_point_records():
    data = synthetic_sweep()
    recorded = scaling.series(data, "gc_threshold", predict=scaling.recorded_model)
    assert all(s.predicted is None for s in recorded)  # no explanation pass: no dashed line
    for p in data["points"]:
        p["record"]["model_peak_mib"] = 0.05 * p["params"]["gc_threshold"]
    recorded = scaling.series(data, "gc_threshold", predict=scaling.recorded_model)
    assert recorded[0].predicted == pytest.approx([5, 10, 20, 40])


def test_a_flat_series_is_not_said_to_bend():
    data = synthetic_sweep()
    for p in data["points"]:
        p["record"]["tracemalloc_peak_mib"] = 6.11 + 1e-9 * p["params"]["gc_threshold"] ** 2
    text = scaling.sentence(scaling.series(data, "gc_threshold")[0], "gc_threshold", "traced", "it")
    assert "stays at 6.11 MiB" in text and "bend" not in text


def scaling_section(tmp_path, *sweeps):
    """The page's Scaling section with `sweeps` ((file name, sweep data) each) in its folder."""
    reports = tmp_path / "reports"
    write(folders.results_dir(reports) / "20261123T120000Z.json", make_results())
    for name, data in sweeps:
        store.write_atomic(folders.sweeps_dir(reports) / name, data)
    html = render(reports_dir=reports, repo_root=tmp_path).read_text(encoding="utf-8")
    start = html.index('<section id="scaling"')
    return reports, html[start : html.index("</section>", start)]


def traced_only(data):
    data["passes"] = ["traced"]
    for p in data["points"]:
        p["record"].update(kernel_peak_rss_mib=None, peak_rss_mib=None, seconds_per_iter=None)
        del p["passes"]["untraced"]
    return data


def test_a_traced_only_sweeps_caption_speaks_of_the_traced_peak_alone(tmp_path):
    _, section = scaling_section(
        tmp_path, ("20261123T120000Z.json", traced_only(synthetic_sweep()))
    )
    caption = section[section.index("<figcaption") : section.index("</figcaption>")]
    assert "tracemalloc peak" in caption and "kernel peak RSS (the whole" not in caption
    assert "traced pass only: no kernel peak" in caption
    assert "this sweep took no untraced pass" in section
    _, section = scaling_section(tmp_path, ("20261123T120000Z.json", synthetic_sweep()))
    assert "and kernel peak RSS (the whole process" in section


def test_a_newer_sweep_of_other_axes_does_not_hide_the_threshold_sweep(tmp_path):
    threshold = synthetic_sweep()
    size = synthetic_sweep()
    size["axes"] = [{"name": "size", "values": THRESHOLDS}]
    for p in size["points"]:
        p["params"] = {"size": p["params"].pop("gc_threshold")}
    older = synthetic_sweep()  # the same axes as the newest threshold sweep: not shown
    reports, section = scaling_section(
        tmp_path,
        ("20261121T120000Z.json", older),
        ("20261122T120000Z.json", threshold),
        ("20261123T120000Z.json", size),
    )
    assert section.index("20261123T120000Z.json") < section.index("20261122T120000Z.json")
    assert "20261121T120000Z.json" not in section
    assert section.count('class="scaling-table"') == 2
    for plot in ("scaling_size.png", "scaling_size_time.png", "scaling_gc_threshold.png"):
        assert (reports / plot).read_bytes().startswith(b"\x89PNG")

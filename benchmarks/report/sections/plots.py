"""The plots of every variant: peak RSS beside the exact peaks, and RSS over iterations and
over wall time, each also written beside the page as a PNG."""

from ... import figures as F
from .. import bars, plots
from ..page import capital
from ..section import Section

PLOTS = {  # file beside index.html -> (title, how to read it, drawing function)
    "peak_mib.png": (
        "Peak memory per variant",
        f"Left, {F.PEAK_RSS.title}: pale, the RSS after imports; coloured, what the loop added;"
        f" black tick, the least the loop could peak at (baseline + the arrays it must hold at"
        f" once); hatched, stopped at the memory limit. Right, the exact peaks of the loop alone:"
        f" the {F.TRACED_PEAK.title} (filled: {F.TRACED_PEAK.doc}) and the {F.NATIVE_PEAK.title}"
        f" (outlined: {F.NATIVE_PEAK.doc}).",
        bars.peak_bars,
    ),
    "rss_over_iterations.png": (
        "RSS over iterations",
        "Each sample's RSS against the iteration the loop had reached. Markers: garbage"
        " collections, at the iteration they ran (circles gen0, triangles gen1, diamonds gen2).",
        plots.rss_over_iterations,
    ),
    "rss_over_time.png": (
        "RSS over wall time",
        "From each variant's process start, imports included; a cross marks a variant stopped"
        " at the memory limit.",
        plots.rss_over_time,
    ),
}


def build(inputs):
    figures, files = [], {}
    for filename, (title, caption, draw) in PLOTS.items():
        png = files[filename] = draw(inputs.data)  # None: no data now; an old plot would mislead
        if png:
            narrow = draw(inputs.data, narrow=True)  # embedded only: phones get their own drawing
            figures.append(
                {"title": title, "caption": caption, "file": filename, "png": png, "narrow": narrow}
            )
    return Section("plots", "Plots", _summary(inputs.data, figures), {"figures": figures}, files)


def _summary(data, figures):
    peaks = [
        (v[F.PEAK_RSS.name], v["name"])
        for v in bars.shown(data)
        if isinstance(v.get(F.PEAK_RSS.name), int | float)
    ]
    if not peaks:
        return "No variant recorded a figure to plot."
    (low, first), (high, last) = min(peaks), max(peaks)
    said = f"{capital(F.PEAK_RSS.title)} from {F.text(F.PEAK_RSS, low)} ({first})"
    said += f" to {F.text(F.PEAK_RSS, high)} ({last})" if last != first else ""
    return f"{said}; {len(figures)} plots: " + ", ".join(f["title"] for f in figures) + "."

""" "Across environments": the files pooled from several interpreters and machines, one table and
plot per workload (report/across.py); a single file gets a sentence on how to pool others."""

from ...files import environments
from .. import across, across_plot
from ..section import Section


def build(inputs):
    tables, pooled = across.tables(inputs.pool), len(inputs.pool) > 1
    files = {stale.name: None for stale in inputs.reports_dir.glob("across_environments*.png")}
    drawn = []  # the tables of an earlier pool, above, would describe other files
    for n, table in enumerate(tables, start=1):
        filename = f"across_environments{'' if n == 1 else f'_{n}'}.png"
        png = narrow = None
        if pooled:  # a single file's section shows text only
            png = files[filename] = across_plot.peaks(table)
            narrow = png and across_plot.peaks(table, narrow=True)
        drawn.append({"table": table, "file": filename, "png": png, "narrow": narrow})
    values = {
        "across": drawn,
        "across_pool": inputs.pool,
        "across_settings": across.differing_settings(tables),
        "across_figures": across.FIGURES,
        "across_model": across.MODEL,
        "across_modelled": across.MODELLED,
        "across_colour": across_plot.colour,
    }
    return Section("across", "Across environments", _summary(inputs, tables), values, files)


def _summary(inputs, tables):
    labels = dict.fromkeys(environments.label(environments.of(d)) for _, d in inputs.pool)
    if len(inputs.pool) == 1:
        return f"One environment in this report ({next(iter(labels))}); pool others to compare."
    said = f"{len(inputs.pool)} results files from {len(labels)} environments"
    return said + (f", {len(tables)} workloads." if len(tables) > 1 else ".")

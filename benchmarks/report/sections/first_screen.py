"""The first screen: how much more the strong graph holds and why, in a few sentences written
from the figures, beside the picture that shows it (live memory's sawtooth under RSS); what the
report shows and with which interpreter; and, once, the engines it could not measure."""

from .. import absent, because, headline, live_plots
from ..page import workload
from ..section import Section

PICTURE = "strong_vs_weak.png"


def build(inputs):
    data = inputs.data
    png = live_plots.strong_vs_weak(data)
    lead = headline.lead(data)
    measured, failed = absent.user_engines(data)
    return Section(
        id="headline",
        title="What the strong graph holds, and why",
        summary=str(lead.striptags()),
        values={
            "lead": lead,
            "because": because.sentences(data),
            "increments": headline.increments(data),
            "reference": headline.reference(),
            "shown_from": headline.shown_from(inputs.path, data, inputs.pool, inputs.lead),
            "workload": workload(data),
            "picture": png
            and {
                "png": png,
                "narrow": live_plots.strong_vs_weak(data, narrow=True),
                "file": PICTURE,
                "names": " and ".join(
                    v["name"] for v in headline.pair(data) if v.get("status") == "ok"
                ),
            },
            "not_installed": absent.not_installed(data),
            "cannot": absent.cannot(),
            "user_engines": measured,
            "failed_engines": failed,
        },
        files={PICTURE: png},
        folds=False,
    )

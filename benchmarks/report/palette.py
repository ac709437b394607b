"""One colour and line style per variant name, so a variant looks the same in every plot.

Each engine file declares its colours (`COLOUR`): our strong graph is red and our weak graph
blue (darker = more recorded), numpy grey, each peer its own hue. The mode also sets the line
style, for readers who cannot tell the shades apart, and a design (freeing, checkpoints) its own.
"""

import zlib

from .. import engines
from ..workloads.variants import ANY_WORKLOAD

# Engines a results file names that this version does not know (a user's engine, measured
# elsewhere): a stable pick from colours no built-in engine declares.
_OTHERS = ("#c51b7d", "#4d9221", "#b8860b", "#5e3c99", "#e7298a", "#66a61e")
_LINESTYLES = {"backprop": "-", "backward": "--", "no_grad": ":"}
# A design keeps its plain variant's colour (the same engine and graph) and draws its own line:
# dash-dots, denser as it saves more.
_DESIGN_STYLES = {
    "free": (0, (6, 2, 1, 2)),
    "checkpoint": (0, (3, 1, 1, 1)),
    "checkpoint-free": (0, (1, 1)),
}
# Shades for an engine that declares one colour: the mode lightens it (backprop darkest).
_LIGHTER = {"backprop": 0.0, "backward": 0.3, "no_grad": 0.6}


def _mix(colour, white):
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * white):02x}" for c in rgb)


def _declared(variant):
    """The colour the variant's engine declares for its graph kind and mode, or None."""
    declared = variant.engine.colours
    if isinstance(declared, dict) and variant.graph in declared:
        declared = declared[variant.graph]
    if isinstance(declared, dict):
        return declared.get(variant.mode) or next(iter(declared.values()), None)
    if isinstance(declared, str):
        return _mix(declared, _LIGHTER.get(variant.mode, 0.0))
    return None


def colour(name):
    variant = ANY_WORKLOAD.get(name)
    found = _declared(variant) if variant else None
    return found or _OTHERS[zlib.crc32(_engine_of(name).encode()) % len(_OTHERS)]


def _engine_of(name):
    # A name this version does not know keeps its engine's colour in every mode: the part
    # before the mode.
    return name.rsplit("-", 1)[0] if name.endswith(tuple(engines.MODES)) else name


def linestyle(name):
    variant = ANY_WORKLOAD.get(name)
    if variant is not None and variant.engine.role == "reference":
        return "-."
    if variant is not None and variant.design:
        return _DESIGN_STYLES.get(variant.design, "--")
    mode = variant.mode if variant else name.rsplit("-", 1)[-1]
    return _LINESTYLES.get(mode, "-")

"""autograd_core, the project's engine: the strong graph (a Variable <-> Function reference cycle
per op, freed by the cyclic GC) and the weak graph (outputs held by weakref, freed by reference
counting), one code path that differs by one setting. Both designs that save memory: freeing
what each op saved once its backward has run (`backward(retain_graph=False)`), and checkpoints
(`autograd_core.checkpoint`, which `checkpoint_chain` applies segment by segment)."""

import autograd_core as ag

NAME = "ours"
PREFIX = ""  # the project's own variants are strong-backprop, weak-no_grad...
ROLE = "ours"
GRAPHS = {graph: (lambda graph=graph: ag.using_config("graph", graph)) for graph in ag.GRAPHS}
COLOUR = {
    "strong": {"backprop": "#b2182b", "backward": "#e34a33", "no_grad": "#f4a582"},
    "weak": {"backprop": "#2166ac", "backward": "#4393c3", "no_grad": "#92c5de"},
}
variable = ag.Variable
square = ag.square
tanh = ag.tanh
no_grad = ag.no_grad
checkpoint = ag.checkpoint


def backward(y, retain_grad=False, retain_graph=True):
    y.backward(retain_grad=retain_grad, retain_graph=retain_graph)


def version():
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("autograd-core")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "source tree"

"""A small define-by-run autograd engine whose graph can be recorded strongly or weakly.

`Config.graph = "strong"` records the book's step-16 graph (a Variable <-> Function reference
cycle per op, freed only by the cyclic GC); `"weak"` (the default) records step 17's (outputs
held by weakref, freed by reference counting).
"""

from ._checkpoint import checkpoint, checkpoint_chain
from ._config import GRAPHS, Config, no_grad, using_config
from ._core import Function, Variable, as_array, as_variable
from ._ops import add, div, exp, mul, neg, pow, square, sub, tanh

__all__ = [
    "GRAPHS",
    "Config",
    "Function",
    "Variable",
    "add",
    "as_array",
    "as_variable",
    "checkpoint",
    "checkpoint_chain",
    "div",
    "exp",
    "mul",
    "neg",
    "no_grad",
    "pow",
    "square",
    "sub",
    "tanh",
    "using_config",
]

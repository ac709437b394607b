"""argparse types for every command here: a bad number names itself and what is allowed."""

import argparse
import math


def _number(kind, text, allowed, ok):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {text}")
    return value


def positive_int(text):
    return _number(int, text, "a whole number >= 1", lambda v: v >= 1)


def positive_float(text):
    return _number(float, text, "a number > 0", lambda v: math.isfinite(v) and v > 0)


def percentage(text):
    return _number(float, text, "a percentage >= 0", lambda v: math.isfinite(v) and v >= 0)

"""Environment: everything the results file recorded of where and how it was measured."""

from ...files import environments
from ..section import Section


def build(inputs):
    env = inputs.data.get("environment") or {}
    said = environments.label(environments.of(inputs.data))
    if env.get("os"):
        said += f" · {env['os']}"
    if env.get("git_commit"):
        said += f" · commit {env['git_commit']}"
    values = {"environment": env, "settings": inputs.data.get("settings") or {}}
    return Section("environment", "Environment", said + ".", values)

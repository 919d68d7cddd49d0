"""Public names of a package imported from their modules on first use (PEP 562).

A page that needs one chart then loads that chart's module only: ``cecore.charts`` lists
the charts of every page, and importing them all at once loads scipy and plotly's subplots
for the home page, which draws one line chart.
"""

from importlib import import_module


def lazy_attributes(namespace, modules):
    """``__getattr__`` and ``__dir__`` for a package's ``namespace`` (its ``globals()``):
    each name in ``modules`` (name -> module path) is imported from its module when first
    asked for (``package.name`` or ``from package import name``), then kept in the
    namespace, so the next access is an ordinary lookup."""

    def __getattr__(name):
        if name in modules:
            value = getattr(import_module(modules[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__

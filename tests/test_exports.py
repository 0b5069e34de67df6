"""Every package's public surface is deliberate: `__all__` is exactly what the package offers (as httpx checks).

A name a package defines or re-exports without listing it, a listed name that does not resolve, and a module whose
`__all__` names something it lacks all fail here.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

PACKAGES = ["foundation", "engine", "jobqueue", "bot", "delivery", "standin", "stylebot"]
# Names a package namespace may hold without exporting them: the lazy machinery and `from __future__` bookkeeping.
IGNORED = {"annotations", "TYPE_CHECKING", "lazy_exports"}


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_package_all_is_exactly_its_public_namespace(package: str) -> None:
    pkg = importlib.import_module(package)
    exported = list(pkg.__all__)
    assert len(set(exported)) == len(exported), f"{package}.__all__ lists a name twice"
    for name in exported:
        assert getattr(pkg, name) is not None, f"{package}.{name} does not resolve"
    public = {
        name
        for name, value in vars(pkg).items()
        if not name.startswith("_") and name not in IGNORED and not isinstance(value, types.ModuleType)
    }
    assert public <= set(exported), f"{package} offers names it does not export: {sorted(public - set(exported))}"


@pytest.mark.parametrize("module", [m for p in PACKAGES for m in _modules(p)])
def test_every_module_declares_all_and_defines_it(module: str) -> None:
    mod = importlib.import_module(module)
    assert hasattr(mod, "__all__"), f"{module} has no __all__"
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it lacks: {missing}"

"""The layout's rules (ARCHITECTURE.md), checked on the source: cecore never imports
streamlit, no module imports another's private names, the explorer pages start without
scikit-learn."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.joinpath("cecore").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"),
                  ROOT / "app.py"])
EXPLORER_PAGES = ("home.py", "loss_curves.py", "softmax.py", "likelihood.py")


def imports(path):
    """(module, name) for every ``from module import name`` and (module, None) for every
    ``import module`` in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
    return found


def is_private(part):
    return part.startswith("_") and not part.startswith("__")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_cross_a_module_boundary(path):
    wrong = []
    for module, name in imports(path):
        # pages/_name.py are the pages' helpers (Streamlit's pages-folder mode lists no file
        # whose name starts with "_"): their own, public names are imported from them
        parts = [] if module.startswith("pages.") else module.split(".")
        if any(map(is_private, parts)) or (name is not None and is_private(name)):
            wrong.append(f"{module}:{name}")
    assert not wrong, wrong


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("cecore").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_cecore_never_imports_streamlit(path):
    assert not [m for m, _ in imports(path) if m.split(".")[0] == "streamlit"]


def test_the_explorer_pages_import_no_scikit_learn():
    statements = sorted({ast.unparse(node) for page in EXPLORER_PAGES
                         for node in ast.parse((ROOT / "pages" / page).read_text()).body
                         if isinstance(node, ast.ImportFrom) and node.module
                         and node.module.split(".")[0] == "cecore"})
    assert "from cecore import charts" in statements
    code = "\n".join(["import json, sys", *statements,
                      "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    loaded = json.loads(done.stdout)
    assert "numpy" in loaded and "plotly" in loaded
    assert "sklearn" not in loaded and "streamlit" not in loaded


def test_the_home_page_runs_without_pandas_or_scipy():
    """The first page a visitor sees (app.py, then pages/home.py, as a real script run)
    loads only what it draws with: pandas (with pyarrow) and scipy cost 0.27 s of a start."""
    code = ("import json, sys\n"
            "from streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file('app.py', default_timeout=120).run()\n"
            "assert not at.exception, at.exception\n"
            "assert len(at.get('plotly_chart')) == 1 and at.slider(key='home_p').value == 0.8\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"streamlit", "plotly", "numpy", "cecore"} <= set(loaded)
    assert not {"pandas", "pyarrow", "scipy", "sklearn"} & set(loaded)


def test_the_estimators_are_still_importable_from_cecore():
    import cecore

    assert cecore.LogisticRegressionGD.__name__ == "LogisticRegressionGD"
    assert "SoftmaxRegressionGD" in dir(cecore)
    with pytest.raises(AttributeError):
        cecore.NoSuchName  # noqa: B018


def test_cecore_and_its_estimators_import_no_dask():
    code = ("import json, sys, cecore, cecore.models\n"
            "cecore.LogisticRegressionGD\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    loaded = json.loads(done.stdout)
    assert "sklearn" in loaded
    assert "dask" not in loaded and "distributed" not in loaded

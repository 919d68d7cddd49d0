"""``pip install .`` installs the library cecore alone, with its command."""

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    (path,) = out.glob("cecore-*.whl")
    return path


def test_the_wheel_holds_cecore_only_with_ranges_and_a_command(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith("/METADATA"))
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith("/entry_points.txt"))
    assert {name.split("/")[0] for name in names} == {"cecore", wheel.name.split("-py")[0]
                                                      .replace("-", "-", 1) + ".dist-info"}
    assert "cecore/io/csv_reader.py" in names and "cecore/prepare/pipeline.py" in names
    assert not any(name.startswith(("pages/", "tests/", "benchmarks/")) for name in names)
    assert "cecore = cecore.__main__:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in requires if "extra ==" not in line]
    assert {line.split()[1].split("<")[0].split(">")[0] for line in core} >= {
        "numpy", "scipy", "pandas", "pyarrow", "scikit-learn"}
    assert all(">=" in line for line in core), core  # ranges, not pins
    assert not any("streamlit" in line for line in core)


def test_the_installed_command_trains_outside_the_repository(tmp_path):
    environment = tmp_path / "env"
    venv.create(environment, system_site_packages=True, with_pip=False)
    python = environment / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-build-isolation", str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    table = tmp_path / "data.csv"
    table.write_text("x1,x2,y\n" + "".join(
        f"{i % 7},{(i * 3) % 5},{int(i % 7 + (i * 3) % 5 > 5)}\n" for i in range(80)))
    done = subprocess.run([str(environment / "bin" / "cecore"), "train", str(table), "--target",
                           "y", "--json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["classes"] == ["0", "1"] and result["n_train"] + result["n_test"] == 80
    where = subprocess.run([str(python), "-c", "import cecore; print(cecore.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(environment) in where.stdout  # the installed copy, not the repository's

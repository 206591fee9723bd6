"""environment.yml (conda, Binder) and pyproject.toml must describe the same environment."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch": "torch"}  # conda's name -> PyPI's name
NOT_IN_PYPROJECT = {"python", "pip", "torchvision", "-e ."}  # the interpreter, the installer, fastai's own dependency, the project


def _split(spec):
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec.strip())
    name = m.group(1).lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), m.group(2).replace(" ", "")


def pyproject_specs(text):
    project = tomllib.loads(text)["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_split(r) for r in reqs)


def environment_specs(text):
    specs = {}
    for dep in yaml.safe_load(text)["dependencies"]:
        for item in dep["pip"] if isinstance(dep, dict) else [dep]:
            if item.strip() in NOT_IN_PYPROJECT or _split(item)[0] in NOT_IN_PYPROJECT:
                continue
            name, spec = _split(item)
            specs[name] = spec
    return specs


def drift(pyproject_text, environment_text):
    "Human-readable differences between the two files' requirements (empty when they agree)."
    a, b = pyproject_specs(pyproject_text), environment_specs(environment_text)
    out = [f"{n}: pyproject.toml says {a[n] or 'any version'!r}, environment.yml says "
           f"{b[n] or 'any version' if n in b else 'nothing (missing)'!r}" for n in sorted(a) if a[n] != b.get(n)]
    out += [f"{n}: in environment.yml ({b[n]!r}) but not in pyproject.toml" for n in sorted(set(b) - set(a))]
    return out


def test_environment_yml_matches_pyproject():
    problems = drift((ROOT / "pyproject.toml").read_text(), (ROOT / "environment.yml").read_text())
    assert not problems, ("environment.yml and pyproject.toml have drifted apart; edit environment.yml "
                          "to match:\n  " + "\n  ".join(problems))


def test_drift_is_detected():
    pyproject = '[project]\ndependencies = ["torch>=2.1", "numpy>=1.24"]\n[project.optional-dependencies]\ndev = ["nbval>=0.11"]\n'
    good = "dependencies:\n  - pytorch>=2.1\n  - numpy>=1.24\n  - pip:\n    - nbval>=0.11\n    - -e .\n"
    assert drift(pyproject, good) == []
    assert drift(pyproject, good.replace("numpy>=1.24", "numpy>=1.20")) == [
        "numpy: pyproject.toml says '>=1.24', environment.yml says '>=1.20'"]
    assert "missing" in drift(pyproject, good.replace("  - numpy>=1.24\n", ""))[0]
    assert "not in pyproject" in drift(pyproject, good + "    - extra>=1\n")[0]

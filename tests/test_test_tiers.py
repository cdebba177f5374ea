"""The suite's own rules, which keep CI honest: a test needing a tool the machine lacks is skipped
locally (naming what to install) but fails under CI=true, and a Streamlit deprecation message
becomes a DeprecationWarning of the test that caused it: listed locally, an error under CI=true,
where third-party noise ignored by name in pyproject.toml stays ignored.

Each case runs pytest in a fresh folder with this suite's conftest and settings (plus one ignored
warning)."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow
TESTS = Path(__file__).resolve().parent

PROBES = '''
import warnings

import pytest
from streamlit.testing.v1 import AppTest


def test_meets_third_party_noise_ignored_by_name():
    warnings.warn("probe noise from a library", DeprecationWarning)


@pytest.mark.requires("chromium")
def test_needs_chromium():
    pass


@pytest.mark.browser
def test_in_a_browser():
    pass


def test_calls_a_deprecated_streamlit_api():
    at = AppTest.from_string(
        "import plotly.graph_objects as go\\nimport streamlit as st\\n"
        "st.plotly_chart(go.Figure(), use_container_width=True)\\n").run()
    assert not at.exception
'''


@pytest.fixture
def probes(pytester, monkeypatch):
    settings = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    settings["tool"]["pytest"]["ini_options"]["filterwarnings"].append("ignore:probe noise:DeprecationWarning")
    pytester.makepyprojecttoml(tomli_w.dumps(settings))
    pytester.makepyfile(conftest=(TESTS / "conftest.py").read_text(encoding="utf-8"),
                        browser_support=(TESTS / "browser_support.py").read_text(encoding="utf-8"),
                        test_probes=PROBES)
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")   # this machine's Chromium is "missing"
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)            # set for subprocesses under CI
    return pytester


def test_locally_a_missing_tool_skips_naming_the_install_and_a_deprecation_is_listed(probes, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = probes.runpytest_subprocess("-p", "no:xdist", "-rs", "test_probes.py")
    result.assert_outcomes(passed=2, skipped=2, warnings=1)
    result.stdout.fnmatch_lines(["*DeprecationWarning: Streamlit: *use_container_width*",
                                 "SKIPPED [[]2[]] *needs Debian's chromium: sudo apt-get install chromium"])


def test_under_ci_a_missing_tool_and_a_deprecation_fail(probes, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = probes.runpytest_subprocess("-p", "no:xdist", "test_probes.py")
    # Missing tools fail at setup; the deprecation, raised as the test ends, fails its teardown; the
    # ignored noise passes.
    result.assert_outcomes(passed=2, errors=3)
    result.stdout.fnmatch_lines(["ERROR test_probes.py::test_needs_chromium - Failed: needs Debian's chromium*"
                                 "under CI=true a missing tool is a failure*",
                                 "ERROR test_probes.py::test_in_a_browser - Failed: needs Debian's chromium*",
                                 "ERROR test_probes.py::test_calls_a_deprecated_streamlit_api - "
                                 "DeprecationWarning: Streamlit: *use_container_width*"])

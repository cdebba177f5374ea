"""The documentation stays true to the code."""
import re
from pathlib import Path

import pytest

from loaders.settings import SETTINGS_HELP, TARGET_KEYS
from metrics import DATA_RULES, RULES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_client_setting_is_documented_in_the_readme():
    for key, (default, _help) in SETTINGS_HELP.items():
        assert f"`{key}`" in README, key
    for key in TARGET_KEYS:
        assert f"`{key}`" in README, key


def test_readme_gives_the_two_commands():
    assert "\nmake run\n" in README and "\nmake test\n" in README


def test_glossary_rules_are_written_for_people():
    # Each rule is a full sentence, shown as-is on the Glossary page.
    assert all(rule[0].isupper() and rule.endswith(".") for rule in RULES + DATA_RULES)


@pytest.mark.slow
def test_summary_command_prints_the_contract_and_refuses_an_unknown_department(sample_db):
    import json
    import subprocess
    import sys
    db = sample_db
    root = Path(__file__).resolve().parent.parent
    run = lambda *a: subprocess.run([sys.executable, "-m", "metrics", "summary", "--db", str(db), *a],
                                    cwd=root, capture_output=True, text=True, timeout=120)
    ok = run("--client", "globex uk", "--department", "technology", "--from", "2026-07-01", "--to", "2026-09-30",
             "--as-of", "2026-10-01", "--json")
    out = json.loads(ok.stdout)
    assert (out["client"], out["department"], out["from"], out["to"], out["as_of"]) == (
        "Globex UK", "Technology", "2026-07-01", "2026-09-30", "2026-10-01")
    for key, fields in {"time_to_submit": {"n", "median", "mean", "p90", "awaiting_first_submittal"},
                        "interview_conversion": {"submitted", "interviewed", "offered", "hired", "submit_to_interview",
                                                 "interview_to_offer", "offer_to_hire"},
                        "deadline_adherence": {"due", "met", "missed", "rate", "pending", "missed_by_side",
                                               "revised", "revised_in_time"},
                        "time_to_fill": {"n", "median"}, "hm_feedback_days": {"n", "median"}}.items():
        assert fields <= set(out[key]), key
    bad = run("--client", "Globex UK", "--department", "eng", "--json")
    assert bad.returncode == 1 and "Technology" in bad.stderr and not bad.stdout


def test_every_image_the_readme_shows_is_committed():
    root = Path(__file__).resolve().parent.parent
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(images) >= 11
    assert [i for i in images if not (root / i).is_file()] == []

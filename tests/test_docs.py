"""The documentation stays true to the code."""
from pathlib import Path

from loaders.settings import SETTINGS_HELP, TARGET_KEYS
from metrics import RULES

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
    assert all(rule[0].isupper() and rule.endswith(".") for rule in RULES)

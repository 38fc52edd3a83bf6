"""The fixture site builds to exactly the checked-in expected output.

Regenerate on purpose with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review
the diff.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, snapshot

EXPECTED = FIXTURES / "golden-expected"



def test_fixture_site_matches_expected_output(golden_build: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(golden_build, EXPECTED)
    actual, expected = snapshot(golden_build), snapshot(EXPECTED)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    for name, data in expected.items():
        if actual[name] != data:
            diff = difflib.unified_diff(
                data.decode(errors="replace").splitlines(), actual[name].decode(errors="replace").splitlines(),
                f"expected/{name}", f"actual/{name}", lineterm="", n=2,
            )
            raise AssertionError(f"{name} differs from the expected output:\n" + "\n".join(list(diff)[:60]))

"""Every user error has a code: usage errors of the ``auditor`` command (E001), and every
``AuditorError`` class listed in the README's error-code table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor import errors
from auditor.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["audit", "--nope"], "error: [E001] No such option '--nope'."),
        (["audit"], "error: [E001] Missing argument 'INPUT'. (see 'auditor audit --help')"),
        (
            ["audit", "x.csv", "--out", "o", "--workers", "0"],
            "error: [E001] Invalid value for '--workers': 0 is not in the range x>=1.",
        ),
    ],
)
def test_usage_errors_are_coded(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: auditor audit")
    assert message in err


def test_an_exception_no_command_caught_is_reported_without_its_message(capsys, monkeypatch):
    """``main`` is the last guard: type and location only, exit 2, no traceback (typer's
    pretty traceback would print the exception message, which may quote a note)."""
    import auditor.cli as cli

    def boom() -> None:
        raise ValueError("note says: Toradol 60 mg IM given")

    monkeypatch.setattr(cli.out, "print", lambda *a, **k: boom())
    assert main(["version"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (ValueError at test_error_codes.py:")
    assert "Toradol" not in err
    assert "Traceback" not in err


def test_no_arguments_print_the_help(capsys):
    assert main([]) == 2
    assert "Usage: auditor" in capsys.readouterr().out


def _codes() -> set[str]:
    found = set()
    for module in (errors, __import__("auditor.evaluate", fromlist=["x"])):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, errors.AuditorError):
                found.add(value.code)
    return found - {"E000"}


def test_every_error_code_is_in_the_readme_table():
    table = set(re.findall(r"^\| `(E\d{3})` \| (\d+) \|", README.read_text(encoding="utf-8"), re.M))
    listed = {code for code, _ in table}
    assert _codes() | {"E001"} <= listed
    assert {exit_code for _, exit_code in table} == {"2"}

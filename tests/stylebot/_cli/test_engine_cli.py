"""`stylebot engine`: bad arguments and an unusable database end in one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylebot.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lease-seconds", "0"], "must be greater than 0"),
        (["--poll-interval", "soon"], "is not a number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["engine", *args])
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err and err.count("\n") == 1


def test_an_unusable_database_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    url = f"sqlite+aiosqlite:///{blocker / 'sub' / 'stylebot.db'}"
    assert main(["engine", "--db", url, "--burst", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "database" in err[-1]


def test_missing_weights_stop_the_engine_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    missing = tmp_path / "no-such-vgg19.pth"
    assert main(["engine", "--db", url, "--burst", "--device", "cpu", "--weights", str(missing)]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "no-such-vgg19.pth" in last
    assert not (tmp_path / "stylebot.db").exists()  # nothing was touched

"""BIRD's own commit-confirm, driven through a transport that answers like birdc 2.0.12 does.

The answers below were captured from a real BIRD 2.0.12 (``configure timeout 3``, a confirm,
a confirm after the timer ran out, a file with a syntax error); the live test on the lab is in
tests/integration/test_bird_commit_live.py.
"""

from __future__ import annotations

import pytest
from napalm.base.exceptions import CommandErrorException

from netprov.errors import CommitRefused, ConfirmFailed
from netprov.platforms.bird2_commit import commit_confirmed, confirm

READING = "BIRD 2.0.12 ready.\nReading configuration from /etc/bird/bird.conf\n"
SCHEDULED = READING + "Undo scheduled in 3 s\nReconfigured\n"
CONFIRMED = "BIRD 2.0.12 ready.\nReconfiguration confirmed\n"
NOTHING = "BIRD 2.0.12 ready.\nNothing to do\n"
SYNTAX = READING + "bird.conf:1:1 syntax error, unexpected GARBAGE\n"


class FakeBird:
    def __init__(self, *answers: str | Exception) -> None:
        self.answers = list(answers)
        self.files: dict[str, str] = {}
        self.commands: list[str] = []

    def write_file(self, path: str, content: str) -> None:
        self.files[path] = content

    def send_bird_command(self, command: str) -> str:
        self.commands.append(command)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_commit_asks_bird_for_its_own_undo_timer() -> None:
    bird = FakeBird(SCHEDULED)
    commit_confirmed(bird, "/etc/bird/bird.conf", "old", "new", 300, "isp-pe1")
    assert bird.commands == ["configure timeout 300"]
    assert bird.files == {"/etc/bird/bird.conf": "new"}


@pytest.mark.parametrize("answer", [SYNTAX, CommandErrorException(SYNTAX)])
def test_a_refused_config_puts_the_old_file_back_and_names_the_error(answer: str | Exception) -> None:
    bird = FakeBird(answer)
    with pytest.raises(CommitRefused, match=r"isp-pe1 refused the config: bird.conf:1:1 syntax error"):
        commit_confirmed(bird, "/etc/bird/bird.conf", "old", "garbage {", 300, "isp-pe1")
    assert bird.files == {"/etc/bird/bird.conf": "old"}


def test_a_commit_without_a_timer_is_refused() -> None:
    with pytest.raises(CommitRefused, match="revert_in"):
        commit_confirmed(FakeBird(), "/x", "old", "new", 0, "isp-pe1")


def test_confirm() -> None:
    bird = FakeBird(CONFIRMED)
    confirm(bird, "isp-pe1")
    assert bird.commands == ["configure confirm"]


def test_confirm_after_bird_undid_the_change_is_an_error() -> None:
    with pytest.raises(ConfirmFailed, match="isp-pe1 had already undone the commit after 5 s"):
        confirm(FakeBird(NOTHING), "isp-pe1", revert_in=5)

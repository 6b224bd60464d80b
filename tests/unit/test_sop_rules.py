"""Every SOP transition for every role and state: allowed or refused with a reason."""

from __future__ import annotations

import itertools

import pytest

from netprov.domain.sop import DUE_STEP, TERMINAL, TRANSITIONS, Action, Role, State, refusal

ALLOWED = {(a, s, r) for a, t in TRANSITIONS.items() for s in (t.sources or {None}) for r in t.roles}


@pytest.mark.parametrize(
    ("action", "state", "role"),
    list(itertools.product(list(Action), [None, *State], list(Role))),
    ids=lambda v: getattr(v, "value", str(v)),
)
def test_every_transition_for_every_role(action: Action, state: State | None, role: Role) -> None:
    why = refusal(action, state, role)
    t = TRANSITIONS[action]
    expected = role in t.roles and (
        action is Action.SUBMIT or (state is not None and state not in TERMINAL and state in t.sources)
    )
    assert (why is None) == expected, why
    if why is not None:
        assert action.value in why or "does not exist" in why or state is not None


def test_decision_after_step_4() -> None:
    assert TRANSITIONS[Action.REJECT].sources == {State.CHECKED}
    assert TRANSITIONS[Action.ACCEPT].sources == {State.CHECKED}
    assert TRANSITIONS[Action.REJECT].step == 5 and TRANSITIONS[Action.ACCEPT].step == 6


def test_roles_of_the_sop() -> None:
    assert TRANSITIONS[Action.DISPOSE].roles == {Role.KADIS}
    assert TRANSITIONS[Action.ASSIGN].roles == {Role.KABID}
    assert TRANSITIONS[Action.CHECK].roles == {Role.STAFF}
    assert TRANSITIONS[Action.FORWARD].roles == {Role.KABID}
    assert TRANSITIONS[Action.REVIEW].roles == {Role.KADIS}


def test_every_open_state_has_a_due_step() -> None:
    for s in State:
        if s not in TERMINAL:
            assert s in DUE_STEP


def test_wrong_role_message_names_who_may() -> None:
    why = refusal(Action.DISPOSE, State.RECEIVED, Role.STAFF)
    assert why is not None and "kadis" in why and "staff" in why

"""The task's rules as other features use them (`models.task`): opened once per source, who sees and takes it, two
takers at once, who closes it and with what, and erasure."""

from __future__ import annotations

import pytest

from models import Staff, Task, database
from models.data_rights import erase
from models.task import OUTCOME_MAX, TaskError
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER

PERSON = "+6281234567601"


@pytest.fixture
def staff(case_staff) -> dict[str, Staff]:
    Staff.create(phone="+6281200000091", name="Rina Kader", role="cadre", village="Tracap")
    Staff.create(phone="+6281200000092", name="Dewi Kader", role="cadre", village=None)
    by_first_name = {member.name.split()[0]: member for member in Staff.select()}
    assert [by_first_name[name].phone for name in ("Siti", "Ani", "Bu", "Pak")] == [
        ORGANIZER,
        ORGANIZER_OTHER,
        COORDINATOR,
        OFFICIAL,
    ]
    return by_first_name


def test_a_task_opens_once_per_kind_and_source(staff):
    first = Task.open("visit", PERSON, "Tracap", "returnee", "person:1")
    assert first is not None and (first.status, first.holder, first.outcome) == ("open", None, None)
    assert Task.open("visit", PERSON, "Tracap", "returnee", "person:1") is None
    assert Task.open("mentoring", PERSON, "Tracap", "help", "person:1") is not None, "another kind, another task"
    with pytest.raises(ValueError, match="unknown task kind"):
        Task.open("errand", PERSON, None, "help", "x:1")


def test_who_sees_which_tasks(staff):
    tracap = Task.open("visit", PERSON, "Tracap", "returnee", "person:1")
    lamuk = Task.open("visit", "+6281234567602", "Lamuk", "returnee", "person:2")
    seen = {name: sorted(t.id for t in Task.visible_to(member)) for name, member in staff.items()}
    assert seen == {
        "Siti": [tracap.id, lamuk.id],
        "Ani": [tracap.id, lamuk.id],
        "Bu": [tracap.id, lamuk.id],
        "Pak": [],
        "Rina": [tracap.id],
        "Dewi": [],
    }, "organisers and coordinators all; a cadre their village's (none without one); officials none"
    with pytest.raises(TaskError) as refused:
        Task.find_for(staff["Rina"], lamuk.id)
    assert refused.value.reason == "unknown"


def test_two_takers_at_once_one_wins_and_the_other_learns_who(staff):
    task = Task.open("mentoring", PERSON, "Tracap", "help", "enrollment:1")
    seen_by_one, seen_by_other = Task.get_by_id(task.id), Task.get_by_id(task.id)  # both read it open
    assert seen_by_one.take(staff["Siti"]) is True
    with pytest.raises(TaskError) as refused:
        seen_by_other.take(staff["Ani"])
    assert (refused.value.reason, refused.value.holder) == ("held", ORGANIZER)
    assert Task.get_by_id(task.id).holder == ORGANIZER
    with pytest.raises(TaskError) as official:
        Task.get_by_id(task.id).take(staff["Pak"])
    assert official.value.reason == "not_allowed"


def test_who_closes_and_with_what(staff):
    task = Task.open("mentoring", PERSON, "Tracap", "help", "enrollment:1")
    task.take(staff["Siti"])
    for member, outcome, reason in (
        (staff["Siti"], "  \n ", "note_empty"),
        (staff["Ani"], "saya sudah", "not_holder"),
        (staff["Pak"], "selesai", "not_allowed"),
    ):
        with pytest.raises(TaskError) as refused:
            Task.get_by_id(task.id).close(member, outcome)
        assert refused.value.reason == reason
    assert Task.get_by_id(task.id).status == "taken"
    Task.get_by_id(task.id).close(staff["Bu"], "x" * (OUTCOME_MAX + 50))
    closed = Task.get_by_id(task.id)
    assert (closed.status, closed.holder, len(closed.outcome)) == ("done", ORGANIZER, OUTCOME_MAX), (
        "a coordinator closes it; the holder stays who did the work"
    )
    with pytest.raises(TaskError) as again:
        closed.close(staff["Siti"], "lagi")
    assert again.value.reason == "done"


def test_erasure_forgets_the_persons_tasks(staff):
    task = Task.open("mentoring", PERSON, "Tracap", "help", "enrollment:1")
    task.take(staff["Siti"])
    task.close(staff["Siti"], "sudah ditelepon di rumah")
    other = Task.open("mentoring", "+6281234567602", "Lamuk", "help", "enrollment:2")
    with database.atomic():
        assert erase(PERSON) == []
    assert [t.id for t in Task.select()] == [other.id]

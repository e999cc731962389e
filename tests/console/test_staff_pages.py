"""The console's staff and village pages (issue 19 item 1): coordinators only (everyone else 404), the CLI's rules
(`staff add`, `staff remove [--handover]`, `village add`) with the refusals said in the form and nothing changed,
and every change an audit event."""

from __future__ import annotations

import re

import pytest
from flask import g

from models import Case, CaseEvent, Person, Staff, Village, database
from models.audit import AuditEvent
from models.case_terms import Report
from tests.support.browser import PHONE_WIDTH, browser_page, served
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.console_browser import add_village_and_organiser, set_password_by_sms_code, sign_in_browser
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.villages import seed_villages

NEW_PHONE, NEW_E164 = "0812 7777 0001", "+6281277770001"
VILLAGE_HEAD = "+6281200000022"


@pytest.fixture
def staff(case_staff):
    seed_villages("Tracap", "Lamuk")
    Staff.create(phone=VILLAGE_HEAD, name="Pak Kades", role="official", village="Tracap")
    for phone in (ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL, VILLAGE_HEAD):
        give_password(phone)


def signed_in(app, phone: str):
    client = app.test_client()
    g.pop("csrf_token", None)
    assert sign_in(client, phone).status_code == 302
    return client


def post(client, path: str, **form: str):
    """POST a console form as a browser does, with the token its page carries (Flask-WTF's per-request cache of
    the token in `g` is dropped first: the tests' app context outlives requests)."""
    g.pop("csrf_token", None)
    return client.post(path, data={**form, "csrf_token": csrf_token(client, "/console")})


def add_form(**changes: str) -> dict[str, str]:
    form = {"phone": NEW_PHONE, "name": "Dewi", "role": "organizer", "village": "", "agency": "", "language": ""}
    return {**form, **changes}


def audit() -> list[tuple[str, str, str]]:
    return [(e.actor, e.kind, e.target) for e in AuditEvent.select().order_by(AuditEvent.id)]


def held_case(phone: str, key: str) -> Case:
    report = Report(
        reporter_phone="+6281399990000", for_whom="self", category="wages", country="hongkong",
        safe_to_contact=True, safe_phone=None, story="gaji belum dibayar", consent_to_refer=True,
        channel="sms", source_key=key,
    )  # fmt: skip
    with database.atomic():
        case = Case.open(report)[0]
        case.acknowledge(Staff.get(Staff.phone == phone))
    return Case.get_by_id(case.id)


@pytest.mark.parametrize("phone", [ORGANIZER, OFFICIAL, VILLAGE_HEAD])
def test_the_pages_do_not_exist_for_anyone_but_coordinators(app, staff, phone):
    client = signed_in(app, phone)
    member = Staff.get(Staff.phone == ORGANIZER_OTHER)
    for path in ("/console/staff", "/console/staff/new", f"/console/staff/{member.id}", "/console/villages"):
        assert client.get(path).status_code == 404, path
    assert post(client, "/console/staff/new", **add_form()).status_code == 404
    assert post(client, f"/console/staff/{member.id}/remove").status_code == 404
    assert post(client, "/console/villages", name="Kaliwiro").status_code == 404
    assert Staff.get_or_none(Staff.phone == NEW_E164) is None and Staff.get_by_id(member.id).active
    assert Village.names() == ["Tracap", "Lamuk"] and audit() == []
    assert 'href="/console/staff"' not in client.get("/console").get_data(as_text=True), "no menu entry either"


def test_signed_out_the_pages_send_to_the_sign_in(client, staff):
    response = client.get("/console/staff")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_a_coordinator_sees_everyone_active_and_removed(app, staff):
    Staff.update(active=False).where(Staff.phone == ORGANIZER_OTHER).execute()
    client = signed_in(app, COORDINATOR)
    response = client.get("/console/staff")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert 'href="/console/staff" aria-current="page"' in page, "the menu's staff entry"
    for name in ("Siti Pengurus", "Ani Pengurus", "Bu Koordinator", "Pak Disnaker", "Pak Kades"):
        assert name in page
    assert page.index("Pak Kades") < page.index("Ani Pengurus"), "the removed after the active"
    assert "tidak bertugas lagi" in page and "Kepala Desa" in page
    assert "Not saved" not in page and "Staff" in client.get("/console/staff?lang=en").get_data(as_text=True)


def test_a_coordinator_adds_an_organiser_as_staff_add_would(app, staff):
    client = signed_in(app, COORDINATOR)
    response = post(client, "/console/staff/new", **add_form(village="tracap", language="jv", name="  Dewi  "))
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/staff")
    added = Staff.get(Staff.phone == NEW_E164)
    assert (added.name, added.role, added.village, added.agency, added.language, added.active) == (
        "Dewi", "organizer", "Tracap", None, "jv", True,
    )  # fmt: skip
    assert audit() == [(COORDINATOR, "staff_added", NEW_E164)]
    listed = client.get("/console/staff").get_data(as_text=True)
    assert "Pengurus sudah ditambah." in listed and "Dewi" in listed


def test_an_official_gets_disnaker_unless_told_and_a_village_head_no_agency(app, staff):
    client = signed_in(app, COORDINATOR)
    post(client, "/console/staff/new", **add_form(role="official", name="Pak Dinas"))
    post(client, "/console/staff/new", **add_form(phone="081277770002", role="official", agency="bp3mi"))
    post(client, "/console/staff/new", **add_form(phone="081277770003", role="official", village="Lamuk"))
    stored = [
        (s.agency, s.village) for s in Staff.select().where(Staff.phone.startswith("+62812777")).order_by(Staff.phone)
    ]
    assert stored == [("disnaker", None), ("bp3mi", None), (None, "Lamuk")]


BAD_FORMS = [
    ({"phone": "MPESA"}, "phone", "Ini bukan nomor HP", "--phone"),
    ({"name": "  "}, "name", "Tulis namanya", "--name"),
    ({"name": "x" * 61}, "name", "paling banyak 60 huruf", "--name"),
    ({"role": "boss"}, "role", "Pilih salah satu peran", "--role"),
    ({"village": "Tracapp"}, "village", "Desa yang ada: Tracap, Lamuk", "--village"),
    ({"agency": "bp3mi"}, "agency", "Dinas hanya untuk petugas dinas", "--agency"),
    ({"role": "official", "village": "Tracap", "agency": "kbri"}, "agency", "Kepala desa punya desa", "--agency"),
    ({"role": "official", "agency": "fbi"}, "agency", "Dinas hanya", "--agency"),
    ({"language": "fr"}, "language", "Pilih salah satu bahasa", "--language"),
]


@pytest.mark.parametrize("changes,field,says,option", BAD_FORMS, ids=[f"{c}" for c, *_ in BAD_FORMS])
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing_as_the_cli_refuses_it(
    app, runner, staff, changes, field, says, option
):
    client = signed_in(app, COORDINATOR)
    before = Staff.select().count()
    response = post(client, "/console/staff/new", **add_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and says in page, page
    assert f'id="{field}-error"' in page and "Belum disimpan. Periksa isian yang ditandai." in page
    assert Staff.select().count() == before and audit() == []

    form = add_form(**changes)
    args = ["staff", "add", "--phone", form["phone"], "--name", form["name"], "--role", form["role"]]
    args += [arg for name in ("village", "agency", "language") if form[name] for arg in (f"--{name}", form[name])]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and option in result.output, "the CLI refuses the same"
    assert Staff.select().count() == before


def test_the_refusal_reads_in_english_with_lang_en(app, staff):
    client = signed_in(app, COORDINATOR)
    client.get("/console/staff?lang=en")
    page = post(client, "/console/staff/new", **add_form(village="Nowhere")).get_data(as_text=True)
    assert "Not saved. Check the marked fields." in page and "That village is not on the village list" in page


def test_add_refuses_a_number_already_on_the_staff(app, staff):
    client = signed_in(app, COORDINATOR)
    response = post(client, "/console/staff/new", **add_form(phone=ORGANIZER_OTHER, name="Someone Else"))
    assert response.status_code == 400 and "sudah ada di daftar pengurus (Ani Pengurus)" in response.get_data(True)
    assert Staff.get(Staff.phone == ORGANIZER_OTHER).name == "Ani Pengurus" and audit() == []


def test_a_coordinator_changes_a_member_and_saving_a_removed_one_makes_them_active(app, staff):
    member = Staff.get(Staff.phone == ORGANIZER_OTHER)
    Staff.update(active=False, language="jv").where(Staff.id == member.id).execute()
    client = signed_in(app, COORDINATOR)
    page = client.get(f"/console/staff/{member.id}").get_data(as_text=True)
    assert 'value="Ani Pengurus"' in page and "Bila Anda menyimpan datanya, ia bertugas lagi." in page
    assert "Hentikan tugasnya" not in page, "someone removed has nothing to remove"
    form = add_form(name="Ani Lestari", role="official", village="Lamuk", phone="ignored")
    assert post(client, f"/console/staff/{member.id}", **form).status_code == 303
    changed = Staff.get_by_id(member.id)
    assert (changed.phone, changed.name, changed.role, changed.village, changed.language, changed.active) == (
        ORGANIZER_OTHER, "Ani Lestari", "official", "Lamuk", "jv", True,
    ), "the number stays; no language given keeps theirs, as staff add does"  # fmt: skip
    assert audit() == [(COORDINATOR, "staff_changed", ORGANIZER_OTHER)]
    refused = post(client, f"/console/staff/{member.id}", **add_form(name="", role="organizer"))
    assert refused.status_code == 400 and Staff.get_by_id(member.id).name == "Ani Lestari"
    assert client.get("/console/staff/99999").status_code == 404


def test_removing_someone_who_holds_cases_is_refused_until_handed_over(app, staff, drain):
    member = Staff.get(Staff.phone == ORGANIZER)
    first, second = held_case(ORGANIZER, "one"), held_case(ORGANIZER, "two")
    client = signed_in(app, COORDINATOR)
    organiser = signed_in(app, ORGANIZER)
    page = client.get(f"/console/staff/{member.id}").get_data(as_text=True)
    assert f"Ia memegang 2 kasus terbuka: {first.display_code}, {second.display_code}." in page

    refused = post(client, f"/console/staff/{member.id}/remove")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Belum dihentikan: ia masih memegang 2 kasus terbuka" in body
    assert first.display_code in body and Staff.get_by_id(member.id).active and audit() == []

    done = post(client, f"/console/staff/{member.id}/remove", handover="1")
    assert done.status_code == 303
    assert not Staff.get_by_id(member.id).active
    for case in (first, second):
        case = Case.get_by_id(case.id)
        event = case.events.order_by(CaseEvent.id.desc()).get()
        assert case.assignee == COORDINATOR and (event.kind, event.channel) == ("handover", "console")
    [told] = outbox(COORDINATOR, "alert")
    assert first.display_code in told.text and "Siti Pengurus" in told.text
    assert audit() == [(COORDINATOR, "staff_removed", ORGANIZER)]
    assert "Kasusnya sudah dialihkan ke koordinator" in client.get("/console/staff").get_data(as_text=True)
    assert organiser.get("/console").status_code == 302, "their console session ends"


def test_removing_with_no_other_coordinator_to_take_the_cases_is_refused(app, staff):
    held_case(COORDINATOR, "mine")
    client = signed_in(app, COORDINATOR)
    me = Staff.get(Staff.phone == COORDINATOR)
    refused = post(client, f"/console/staff/{me.id}/remove", handover="1")
    assert refused.status_code == 400 and "tidak ada koordinator lain" in refused.get_data(as_text=True)
    assert Staff.get_by_id(me.id).active and audit() == []


def test_removing_someone_without_cases_and_the_missing_role_warning(app, staff):
    client = signed_in(app, COORDINATOR)
    for phone in (ORGANIZER, ORGANIZER_OTHER):
        assert post(client, f"/console/staff/{Staff.get(Staff.phone == phone).id}/remove").status_code == 303
    page = client.get("/console/staff").get_data(as_text=True)
    assert "Belum ada pengurus yang bertugas" in page, "no organiser left: said as staff list warns"
    assert [kind for _, kind, _ in audit()] == ["staff_removed", "staff_removed"]


def test_villages_are_listed_and_added_as_village_add_does(app, staff):
    Person.create(phone="+6281311112222", name="Siti", village="Lamuk", status="calon", language="id")
    client = signed_in(app, COORDINATOR)
    page = client.get("/console/villages").get_data(as_text=True)
    assert page.index("Tracap") < page.index("Lamuk") and "<td>1</td>" in page
    added = post(client, "/console/villages", name=" Désa  “Baru” ")
    assert added.status_code == 303
    assert Village.names() == ["Tracap", "Lamuk", 'Désa "Baru"'], "curly quotes folded for basic phones; at the end"
    again = post(client, "/console/villages", name="TRACAP")
    assert again.status_code == 303 and Village.names() == ["Tracap", "Lamuk", 'Désa "Baru"']
    assert "Desa itu sudah ada di daftar" in client.get("/console/villages").get_data(as_text=True)
    assert audit() == [(COORDINATOR, "village_added", 'Désa "Baru"')], "only what was added"


@pytest.mark.parametrize("name", ["", "🙂", "x" * 31, "123"])
def test_a_village_name_a_basic_phone_cannot_show_is_refused(app, staff, name):
    client = signed_in(app, COORDINATOR)
    refused = post(client, "/console/villages", name=name)
    assert refused.status_code == 400 and "Nama desa paling banyak 30 huruf" in refused.get_data(as_text=True)
    assert Village.names() == ["Tracap", "Lamuk"] and audit() == []


def test_the_command_lines_staff_and_village_changes_are_audit_events_too(runner, staff):
    for args in (
        ["village", "add", "Kaliwiro", "tracap"],
        ["staff", "add", "--phone", NEW_PHONE, "--name", "Dewi", "--role", "organizer"],
        ["staff", "add", "--phone", NEW_PHONE, "--name", "Dewi L", "--role", "organizer"],
        ["staff", "remove", "--phone", NEW_PHONE],
        ["staff", "remove", "--phone", NEW_PHONE],
    ):
        assert runner.invoke(args=args).exit_code == 0
    assert audit() == [
        ("cli", "village_added", "Kaliwiro"),
        ("cli", "staff_added", NEW_E164),
        ("cli", "staff_changed", NEW_E164),
        ("cli", "staff_removed", NEW_E164),
    ], "a village already there and a second removal change nothing"


# In the browser ----------------------------------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_a_coordinator_adds_a_village_and_an_organiser_who_then_signs_in(app, live_server, staff):
    from playwright.sync_api import expect

    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"
    with browser_page(live_server, PHONE_WIDTH) as page:
        add_village_and_organiser(page, live_server, COORDINATOR, "Kaliwiro", NEW_PHONE, "Dewi Lestari")
        expect(page).to_have_url(re.compile(r"/console/login"))
        set_password_by_sms_code(page, live_server, NEW_E164, "kebun-salak-kaliwiro")
        sign_in_browser(page, live_server, NEW_E164, "kebun-salak-kaliwiro")
        expect(page.get_by_text("Dewi Lestari").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, "nothing wider than the screen"
        assert page.request.get(f"{live_server}/console/staff", max_redirects=0).status == 404, "not a coordinator"
    added = Staff.get(Staff.phone == NEW_E164)
    assert (added.name, added.role, added.village, added.active) == ("Dewi Lestari", "organizer", "Kaliwiro", True)
    assert Village.names() == ["Tracap", "Lamuk", "Kaliwiro"]
    assert audit() == [(COORDINATOR, "village_added", "Kaliwiro"), (COORDINATOR, "staff_added", NEW_E164)]

"""The console's pages within each role's scope: today, cases, a case (and its actions), people, a person.

Out of scope is 404 (never 403); opening a case's or a person's page is an audit event the case page lists; the
desk's actions from the console are the SMS desk's (same events with channel "console", same SMS)."""

from __future__ import annotations

import itertools
import re

import pytest
from flask import g

from models import Case, CaseEvent, Message, Person, Staff
from models.audit import AuditEvent
from models.case_terms import Report
from models.person import CONSENT_VERSION
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER

REPORTER, UNSAFE_REPORTER = "+6281300000001", "+6281300000002"
BP3MI, VILLAGE_HEAD = "+6281200000021", "+6281200000022"
_sources = itertools.count(1)


def open_case(
    phone: str = REPORTER, *, village: str = "Tracap", safe: bool = True, consent: bool = True, category: str = "wages"
) -> Case:
    case, _ = Case.open(
        Report(
            reporter_phone=phone,
            for_whom="self",
            category=category,
            country="hongkong",
            safe_to_contact=safe,
            safe_phone=None,
            story="Gaji tiga bulan belum dibayar majikan",
            consent_to_refer=consent,
            channel="sms",
            source_key=f"console-{next(_sources)}",
        )
    )
    Case.update(village=village).where(Case.id == case.id).execute()
    return Case.get_by_id(case.id)


@pytest.fixture
def staff(case_staff):
    Staff.create(phone=BP3MI, name="Bu Rina", role="official", agency="bp3mi")
    Staff.create(phone=VILLAGE_HEAD, name="Pak Kades", role="official", village="Tracap")
    Person.create(
        phone=REPORTER, name="Siti Aminah", village="Tracap", status="aktif", consent_at=Case.created_at.default(),
        consent_version=CONSENT_VERSION, language="id",
    )  # fmt: skip
    for phone in (ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL, BP3MI, VILLAGE_HEAD):
        give_password(phone)


def signed_in(app, phone: str):
    client = app.test_client()
    g.pop("csrf_token", None)
    assert sign_in(client, phone).status_code == 302
    return client


def post(client, path: str, **form: str):
    """POST a console form as a browser does, with the token its page carries. (The tests' app context outlives
    requests, so Flask-WTF's per-request cache of the token in `g` is dropped first.)"""
    g.pop("csrf_token", None)
    return client.post(path, data={**form, "csrf_token": csrf_token(client, "/console")})


def test_an_organiser_sees_today_cases_a_case_and_leaves_a_trace(app, staff):
    case, unsafe = open_case(), open_case(UNSAFE_REPORTER, safe=False, category="violence")
    client = signed_in(app, ORGANIZER)
    today = client.get("/console")
    assert today.status_code == 200 and "no-store" in today.headers["Cache-Control"]
    page = today.get_data(as_text=True)
    assert case.display_code in page and unsafe.display_code in page
    assert "JANGAN SMS" in page, "an unsafe case says so in the list"
    listed = client.get("/console/cases?category=violence").get_data(as_text=True)
    assert unsafe.display_code in listed and case.display_code not in listed
    opened = client.get(f"/console/cases/{unsafe.code.lower()}")
    assert opened.status_code == 200 and "no-store" in opened.headers["Cache-Control"]
    body = opened.get_data(as_text=True)
    assert "JANGAN SMS NOMOR INI" in body and "Gaji tiga bulan" in body
    assert len(body.encode()) < 100_000
    seen = AuditEvent.of_target("case_opened", unsafe.code)
    assert [(event.actor, event.kind) for event in seen] == [(ORGANIZER, "case_opened")]
    assert "Siti Pengurus" in client.get(f"/console/cases/{unsafe.display_code}").get_data(as_text=True)
    english = client.get(f"/console/cases/{unsafe.code}?lang=en").get_data(as_text=True)
    assert "DO NOT SMS THIS NUMBER" in english


def test_the_desk_from_the_console_is_the_sms_desk(app, staff, drain):
    case = open_case()
    client = signed_in(app, ORGANIZER)
    path = f"/console/cases/{case.display_code}"
    assert post(client, f"{path}/take").status_code == 303
    assert Case.get_by_id(case.id).status == "acknowledged"
    assert outbox(REPORTER, "case_news"), "the safe reporter hears the news, as by SMS"
    assert post(client, f"{path}/note", note="Sudah telepon keluarga").status_code == 303
    assert post(client, f"{path}/reply", note="Kami sudah terima pesan Anda").status_code == 303
    assert [m.text for m in outbox(REPORTER, "case_reply")], "BALAS rules: the answer goes to the safe number"
    assert post(client, f"{path}/refer", agency="disnaker", note="Mohon ditindaklanjuti").status_code == 303
    after = Case.get_by_id(case.id)
    assert (after.status, after.referred_to, after.referred_agency) == ("referred", OFFICIAL, "disnaker")
    assert outbox(OFFICIAL, "alert"), "the official gets the referral by SMS"
    events = list(case.events.order_by(CaseEvent.id))
    console = [(e.kind, e.actor) for e in events if e.channel == "console"]
    assert console == [
        ("acknowledged", ORGANIZER),
        ("note", ORGANIZER),
        ("reply", ORGANIZER),
        ("referred", ORGANIZER),
        ("note", ORGANIZER),
    ]
    page = client.get(path).get_data(as_text=True)
    assert "Mohon ditindaklanjuti" in page and "(console)" in page
    assert post(client, f"{path}/take").status_code == 404, "an action the case does not offer now"


def test_no_reply_to_an_unsafe_number_and_the_page_says_why(app, staff):
    case = open_case(UNSAFE_REPORTER, safe=False)
    client = signed_in(app, ORGANIZER)
    post(client, f"/console/cases/{case.code}/take")
    assert outbox(UNSAFE_REPORTER) == [], "nothing to an unsafe number"
    post(client, f"/console/cases/{case.code}/reply", note="Halo")
    assert outbox(UNSAFE_REPORTER) == []
    page = client.get(f"/console/cases/{case.code}").get_data(as_text=True)
    assert not case.events.where(CaseEvent.kind == "reply").exists()
    assert "JANGAN SMS NOMOR INI" in page


def test_a_form_without_its_csrf_token_changes_nothing(app, staff):
    case = open_case()
    client = signed_in(app, ORGANIZER)
    assert client.post(f"/console/cases/{case.code}/take", data={"note": ""}).status_code in (400, 403)
    assert Case.get_by_id(case.id).status == "new"


def test_an_official_sees_only_what_was_referred_to_their_agency(app, staff):
    referred, other, to_bp3mi = open_case(), open_case(), open_case(consent=False)
    organiser = signed_in(app, ORGANIZER)
    post(organiser, f"/console/cases/{referred.code}/refer", agency="disnaker", note="")
    post(organiser, f"/console/cases/{to_bp3mi.code}/refer", agency="bp3mi", note="")
    official = signed_in(app, OFFICIAL)
    assert official.get(f"/console/cases/{referred.code}").status_code == 200
    assert "Gaji tiga bulan" in official.get(f"/console/cases/{referred.code}").get_data(as_text=True)
    assert official.get(f"/console/cases/{other.code}").status_code == 404
    assert official.get(f"/console/cases/{to_bp3mi.code}").status_code == 404
    assert official.get("/console/cases/ZZZZZZ").status_code == 404
    listed = official.get("/console/cases").get_data(as_text=True)
    assert referred.display_code in listed and other.display_code not in listed
    assert official.get("/console/people").status_code == 404
    assert official.get(f"/console/people/{Person.get(Person.phone == REPORTER).id}").status_code == 404
    bp3mi = signed_in(app, BP3MI)
    page = bp3mi.get(f"/console/cases/{to_bp3mi.code}").get_data(as_text=True)
    assert "Gaji tiga bulan" not in page and REPORTER not in page, "no consent: no words, no number"
    assert bp3mi.get(f"/console/cases/{referred.code}").status_code == 404
    assert post(official, f"/console/cases/{to_bp3mi.code}/take").status_code == 404, "another agency's"
    assert post(bp3mi, f"/console/cases/{to_bp3mi.code}/take").status_code == 303
    taken = Case.get_by_id(to_bp3mi.id)
    assert taken.referral_accepted_at is not None and taken.status == "referred"
    assert outbox(ORGANIZER, "referral_news"), "its holder hears it, as by SMS"


def test_a_village_head_sees_their_village_figures_and_no_person_or_case(app, staff):
    case = open_case()
    head = signed_in(app, VILLAGE_HEAD)
    today = head.get("/console")
    assert today.status_code == 200
    page = today.get_data(as_text=True)
    assert "Tracap" in page and case.display_code not in page
    assert not re.search(r"\+62\d{6,}", page), "no number anywhere"
    assert head.get("/console/cases").status_code == 404
    assert head.get(f"/console/cases/{case.code}").status_code == 404
    assert head.get("/console/people").status_code == 404
    assert head.get(f"/console/people/{Person.get(Person.phone == REPORTER).id}").status_code == 404
    assert AuditEvent.select().count() == 0, "a page never opened leaves no trace"


def test_people_numbers_whole_only_for_coordinators(app, staff):
    person = Person.get(Person.phone == REPORTER)
    organiser, coordinator = signed_in(app, ORGANIZER), signed_in(app, COORDINATOR)
    listed = organiser.get("/console/people?q=siti").get_data(as_text=True)
    assert "Siti Aminah" in listed and REPORTER not in listed
    assert REPORTER in coordinator.get("/console/people?q=siti").get_data(as_text=True)
    assert "Siti Aminah" not in organiser.get("/console/people?q=budi").get_data(as_text=True)
    assert "Siti Aminah" in organiser.get("/console/people?village=Tracap&status=aktif").get_data(as_text=True)
    opened = organiser.get(f"/console/people/{person.id}")
    assert opened.status_code == 200 and "no-store" in opened.headers["Cache-Control"]
    assert CONSENT_VERSION in opened.get_data(as_text=True) and REPORTER not in opened.get_data(as_text=True)
    assert [e.actor for e in AuditEvent.of_target("person_opened", person.id)] == [ORGANIZER]
    assert organiser.get("/console/people/999999").status_code == 404


def test_a_persons_page_shows_messages_with_status_and_data_requests(app, staff, send_sms):
    send_sms(REPORTER, "DATA")
    send_sms(REPORTER, "HAPUS")
    person = Person.get(Person.phone == REPORTER)
    page = signed_in(app, COORDINATOR).get(f"/console/people/{person.id}").get_data(as_text=True)
    assert "DATA" in page and "HAPUS" in page
    statuses = {m.status for m in Message.select().where(Message.phone == REPORTER)}
    assert any(status in page for status in statuses)


def test_unread_reporter_messages_until_someone_acts_or_i_look(app, staff, send_sms):
    case = open_case()
    send_sms(REPORTER, "Tolong saya belum dapat gaji lagi bulan ini")
    client = signed_in(app, ORGANIZER)

    def unread() -> str:
        page = client.get("/console").get_data(as_text=True)
        return page.split('id="unread"')[1]

    assert case.display_code in unread()
    client.get(f"/console/cases/{case.code}")
    assert case.display_code not in unread(), "read once I opened it"
    other = signed_in(app, ORGANIZER_OTHER)
    assert case.display_code in other.get("/console").get_data(as_text=True).split('id="unread"')[1]
    post(client, f"/console/cases/{case.code}/note", note="Sudah dibaca")
    assert case.display_code not in other.get("/console").get_data(as_text=True).split('id="unread"')[1]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("status=new", True),
        ("status=resolved", False),
        ("village=Tracap", True),
        ("village=Lamuk", False),
        ("severity=normal", True),
        ("severity=urgent", False),
        ("overdue=1", False),
        ("assignee=none", True),
        ("assignee=me", False),
        ("category=wages&status=open", True),
    ],
)
def test_case_filters(app, staff, query, found):
    case = open_case()
    page = signed_in(app, ORGANIZER).get(f"/console/cases?{query}").get_data(as_text=True)
    assert (case.display_code in page) is found


def test_case_list_pages_by_keyset(app, staff):
    cases = [open_case() for _ in range(55)]
    client = signed_in(app, COORDINATOR)
    first = client.get("/console/cases").get_data(as_text=True)
    assert cases[-1].display_code in first and cases[0].display_code not in first
    more = re.search(r'href="(/console/cases\?before=\d+)"', first)
    assert more
    second = client.get(more.group(1)).get_data(as_text=True)
    assert cases[0].display_code in second and cases[-1].display_code not in second

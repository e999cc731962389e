"""Staff act on cases by SMS: whole exchanges from staff and from strangers, referral with and without consent,
news to the reporter only when safe, every reply in budget in every language, nothing private in the logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import fitting
from menus.features.cases.jobs import escalation_job_id
from menus.features.cases.notices import staff_params
from menus.fitting import MAX_SEGMENTS as MAX_SMS_SEGMENTS
from models import Case, CaseEvent, Staff
from models.case_terms import Report, looks_like_code
from models.gsm import is_gsm7_basic, sms_size
from tests.support.clock import stored
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.reports import ussd_report_to_safe
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from workers.queues import job_is_live

JAKARTA = ZoneInfo("Asia/Jakarta")
OPENED = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday morning: news to reporters waits out quiet hours, so the tests run in daytime."""

REPORTER, SAFE_NUMBER, STRANGER = "+6281234567051", "+6281234567052", "+6281234567099"
VILLAGE_HEAD = "+6281200000004"
STORY = "Majikan menahan gaji saya tiga bulan dan paspor dipegang agen"
NOTE = "Sudah ditelepon ibunya, minta dokumen kontrak"
LANGUAGES = ("id", "jv", "en")
_sources = itertools.count(1)


def status(value: str, language: str = "id") -> str:
    return text(f"case.status_short.{value}", language)


def fits(message: str) -> bool:
    return is_gsm7_basic(message) and sms_size(message).segments <= MAX_SMS_SEGMENTS


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(OPENED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(case_staff):
    Staff.create(phone=VILLAGE_HEAD, name="Ahmad Kepala Desa", role="official", village="Tracap")


@pytest.fixture
def phones(send_sms):
    """A phone for each number: `phones[ORGANIZER].say("KASUS")`."""
    return {
        number: Phone(send_sms, number)
        for number in (REPORTER, SAFE_NUMBER, STRANGER, ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL, VILLAGE_HEAD)
    }


def report_by_ussd(
    ussd, phone: str = REPORTER, *, category: str = "wages", safe: str = "1", consent: str = "1", story: str = STORY
) -> Case:
    """Walk "Lapor masalah" to the end (for myself, Hong Kong) and return the case it opened."""
    session = ussd(phone)
    ussd_report_to_safe(session, category=category)
    session.answer(safe, consent)
    assert session.answer(story).startswith("END ")
    return Case.get(Case.reporter_phone == phone)


def open_case(category: str = "wages", *, story: str | None = STORY, consent: bool = True, safe: bool = True) -> Case:
    """A case opened directly (no alerts), for lists and long stories."""
    case, _ = Case.open(
        Report(
            reporter_phone=REPORTER,
            for_whom="self",
            category=category,
            country="hongkong",
            safe_to_contact=safe,
            safe_phone=None,
            story=story,
            consent_to_refer=consent,
            channel="sms",
            source_key=f"desk-{next(_sources)}",
        )
    )
    return case


def fresh(case: Case) -> Case:
    return Case.get_by_id(case.id)


def sent_to(fake_at) -> dict[str, list[str]]:
    """What the fake AT server was asked to send, by phone."""
    got: dict[str, list[str]] = {}
    for request in fake_at.requests:
        for phone in request.form["to"].split(","):
            got.setdefault(phone, []).append(request.form["message"])
    return got


# Each command from staff ------------------------------------------------------------------------------------


def test_terima_takes_the_case_and_the_reporter_hears_of_it(staff, phones, ussd, drain, use_africastalking):
    case = report_by_ussd(ussd)
    reply = phones[ORGANIZER].say(f"TERIMA {case.display_code}")
    assert reply == text("case.ack.done", code=case.display_code)
    case = fresh(case)
    assert (case.status, case.assignee, case.next_escalation_at) == ("acknowledged", ORGANIZER, None)
    assert [e.kind for e in case.events.order_by(CaseEvent.id)] == ["opened", "acknowledged"]
    news = outbox(REPORTER, "case_news")
    assert [m.text for m in news] == [text("case.news.acknowledged", code=case.display_code)]
    drain()
    assert sent_to(use_africastalking)[REPORTER][-1] == news[0].text


@pytest.mark.parametrize(
    "typed",
    [
        str.lower,
        lambda code: code.replace("-", ""),
        lambda code: code.lower().replace("-", ""),
        lambda code: code + ".",
    ],
)
def test_a_code_is_understood_in_any_case_with_or_without_its_dash(staff, phones, typed):
    case = open_case()
    assert phones[ORGANIZER].say(f"terima {typed(case.display_code)}") == text("case.ack.done", code=case.display_code)
    assert fresh(case).status == "acknowledged"


@pytest.mark.parametrize("keyword", ["TERIMA", "CATAT", "RUJUK", "SELESAI", "BUKA"])
def test_an_unknown_code_is_named_as_typed_and_nothing_changes(staff, phones, keyword):
    case = open_case()
    assert phones[ORGANIZER].say(f"{keyword} k7m-4rx catatan") == text("case.unknown_code", code="k7m-4rx")
    assert fresh(case).status == "new" and case.events.count() == 1


@pytest.mark.parametrize("keyword", ["TERIMA", "CATAT", "RUJUK", "SELESAI", "BUKA"])
def test_a_missing_code_gets_the_usage(staff, phones, keyword):
    assert phones[ORGANIZER].say(keyword.lower()) == text(f"case.usage.{keyword.lower()}")


def test_catat_adds_a_note_and_an_empty_note_gets_the_usage(staff, phones):
    case = open_case()
    assert phones[ORGANIZER].say(f"CATAT {case.code} {NOTE}") == text("case.note.done", code=case.display_code)
    note = case.events.where(CaseEvent.kind == "note").get()
    assert (note.note, note.actor, note.channel) == (NOTE, ORGANIZER, "sms")
    assert fresh(case).status == "new", "a note changes no status"
    assert phones[ORGANIZER].say(f"CATAT {case.code}") == text("case.error.note_empty", code=case.display_code)
    assert case.events.count() == 2
    assert outbox(REPORTER) == [], "a note is not news for the reporter"


def test_selesai_and_buka_close_and_reopen_with_news(staff, phones):
    case = open_case()
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    assert phones[ORGANIZER].say(f"SELESAI {case.code} gaji sudah dibayar") == text(
        "case.resolve.done", code=case.display_code
    )
    assert fresh(case).status == "resolved"
    assert case.events.where(CaseEvent.kind == "resolved").get().note == "gaji sudah dibayar"
    assert phones[COORDINATOR].say(f"BUKA {case.code} agen minta uang lagi") == text(
        "case.reopen.done", code=case.display_code
    )
    case = fresh(case)
    assert (case.status, case.assignee, case.escalation_level) == ("reopened", None, 0)
    assert case.next_escalation_at == stored(OPENED) + dt.timedelta(minutes=1440), "a day to take it again"
    assert job_is_live(escalation_job_id(case.id, 1)), "the escalation clock starts over"
    assert [m.text for m in outbox(REPORTER, "case_news")] == [
        text(f"case.news.{s}", code=case.display_code) for s in ("acknowledged", "resolved", "reopened")
    ]


@pytest.mark.parametrize(
    "first,then,error,state",
    [
        ("TERIMA", "TERIMA", "case.error.already", "acknowledged"),
        ("SELESAI", "SELESAI", "case.error.already", "resolved"),
        ("SELESAI", "RUJUK", "case.error.not_referable", "resolved"),
        ("RUJUK", "RUJUK", "case.error.not_referable", "referred"),
        ("TERIMA", "BUKA", "case.error.not_resolved", "acknowledged"),
    ],
)
def test_a_change_the_rules_refuse_is_explained_and_changes_nothing(staff, phones, first, then, error, state):
    case = open_case()
    phones[ORGANIZER].say(f"{first} {case.code}")
    events, messages = case.events.count(), len(outbox())
    assert phones[ORGANIZER].say(f"{then} {case.code}") == text(error, code=case.display_code, status=status(state))
    assert fresh(case).status == state and case.events.count() == events
    assert len(outbox()) == messages + 1, "only the answer"


# Referral ---------------------------------------------------------------------------------------------------


def test_rujuk_with_consent_gives_the_official_the_number_and_story(staff, phones, ussd, drain, use_africastalking):
    case = report_by_ussd(ussd, consent="1")
    assert phones[ORGANIZER].say(f"RUJUK {case.display_code}") == text(
        "case.refer.done", code=case.display_code, name="Pak Disnaker"
    )
    case = fresh(case)
    assert (case.status, case.referred_to, case.assignee) == ("referred", OFFICIAL, ORGANIZER), (
        "the regency official (no village), not the village head who comes first by name"
    )
    [referral] = outbox(OFFICIAL, "alert")[-1:]
    assert REPORTER in referral.text and STORY in referral.text
    assert referral.text == text(
        "case.refer.to_official",
        **staff_params(case, "id", Staff.for_phone(OFFICIAL)),
        details=" " + text("case.refer.story", story=STORY),
    )
    assert [m.text for m in outbox(REPORTER, "case_news")] == [text("case.news.referred", code=case.display_code)]
    drain()
    assert referral.text in sent_to(use_africastalking)[OFFICIAL]


def test_rujuk_without_consent_keeps_the_reporter_from_the_official(staff, phones, ussd, drain, use_africastalking):
    case = report_by_ussd(ussd, consent="2")
    phones[ORGANIZER].say(f"RUJUK {case.code}")
    referral = outbox(OFFICIAL, "alert")[-1].text
    assert case.display_code in referral and text("case.category_short.wages") in referral
    assert REPORTER not in referral and STORY not in referral and "gaji saya" not in referral
    assert text("case.contact_hidden") in referral
    drain()
    for message in sent_to(use_africastalking)[OFFICIAL]:
        assert REPORTER not in message and "Majikan" not in message


def test_an_unsafe_reporters_number_never_reaches_the_official(staff, phones, ussd):
    case = report_by_ussd(ussd, safe="2", consent="1")
    phones[ORGANIZER].say(f"RUJUK {case.code}")
    referral = outbox(OFFICIAL, "alert")[-1].text
    assert REPORTER not in referral and text("case.contact_unsafe") in referral and STORY in referral


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_story_is_cut_to_keep_the_referral_in_two_gsm7_segments(staff, phones, language):
    Staff.update(language=language).where(Staff.phone == OFFICIAL).execute()
    story = (
        "Saya dipukul majikan \u201ckarena lambat\u201d, gaji ditahan \U0001f622 [tiga] bulan, paspor di agen. "
        "Tolong bantu saya pulang ke Wonosobo, ibu saya sakit dan tidak ada yang merawat. "
    ) * 4
    case = open_case("violence", story=story)
    phones[ORGANIZER].say(f"RUJUK {case.code}")
    referral = outbox(OFFICIAL, "alert")[-1].text
    assert fits(referral) and referral.endswith(fitting.ELLIPSIS)
    assert "karena lambat" in referral and "[" not in referral and "\u201c" not in referral
    assert sms_size(referral).units > 280, "the story fills what the budget leaves"


def test_rujuk_goes_to_the_village_head_when_there_is_no_regency_official(staff, phones):
    Staff.update(active=False).where(Staff.phone == OFFICIAL).execute()
    case = open_case()
    Case.update(village="Tracap").where(Case.id == case.id).execute()  # the head of the case's own village only
    assert phones[ORGANIZER].say(f"RUJUK {case.code}") == text(
        "case.refer.done", code=case.display_code, name="Ahmad Kepala Desa"
    )
    assert fresh(case).referred_to == VILLAGE_HEAD and outbox(VILLAGE_HEAD, "alert")


def test_rujuk_without_any_official_says_so_and_changes_nothing(staff, phones):
    Staff.delete().where(Staff.role == "official").execute()
    case = open_case()
    assert phones[ORGANIZER].say(f"RUJUK {case.code}") == text("case.refer.no_official", code=case.display_code)
    assert fresh(case).status == "new" and case.events.count() == 1 and outbox(purpose="alert") == []


def test_an_official_accepts_a_referral_and_lists_what_waits(staff, phones, daytime):
    assert phones[OFFICIAL].say("DETAIL") == text("case.detail.none")
    mine, other = open_case("violence"), open_case("wages")
    phones[ORGANIZER].say(f"RUJUK {mine.code}")
    daytime.move_to(OPENED + dt.timedelta(days=3, hours=1))
    assert phones[OFFICIAL].say("detail") == text(
        "case.detail",
        count="1",
        more="",
        items=text("case.detail.item", code=mine.display_code, category=text("case.category_short.violence"), days="3"),
    )
    assert phones[OFFICIAL].say(f"TERIMA {other.code}") == text("case.error.not_yours", code=other.display_code)
    assert phones[OFFICIAL].say(f"terima {mine.code.lower()}") == text("case.referral.accepted", code=mine.display_code)
    assert fresh(mine).status == "referred", "the case stays referred"
    accepted = mine.events.where(CaseEvent.kind == "referral_accepted").get()
    assert (accepted.actor, accepted.channel) == (OFFICIAL, "sms")
    assert fresh(other).status == "new" and other.events.count() == 1


@pytest.mark.parametrize(
    "body,error",
    [
        ("CATAT {code} sudah ditelepon", "case.error.not_yours"),  # officials note and resolve only their referrals
        ("RUJUK {code}", "case.error.role"),
        ("SELESAI {code}", "case.error.not_yours"),
        ("BUKA {code}", "case.error.role"),
    ],
)
def test_an_official_cannot_handle_cases(staff, phones, body, error):
    case = open_case()
    assert phones[OFFICIAL].say(body.format(code=case.code)) == text(error, code=case.display_code)
    assert fresh(case).status == "new" and case.events.count() == 1


def test_kasus_and_detail_answer_the_wrong_role_clearly(staff, phones):
    assert phones[OFFICIAL].say("KASUS") == text("case.list.official")
    assert phones[ORGANIZER].say("DETAIL") == text("case.usage.detail"), "DETAIL <code> is theirs (test_case_talk)"


# Lists ------------------------------------------------------------------------------------------------------


def test_kasus_lists_the_senders_open_cases(staff, phones):
    assert phones[ORGANIZER].say("KASUS") == text("case.list.none")
    taken, unassigned, others, closed = (
        open_case("wages"),
        open_case("violence"),
        open_case("documents"),
        open_case("other"),
    )
    phones[ORGANIZER].say(f"TERIMA {taken.code}")
    phones[ORGANIZER_OTHER].say(f"TERIMA {others.code}")
    phones[ORGANIZER].say(f"SELESAI {closed.code}")
    items = [
        text(
            "case.list.item",
            code=taken.display_code,
            status=status("acknowledged"),
            category=text("case.category_short.wages"),
        ),
        text(
            "case.list.item",
            code=unassigned.display_code,
            status=status("new"),
            category=text("case.category_short.violence"),
        ),
    ]
    assert phones[ORGANIZER].say("kasus") == text("case.list", count="2", items="; ".join(items), more="")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_list_is_paged_within_two_segments(staff, phones, language):
    Staff.update(language=language).where(Staff.phone == ORGANIZER).execute()
    codes = {
        open_case(category).display_code for category, _ in zip(itertools.cycle(["deceived", "illness"]), range(40))
    }
    seen: set[str] = set()
    page, reply = 1, phones[ORGANIZER].say("KASUS")
    while True:
        assert fits(reply), reply
        seen |= {code for code in codes if code in reply}
        more = text("case.list.more", language, count=str(len(codes) - len(seen)), keyword="KASUS", page=str(page + 1))
        if len(seen) == len(codes):
            assert more not in reply and "KASUS" not in reply
            break
        assert reply.endswith(more), reply
        page += 1
        reply = phones[ORGANIZER].say(f"KASUS {page}")
    assert page > 2 and seen == codes


# Strangers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "TERIMA {code}",
        "terima {lower}",
        "CATAT {code} saya pengurus",
        "RUJUK {plain}",
        "SELESAI {code} beres",
        "buka {plain}",
        "HADIR {code} 081234567890",
        "DETAIL {code}",
        "KASUS {code}",
    ],
)
@pytest.mark.parametrize("sender", [STRANGER, REPORTER])
def test_a_stranger_gets_not_available_and_nothing_changes(staff, phones, ussd, sender, body):
    case = report_by_ussd(ussd)
    before = (fresh(case).status, case.events.count(), len(outbox(purpose="alert")), len(outbox(purpose="case_news")))
    message = body.format(code=case.display_code, lower=case.display_code.lower(), plain=case.code)
    assert phones[sender].say(message) == text("staff.only")
    assert (
        fresh(case).status,
        case.events.count(),
        len(outbox(purpose="alert")),
        len(outbox(purpose="case_news")),
    ) == before


def test_a_staff_number_that_left_is_a_stranger(staff, phones):
    case = open_case()
    Staff.update(active=False).where(Staff.phone == ORGANIZER).execute()
    assert phones[ORGANIZER].say(f"TERIMA {case.code}") == text("staff.only")
    assert fresh(case).status == "new"


@pytest.mark.parametrize("body", ["KASUS", "Detail", "Terima kasih pak", "SELESAI kerja jam 5"])
def test_a_strangers_words_without_a_code_go_the_usual_way(staff, phones, body):
    case = open_case()
    reply = phones[STRANGER].say(body)
    assert reply != text("staff.only") and case.display_code not in (reply or "")


def test_looks_like_code_is_the_exact_shape_of_a_case_code(app):
    assert looks_like_code("K7M4RX") and looks_like_code(open_case().code)
    assert not looks_like_code("k7m4rx") and not looks_like_code("K7M-4RX"), "the router passes the parsed code"
    assert not looks_like_code("KASIH") and not looks_like_code("K7M3QX") and not looks_like_code("K7M4RXA")


# Safety -----------------------------------------------------------------------------------------------------


def play_the_whole_life(phones, case: Case, drain=None, minutes_apart: float = 0) -> None:
    """Take, note, refer, accept, resolve, reopen, take and resolve again (the worker sending after each step),
    `minutes_apart` from one step to the next."""
    start = dt.datetime.now(dt.UTC)
    steps = (
        (ORGANIZER, "TERIMA {code}"),
        (ORGANIZER, "CATAT {code} " + NOTE),
        (ORGANIZER, "RUJUK {code}"),
        (OFFICIAL, "TERIMA {code}"),
        (ORGANIZER, "SELESAI {code} " + NOTE),
        (COORDINATOR, "BUKA {code}"),
        (COORDINATOR, "TERIMA {code}"),
        (COORDINATOR, "SELESAI {code}"),
    )
    for number, (sender, body) in enumerate(steps):
        with (
            time_machine.travel(start + dt.timedelta(minutes=number * minutes_apart), tick=False)
            if minutes_apart
            else contextlib.nullcontext()
        ):
            phones[sender].say(body.format(code=case.code))
            if drain is not None:
                drain()
    assert fresh(case).status == "resolved"


def test_an_unsafe_reporter_receives_nothing_through_the_whole_case_life(
    staff, phones, ussd, drain, use_africastalking
):
    case = report_by_ussd(ussd, safe="2")
    play_the_whole_life(phones, case, drain)
    assert outbox(REPORTER) == []
    assert REPORTER not in sent_to(use_africastalking)
    assert sent_to(use_africastalking)[OFFICIAL], "the rest of the loop ran"


def test_the_news_goes_to_the_safe_number_once_it_wrote_not_the_reporters(
    staff, phones, ussd, drain, use_africastalking
):
    case = report_by_ussd(ussd, safe="081234567052")
    assert phones[SAFE_NUMBER].say(f"STATUS {case.display_code}"), "the reporter was told to have it write"
    play_the_whole_life(phones, case, drain, minutes_apart=11)  # the same news twice within 10 minutes is refused
    assert REPORTER not in sent_to(use_africastalking)
    assert sent_to(use_africastalking)[SAFE_NUMBER] == [m.text for m in outbox(SAFE_NUMBER)]
    assert [m.text for m in outbox(SAFE_NUMBER, "case_news")] == [
        text(f"case.news.{s}", code=case.display_code)
        for s in ("acknowledged", "referred", "resolved", "reopened", "acknowledged", "resolved")
    ]


def test_no_story_note_or_full_phone_number_in_the_logs(staff, phones, ussd, drain, caplog):
    caplog.set_level(logging.INFO)
    case = report_by_ussd(ussd)
    play_the_whole_life(phones, case, drain)
    phones[STRANGER].say(f"TERIMA {case.code}")
    phones[ORGANIZER].say("TERIMA k7m-4rx")
    phones[ORGANIZER].say(f"BUKA {case.code}")
    phones[ORGANIZER].say("KASUS")
    phones[OFFICIAL].say("DETAIL")
    drain()
    logged = caplog.text
    assert "case" in logged.lower(), "the exchange was logged"
    for secret in (STORY, "Majikan", NOTE, "ditelepon", REPORTER, ORGANIZER, OFFICIAL, COORDINATOR, STRANGER):
        assert secret not in logged, secret


# Budgets ----------------------------------------------------------------------------------------------------


def test_the_desk_budget_is_the_checks():
    assert fitting.MAX_SEGMENTS == MAX_SMS_SEGMENTS


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_staff_reply_fits_two_gsm7_segments(staff, phones, language):
    Staff.update(language=language).execute()
    Staff.update(name="Raden Mas Bambang Sri Wahyuningsih Kusumawardani Putra").where(Staff.phone == OFFICIAL).execute()
    cases = [open_case(category) for category in ("deceived", "illness", "stranded", "documents")]
    first, second = cases[0].code, cases[1].code
    for sender, body in [
        (ORGANIZER, "TERIMA"),
        (ORGANIZER, "CATAT"),
        (ORGANIZER, "RUJUK"),
        (ORGANIZER, "SELESAI"),
        (ORGANIZER, "BUKA"),
        (ORGANIZER, "TERIMA KMKMKMKMKMKMKMKMKMKMKMKMKMKMKMKMKM"),
        (ORGANIZER, "KASUS"),
        (OFFICIAL, "DETAIL"),
        (OFFICIAL, "KASUS"),
        (ORGANIZER, "DETAIL"),
        (ORGANIZER, f"TERIMA {first}"),
        (ORGANIZER, f"TERIMA {first}"),
        (ORGANIZER, f"CATAT {first}"),
        (ORGANIZER, f"CATAT {first} {NOTE}"),
        (ORGANIZER, f"BUKA {first}"),
        (ORGANIZER, f"RUJUK {first}"),
        (ORGANIZER, f"RUJUK {first}"),
        (OFFICIAL, f"TERIMA {second}"),
        (OFFICIAL, f"RUJUK {second}"),
        (OFFICIAL, f"TERIMA {first}"),
        (OFFICIAL, "DETAIL"),
        (ORGANIZER, f"SELESAI {first}"),
        (ORGANIZER, f"SELESAI {first}"),
        (ORGANIZER, f"BUKA {first}"),
        (ORGANIZER, "KASUS"),
        (STRANGER, f"TERIMA {second}"),
    ]:
        reply = phones[sender].say(body)
        assert reply and fits(reply), (body, reply)
        assert "{" not in reply and not reply.startswith("case."), (body, reply)
    alerts = outbox(OFFICIAL, "alert")
    assert alerts and all(fits(m.text) for m in alerts)
    Staff.delete().where(Staff.role == "official").execute()
    reply = phones[ORGANIZER].say(f"RUJUK {second}")
    assert reply == text("case.refer.no_official", language, code=cases[1].display_code) and fits(reply)

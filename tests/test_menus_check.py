"""`menus check` finds what would break on a phone: long replies, non-GSM text, missing texts, dead targets."""
from __future__ import annotations

from menus import catalog
from menus.check import check
from menus.flows import FLOWS
from menus.screens import End, FlowSet, Menu, Option


def test_the_real_flows_pass():
    report = check(FLOWS)
    assert report.ok, report.problems
    assert report.rendered > 3 * len(FLOWS.screens)


def test_dead_target_and_missing_text_are_reported():
    flows = FlowSet()
    flows.add(Menu("main", "main.title", options=(Option("no.such.label", "nowhere"),)))
    problems = "\n".join(check(flows).problems)
    assert "main: leads to missing screen nowhere" in problems
    assert "missing text for key no.such.label" in problems


def test_long_and_non_gsm_texts_are_reported(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    po = Catalog()
    for key, value in catalog.load("id").items():
        po.add(key, value)
    po.add("test.long", "Panjang " * 30)
    po.add("test.smart", "\u201cSelamat\u201d datang")
    with (tmp_path / "id.po").open("wb") as handle:
        write_po(handle, po)
    flows = FlowSet()
    flows.add(Menu("main", None, options=(Option("main.info", "a"), Option("main.info", "b"))),
              End("a", "test.long"), End("b", "test.smart"))
    problems = "\n".join(check(flows, catalogs=catalog.Catalogs(tmp_path)).problems)
    assert "id/a: 244 characters" in problems
    assert "id/b: characters outside GSM-7" in problems


def test_many_villages_are_paged_within_160():
    report = check(FLOWS, villages=[f"Desa Yang Namanya Panjang {n:02d}" for n in range(40)])
    assert report.ok, report.problems

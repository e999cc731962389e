"""The pure engine on a small flow: navigation, paging, validation and actions, with no database."""

from __future__ import annotations

from menus.engine import Context, run
from menus.screens import End, FlowSet, Input, Menu, Option, Switch


class Recorder:
    """A behaviour whose texts are their keys, recording the actions it runs."""

    def __init__(self, items: int = 3) -> None:
        self.items, self.actions = items, []

    def condition(self, name, ctx):
        return ctx.answers.get("colour") == "red" if name == "red" else True

    def action(self, name, ctx):
        self.actions.append((name, dict(ctx.answers)))

    def options(self, source, target, ctx):
        return [Option(f"Item {n}", target, value=str(n), literal=True) for n in range(1, self.items + 1)]

    def validate(self, name, text, ctx):
        return (text, None) if text.isalpha() else (None, "bad")

    def text(self, key, ctx):
        return key


def flows() -> FlowSet:
    flow = FlowSet()
    flow.add(
        Menu("root", "title", options=(Option("pick", "colour"), Option("list", "items"))),
        Menu(
            "colour",
            "colour?",
            store="colour",
            options=(Option("red", "route", value="red"), Option("blue", "route", value="blue")),
        ),
        Switch("route", cases=(("red", "name"),), default="done"),
        Input("name", "name?", store="name", validator="alpha", next="done"),
        End("done", "thanks", action="save"),
        Menu("items", "items?", source="things", source_target="done", store="item"),
    )
    return flow


def play(inputs, behaviour=None):
    behaviour = behaviour or Recorder()
    return run(flows(), "root", inputs, Context("+62", "s", "test", "id"), behaviour), behaviour


def test_root_has_no_back_line():
    reply, _ = play([])
    assert reply.text == "title\n1. pick\n2. list" and not reply.end


def test_switch_routes_by_answer_and_action_runs_at_the_end():
    reply, behaviour = play(["1", "1", "Ana"])
    assert reply.end and reply.text == "thanks"
    assert behaviour.actions == [("save", {"colour": "red", "name": "Ana"})]
    reply, behaviour = play(["1", "2"])
    assert reply.end and behaviour.actions == [("save", {"colour": "blue"})]


def test_invalid_input_shows_the_error_and_stays():
    reply, _ = play(["1", "1", "123"])
    assert reply.text.startswith("bad\n") and reply.screen_id == "name"
    reply, _ = play(["7"])
    assert reply.text.startswith("error.choice\n1. pick")


def test_back_home_and_inputs_after_the_end_are_ignored():
    assert play(["1", "0"])[0].screen_id == "root"
    assert play(["1", "1", "00"])[0].screen_id == "root"
    assert play(["0", "0"])[0].screen_id == "root"
    reply, behaviour = play(["1", "2", "1", "1"])
    assert reply.screen_id == "done" and len(behaviour.actions) == 1


def test_paging_keeps_global_numbers():
    behaviour = Recorder(items=9)
    first, _ = play(["2"], behaviour)
    assert "6. Item 6" in first.text and "7. Item 7" not in first.text and "98. nav.next" in first.text
    second, _ = play(["2", "98"], behaviour)
    assert "7. Item 7" in second.text and "98." not in second.text
    done, behaviour = play(["2", "98", "9"], Recorder(items=9))
    assert done.end and behaviour.actions == [("save", {"item": "9"})]
    past_end, _ = play(["2", "98", "98"], Recorder(items=9))
    assert past_end.text == second.text.replace("items?", "error.choice"), "98 on the last page is not offered"


class Chooser(Recorder):
    """A behaviour whose end action picks the reply, as a sign-up picks "waiting list" when the training is full."""

    def action(self, name, ctx):
        super().action(name, ctx)
        return "thanks.waitlist" if ctx.answers.get("colour") == "blue" else None


def test_an_end_action_may_choose_its_reply():
    flow = FlowSet()
    flow.add(
        Menu(
            "root",
            "colour?",
            store="colour",
            options=(Option("red", "done", value="red"), Option("blue", "done", value="blue")),
        ),
        End("done", "thanks", action="save", other_texts=("thanks.waitlist",)),
    )
    red = run(flow, "root", ["1"], Context("+62", "s", "test", "id"), Chooser())
    blue = run(flow, "root", ["2"], Context("+62", "s", "test", "id"), Chooser())
    assert (red.text, blue.text) == ("thanks", "thanks.waitlist")

"""A participant's pages in a real browser (Debian's chromium, Playwright) against the real stack:
a clinical director signs in through the development OpenID Connect provider, finds the programmes
open to them, enrols (a place) and joins a waiting list, sees their sessions and downloads their
calendar, gives feedback anonymously on a session they attended (and is told, in a sentence, that
they cannot give it twice), answers the development-needs survey and the outcome measures, and
withdraws from the programme they were waiting for. One journey is done by keyboard alone. Every
page seen is saved as a screenshot and must pass axe-core's WCAG 2.2 AA checks.

Set-up goes through the services' own APIs as the region's administrator would. One step is not:
scheduling counts a member as expected at a session only from when they joined (the enrolment's
time), and the API records a held session only once it has ended, so a person who enrols in the
test could never have been expected at a session already held. As the demo loader does
(services/scheduling/demo.py, `_formed`), the test moves their membership's start in scheduling's
projection back to before the session, then records the session and their attendance by the API."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from services.scheduling.store.tables import memberships
from shared.clock import utcnow
from tests.e2e.console import snap
from tests.harness import eventually
from tests.integration.test_scheduling_support import local

SET = "Action learning set for new clinical directors"
PROGRAMME = "Leading change across the PCN"
FEEDBACK_ANSWERS = {
    "Overall, how would you rate the session?": "5",
    "How useful was the session to you?": "4",
    "How likely are you to apply what you learnt in your work?": "4",
}


def _offer(stack, title: str, capacity: int, offer_type: str = "action_learning_set") -> str:
    admin = stack.token("regional_admin")
    body = {
        "offer_type": offer_type,
        "title": title,
        "capacity": capacity,
        "starts_on": "2027-01-04",
        "ends_on": "2027-12-20",
        "planned_sessions": 6,
    } | ({"basis": "project"} if offer_type == "action_learning_set" else {})
    created = stack.enrolment.client.post("/v1/offers", json=body, headers=admin)
    assert created.status_code == 201, created.json
    published = stack.enrolment.client.post(f"/v1/offers/{created.json['id']}/publish", headers=admin)
    assert published.status_code == 200, published.json
    return created.json["id"]


def _participant(stack, name: str) -> str:
    participant_id = stack.registered(name, name.lower().replace(" ", ".") + "@example.nhs.uk")
    return stack.person(participant_id, "participant", name)


def _held_session_attended(stack, offer_id: str, participant_id: str, *, days_ago: int = 2, mark="present") -> str:
    """A session held `days_ago`, recorded by the administrator with the participant's attendance
    (present unless `mark` says otherwise), and known to feedback; its id."""
    admin = stack.token("regional_admin")
    eventually(
        lambda: (
            participant_id
            in [
                m["participant_id"]
                for m in stack.scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin).json.get(
                    "members", []
                )
            ]
        ),
        message="scheduling to hear of the enrolment",
    )
    with stack.scheduling.runtime.db.transaction() as conn:  # see the module docstring
        conn.execute(
            update(memberships)
            .where((memberships.c.offer_id == offer_id) & (memberships.c.participant_id == participant_id))
            .values(joined_at=utcnow() - timedelta(days=5))
        )
    body = {
        "starts_at": local(-days_ago, 10),
        "duration_minutes": 120,
        "already_held": True,
        "venue": "Kings Cross Surgery",
    }
    held = stack.scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=body, headers=admin)
    assert held.status_code == 201, held.json
    marks = {"records": [{"participant_id": participant_id, "attendance": mark}]}
    sheet = stack.scheduling.client.put(f"/v1/sessions/{held.json['id']}/attendance", json=marks, headers=admin)
    assert sheet.status_code == 200, sheet.json
    # Feedback has applied the attendance once it answers with the sheet's consistency token.
    known = stack.feedback.client.get(
        f"/v1/sessions/{held.json['id']}",
        headers=admin
        | {"Convene-Consistency": held.headers["Convene-Consistency"] + ", " + sheet.headers["Convene-Consistency"]},
    )
    assert known.status_code == 200, known.json
    return held.json["id"]


def _upcoming_session(stack, offer_id: str) -> None:
    body = {"starts_at": local(7, 14), "duration_minutes": 90, "video_link": "https://meet.example.nhs.uk/set"}
    answer = stack.scheduling.client.post(
        f"/v1/offers/{offer_id}/sessions", json=body, headers=stack.token("regional_admin")
    )
    assert answer.status_code == 201, answer.json


def test_a_participant_enrols_waits_gives_feedback_answers_the_surveys_and_withdraws(console_stack, page):
    stack = console_stack
    set_id = _offer(stack, SET, 8)
    programme_id = _offer(stack, PROGRAMME, 1, "regional_programme")
    other = stack.registered("Sam Okafor", "sam.okafor@example.nhs.uk")
    taken = stack.enrolment.client.post(
        f"/v1/offers/{programme_id}/enrolments", json={"participant_id": other}, headers=stack.token("regional_admin")
    )
    assert taken.status_code == 201, taken.json
    me = _participant(stack, "Priya Shah")

    stack.sign_in(page, me)
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes open to you")
    expect(page.get_by_text("You have not joined a programme yet.")).to_be_visible()
    catalogue = page.get_by_role("table", name="Programmes you can join")
    expect(catalogue.get_by_role("row", name=SET)).to_contain_text("Yes")
    expect(catalogue.get_by_role("row", name=PROGRAMME)).to_contain_text("No, you would join the waiting list")
    # One place taken of one: the figure is rounded to the nearest 5, as the API gives it to a participant.
    expect(catalogue.get_by_role("row", name=PROGRAMME).get_by_role("cell").nth(4)).to_have_accessible_name("0")
    snap(page, "participant-programmes")

    # A place: enrol in the action learning set.
    catalogue.get_by_role("link", name=SET).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SET)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("rounded to the nearest 5")
    snap(page, "participant-offer")
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("You have a place")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("You have a place")
    snap(page, "participant-enrolled")

    # The waiting list of the programme whose one place is taken.
    page.get_by_role("link", name="Programmes", exact=True).first.click()
    page.get_by_role("table", name="Programmes you can join").get_by_role("link", name=PROGRAMME).click()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("You are number 1 on the waiting list")
    snap(page, "participant-waitlisted")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Programmes").click()
    places = page.get_by_role("table", name="Programmes you have joined or asked to join")
    expect(places.get_by_role("row", name=SET)).to_contain_text("You have a place")
    expect(places.get_by_role("row", name=PROGRAMME)).to_contain_text("Number 1 on the waiting list")
    open_ones = page.get_by_role("table", name="Programmes you can join")
    expect(open_ones.get_by_role("row", name=SET)).to_have_count(0)  # not offered again to someone in it
    snap(page, "participant-places")

    # Sessions: one held two days ago (attended), one next week; and the calendar file.
    session_id = _held_session_attended(stack, set_id, me)
    _upcoming_session(stack, set_id)
    page.get_by_role("link", name="Your sessions").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    expect(page.get_by_role("table", name="Sessions coming up")).to_contain_text(SET)
    expect(page.get_by_role("table", name="Sessions coming up").get_by_role("link", name="Join online")).to_be_visible()
    past = page.get_by_role("table", name="Sessions that have happened")
    expect(past).to_contain_text("10am to 12pm")
    expect(page.get_by_role("button", name="Subscribe to your calendar")).to_be_visible()
    snap(page, "participant-sessions")
    calendar = page.request.get(stack.url + "/my-programme/calendar.ics")
    assert calendar.status == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in calendar.text() and calendar.text().count("BEGIN:VEVENT") == 2

    # Feedback, anonymously.
    past.get_by_role("link", name="Give feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Give feedback on a session")
    expect(page.get_by_text("Nobody can link them to you")).to_be_visible()
    expect(page.get_by_label("Comments (optional)")).to_have_value("")
    snap(page, "participant-feedback")
    page.get_by_role("button", name="Send feedback").click()  # nothing chosen: the console asks, not assumes
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose whether to give your feedback anonymously")
    snap(page, "participant-feedback-error")
    _answer_feedback(page)
    page.get_by_label("Comments (optional)").fill("Hearing how other PCNs run their huddles helped.")
    page.get_by_role("radio", name="Anonymously").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Thank you for your feedback")
    expect(page.locator(".nhsuk-panel")).to_contain_text("You gave it anonymously.")
    snap(page, "participant-feedback-given")

    # Once only: a second answer is refused in a sentence.
    page.goto(stack.url + f"/my-programme/sessions/{session_id}/feedback")
    _answer_feedback(page)
    page.get_by_role("radio", name="With my name").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot give feedback on this session")
    expect(page.get_by_text("You have already given feedback on this session.")).to_be_visible()
    snap(page, "participant-feedback-refused")

    # A session they missed: no feedback, said why.
    missed = _held_session_attended(stack, set_id, me, days_ago=3, mark="apologies")
    page.goto(stack.url + f"/my-programme/sessions/{missed}/feedback")
    _answer_feedback(page)
    page.get_by_role("radio", name="Anonymously").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot give feedback on this session")
    expect(page.get_by_text("only give feedback on a session you were recorded as attending")).to_be_visible()
    snap(page, "participant-feedback-not-attended")

    # The development-needs survey for the set.
    page.get_by_role("link", name="Development needs").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Development needs survey")
    expect(page.get_by_label("Other needs (optional)")).to_have_value("")
    snap(page, "participant-needs")
    page.get_by_label("Which programme is this for?").select_option(label=SET)
    for need in ("Leadership", "Collaboration", "Dealing with conflict", "Innovation", "Teamwork", "Strategy"):
        page.get_by_role("group", name=need).get_by_role("radio", name="4").check()
    page.get_by_role("button", name="Send answers").click()  # Engagement left out: the API names it
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Engagement: choose a rating from 1 to 5.")
    expect(page.locator("#engagement-error")).to_be_visible()
    snap(page, "participant-needs-error")
    page.get_by_role("group", name="Engagement").get_by_role("radio", name="2").check()
    page.get_by_label("Count my answers for my PCN").check()
    page.get_by_role("button", name="Send answers").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Thank you for answering the survey")
    snap(page, "participant-needs-answered")

    # Outcome measures before the programme.
    page.get_by_role("link", name="Outcome measures").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome measures")
    snap(page, "participant-outcomes")
    page.get_by_label("Programme", exact=True).select_option(label=SET)
    page.get_by_role("radio", name="Before the programme").check()
    for question, score in (
        ("How confident do you feel as a leader?", "3"),
        ("How isolated do you feel in your role?", "5"),
        ("How much do you trust the people you learn with?", "4"),
        ("How clear is your sense of direction for your PCN?", "3"),
    ):
        page.get_by_role("group", name=question).get_by_role("radio", name=score).check()
    page.get_by_role("button", name="Save answers").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Thank you: your answers are saved")
    snap(page, "participant-outcomes-given")

    # Withdraw from the waiting list, through the confirmation step.
    page.get_by_role("link", name="Programmes", exact=True).first.click()
    page.get_by_role("table", name="Programmes you have joined or asked to join").get_by_role(
        "link", name=PROGRAMME
    ).click()
    page.get_by_role("link", name="Withdraw from this programme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Are you sure you want to withdraw from {PROGRAMME}?")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("You chose to leave")
    snap(page, "participant-withdraw")
    page.get_by_role("button", name="Yes, withdraw").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text(f"You have left {PROGRAMME}")
    places = page.get_by_role("table", name="Programmes you have joined or asked to join")
    expect(places.get_by_role("row", name=PROGRAMME)).to_contain_text("Withdrawn: you left")
    expect(places.get_by_role("row", name=SET)).to_contain_text("You have a place")
    snap(page, "participant-withdrawn")

    # Another person's programme page shows nothing of theirs; an unknown one is not found.
    page.goto(stack.url + "/programmes/no-such-offer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def _answer_feedback(page) -> None:
    for question, score in FEEDBACK_ANSWERS.items():
        page.get_by_role("group", name=question).get_by_role("radio", name=score).check()
    page.get_by_role("radio", name="Very good").check()


# --- by keyboard alone ------------------------------------------------------------------------------

# The NHS.UK focus style: yellow (#ffeb3b) behind a link or button, a yellow outline round a field, or the
# yellow and black ring drawn round a radio's or checkbox's own circle (its label's ::before; the input is
# transparent); and the element matches :focus-visible, as it does when focus came from the keyboard.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || !el.matches(':focus-visible')) return false;
  const yellow = 'rgb(255, 235, 59)';
  if (el.type === 'radio' || el.type === 'checkbox') {
    const ring = getComputedStyle(document.querySelector(`label[for="${el.id}"]`), '::before');
    return ring.boxShadow.includes(yellow);
  }
  const style = getComputedStyle(el);
  return style.backgroundColor === yellow || style.outlineColor === yellow || style.boxShadow.includes(yellow);
}"""


def _focused_text(page) -> str:
    return page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()")


def _tab_to(page, text: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element says `text`; its focus must be visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused_text(page).startswith(text):
            assert page.evaluate(FOCUS_SHOWN), f"the focus on {text!r} is not visible"
            return
    raise AssertionError(f"Tab never reached {text!r}")


def _tab_to_radio(page, name: str, value: str, *, limit: int = 60) -> None:
    """Tab into a group of radios (focus lands on its first), then the arrow keys to `value`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == name:
            break
    else:
        raise AssertionError(f"Tab never reached the radios {name!r}")
    assert page.evaluate(FOCUS_SHOWN), f"the focus on the radios {name!r} is not visible"
    page.keyboard.press("Space")
    for _ in range(10):
        if page.evaluate("() => document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowRight")  # moves and checks the next radio
    assert page.evaluate("() => document.activeElement.checked && document.activeElement.value") == value


def test_a_participant_enrols_and_gives_feedback_by_keyboard_alone(console_stack, page):
    stack = console_stack
    set_id = _offer(stack, SET, 8)
    me = _participant(stack, "Jo Adeyemi")
    stack.sign_in(page, me)  # the provider's page: its form may be filled as usual
    expect(page.get_by_role("heading", level=1)).to_have_text("Programmes open to you")

    _tab_to(page, SET)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(SET)
    _tab_to(page, "Enrol")
    snap(page, "participant-keyboard-enrol")
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-panel")).to_contain_text("You have a place")

    _held_session_attended(stack, set_id, me)
    _tab_to(page, "Your sessions")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    _tab_to(page, "Give feedback")
    snap(page, "participant-keyboard-sessions")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Give feedback on a session")

    _tab_to_radio(page, "overall", "5")
    _tab_to_radio(page, "usefulness", "4")
    _tab_to_radio(page, "will_apply", "3")
    _tab_to_radio(page, "recommend", "good")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "comment"
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.type("Useful to hear from other clinical directors.")
    expect(page.locator("#comment")).to_have_value("Useful to hear from other clinical directors.")
    _tab_to_radio(page, "anonymous", "yes")
    _tab_to(page, "Send feedback")
    snap(page, "participant-keyboard-feedback")
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-panel")).to_contain_text("Thank you for your feedback")
    expect(page.locator(".nhsuk-panel")).to_contain_text("You gave it anonymously.")
    snap(page, "participant-keyboard-feedback-given")

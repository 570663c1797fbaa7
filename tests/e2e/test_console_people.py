"""The regional administrator's people and records pages in a real browser against the whole stack
(tests/e2e/conftest.py): registering a participant through the form (a mistake first), finding them,
their record, erasing their personal data through the confirmation step, and the audit trail that
shows both; and the national team's ODS import, previewed before it is applied. Every page is
saved as a screenshot and must pass axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import SAMPLE
from tests.e2e.console import heading, snap

NAME, EMAIL = "Priya Shah", "priya.shah@example.nhs.uk"
CAMDEN = "CAMDEN CENTRAL PCN (U10001)"


def test_an_administrator_registers_finds_and_erases_a_participant_and_the_audit_trail_shows_both(console_stack, page):
    console_stack.registered("Sam Okafor", "sam.okafor@example.nhs.uk", role="gp")  # someone else in the region
    console_stack.sign_in(page, "demo-admin-y56", "/participants")
    heading(page).to_have_text("Participants in your region")
    expect(page.get_by_role("row", name="Sam Okafor")).to_contain_text("GP")
    snap(page, "people-participants")

    page.get_by_role("link", name="Register a participant").click()
    heading(page).to_have_text("Register a participant")
    snap(page, "people-register")
    page.get_by_label("Full name", exact=True).fill(NAME)
    page.get_by_label("Email address", exact=True).fill(EMAIL)
    page.get_by_role("radio", name="Nurse").check()
    page.get_by_label("PCN", exact=True).select_option(label=CAMDEN)
    page.get_by_label("GP practice code (optional)").fill("G85021")  # Deptford Surgery: Lewisham North's
    page.get_by_role("radio", name="Leading in a practice").check()
    page.get_by_role("button", name="Register participant").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "#practice_code")
    expect(page.locator("#practice_code-error")).to_contain_text("does not belong to that PCN")
    expect(page.get_by_label("Full name", exact=True)).to_have_value(NAME)  # what was typed is kept
    assert page.title().startswith("Error: ")
    snap(page, "people-register-error")
    link.click()
    expect(page.locator("#practice_code")).to_be_focused()

    page.get_by_label("GP practice code (optional)").fill("F83012")  # Kentish Town: Camden's
    page.get_by_role("button", name="Register participant").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Participant registered")
    heading(page).to_have_text(NAME)
    record = page.locator(".nhsuk-summary-list")
    for shown in (EMAIL, "Nurse", CAMDEN, "F83012", "Leading in a practice"):
        expect(record).to_contain_text(shown)
    expect(page.get_by_text("They have not been enrolled on any offer.")).to_be_visible()
    participant_id = page.url.rstrip("/").split("/")[-1]
    snap(page, "people-participant")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Participants").click()
    page.get_by_label("Email address").fill(EMAIL.upper())  # an exact address, whatever its case
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row")).to_have_count(2)  # the heading row and Priya's
    expect(page.get_by_role("row", name=NAME)).to_contain_text("Nurse")
    snap(page, "people-search")
    page.get_by_label("Email address").fill("")
    page.get_by_label("Job role").select_option(label="Nurse")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row", name=NAME)).to_contain_text(CAMDEN)
    expect(page.get_by_role("row", name="Sam Okafor")).to_have_count(0)
    page.get_by_role("link", name=NAME).click()
    heading(page).to_have_text(NAME)

    page.get_by_role("link", name=f"Erase {NAME}'s personal data").click()
    heading(page).to_have_text(f"Erase {NAME}'s personal data")
    expect(page.locator(".nhsuk-card--warning")).to_contain_text("This cannot be undone")
    expect(page.locator(".nhsuk-card--warning")).to_contain_text("their name and email address")
    snap(page, "people-erase")
    page.get_by_role("button", name="Erase personal data").click()  # not confirmed: nothing happens
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Confirm that you want to erase")
    snap(page, "people-erase-unconfirmed")
    assert (
        console_stack.enrolment.client.get(
            f"/v1/participants/{participant_id}", headers=console_stack.token("regional_admin")
        ).json["name"]
        == NAME
    )

    page.get_by_role("checkbox", name="I understand").check()
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Personal data erased")
    heading(page).to_have_text("Participants in your region")
    expect(page.get_by_role("row", name="Sam Okafor")).to_be_visible()
    expect(page.get_by_text(NAME)).to_have_count(0)  # gone from the list
    snap(page, "people-erased")
    page.goto(f"{console_stack.url}/participants/{participant_id}")
    heading(page).to_have_text("Erased participant")
    expect(page.locator(".nhsuk-summary-list")).not_to_contain_text(EMAIL)
    expect(page.get_by_role("link", name="Erase")).to_have_count(0)
    snap(page, "people-erased-record")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Audit trail").click()
    heading(page).to_have_text("Audit trail of your region")
    snap(page, "people-audit")
    page.get_by_label("Record").fill(participant_id)
    page.get_by_role("button", name="Show the trail").click()
    erasure = page.get_by_role("row", name="Erased a participant's personal data")
    expect(erasure).to_contain_text("demo-admin-y56 (Regional administrator)")
    expect(erasure).to_contain_text("204")
    expect(page.get_by_role("row", name="Registered a participant")).to_contain_text("201")
    what = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    order = [n for n, text in enumerate(what) if "Erased a participant" in text or "Registered a participant" in text]
    assert "Erased" in what[order[0]] and "Registered" in what[order[1]]  # newest first
    snap(page, "people-audit-participant")


def _changed_sample(tmp_path):
    """The sample ODS files changed as a new month's would be: Camden renamed, a new London PCN with
    a practice, and Kentish Town moved from Camden to Lewisham North."""
    epcn = (SAMPLE / "epcn.csv").read_text().replace('"CAMDEN CENTRAL PCN"', '"CAMDEN PCN"') + (
        '"U10004","HACKNEY PCN","93C","NHS NORTH CENTRAL LONDON ICB - 93C","20260101","","","","","","","E8 1AA"\r\n'
    )
    practice_map = "".join(
        line.replace(",U10001,CAMDEN CENTRAL PCN,", ",U10002,LEWISHAM NORTH PCN,") if ",F83012," in line else line
        for line in (SAMPLE / "gp-reg-pat-prac-map.csv").read_text().splitlines(keepends=True)
    ) + (
        "GP_PRAC_PAT_LIST,01-NOV-2026,F83099,HACKNEY PRACTICE,E8 1AA,U10004,HACKNEY PCN,E38000201,93C,"
        "NHS NORTH CENTRAL LONDON ICB - 93C,E54000001,QMJ,NHS NORTH CENTRAL LONDON INTEGRATED CARE BOARD,"
        "E40000003,Y56,LONDON,EMIS\r\n"
    )
    (tmp_path / "epcn.csv").write_text(epcn)
    (tmp_path / "gp-reg-pat-prac-map.csv").write_text(practice_map)
    return tmp_path / "epcn.csv", tmp_path / "gp-reg-pat-prac-map.csv"


def _upload(page, epcn, practice_map) -> None:
    for label, path in (("ePCN file", epcn), ("Practice mapping file", practice_map)):
        with page.expect_file_chooser() as chooser:  # the design system's upload button opens the browser's
            page.get_by_label(label).click()
        chooser.value.set_files(path)
    page.get_by_role("button", name="Preview the changes").click()


def test_the_national_team_previews_an_ods_import_then_applies_it(console_stack, page, tmp_path):
    epcn, practice_map = _changed_sample(tmp_path)
    console_stack.sign_in(page, "demo-national", "/reference-data/import")
    heading(page).to_have_text("Import reference data")
    snap(page, "records-import")
    page.get_by_role("button", name="Preview the changes").click()  # no files chosen
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Select the ePCN file.")).to_have_attribute("href", "#epcn_csv")
    expect(summary.get_by_role("link", name="Select the practice mapping file.")).to_be_visible()
    snap(page, "records-import-error")

    broken = tmp_path / "broken-epcn.csv"
    broken.write_text(epcn.read_text().replace('"U10004","HACKNEY PCN"', '"X10004","HACKNEY PCN"'))
    _upload(page, broken, practice_map)
    expect(page.locator("#epcn_csv-error")).to_contain_text("ePCN file, line 16:")
    expect(page.get_by_role("row", name=re.compile("^ePCN file 16 "))).to_contain_text("not a valid")
    snap(page, "records-import-refused")
    assert (
        console_stack.enrolment.client.get("/v1/pcns/U10001", headers=console_stack.token("national")).json["name"]
        == "CAMDEN CENTRAL PCN"
    )  # nothing was imported

    _upload(page, epcn, practice_map)
    heading(page).to_have_text("Check the changes before importing")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("1 added, 1 changed, 13 unchanged")
    expect(page.get_by_role("row", name=re.compile("^U10004 "))).to_contain_text("New PCN in London (Y56)")
    expect(page.get_by_role("row", name=re.compile("^U10001 "))).to_contain_text(
        "Renamed from CAMDEN CENTRAL PCN to CAMDEN PCN"
    )
    expect(page.get_by_role("row", name=re.compile("^F83099 "))).to_contain_text("New practice in PCN U10004")
    expect(page.get_by_role("row", name=re.compile("^F83012 "))).to_contain_text("Moved from PCN U10001 to PCN U10002")
    snap(page, "records-import-preview")
    national = console_stack.token("national")
    assert console_stack.enrolment.client.get("/v1/pcns/U10004", headers=national).status_code == 404  # not yet

    page.get_by_role("button", name="Import these changes").click()
    panel = page.locator(".nhsuk-panel")
    expect(panel).to_contain_text("Reference data imported")
    expect(panel).to_contain_text("1 PCN added, 1 PCN changed, 1 practice added, 1 practice changed")
    expect(page.get_by_role("listitem").filter(has_text="HACKNEY PCN (U10004)")).to_be_visible()
    snap(page, "records-import-done")
    assert console_stack.enrolment.client.get("/v1/pcns/U10004", headers=national).json["name"] == "HACKNEY PCN"
    assert console_stack.enrolment.client.get("/v1/pcns/U10001", headers=national).json["name"] == "CAMDEN PCN"

    page.reload()  # the confirmation is shown once; then the upload form again
    heading(page).to_have_text("Import reference data")
    expect(page.locator(".nhsuk-panel")).to_have_count(0)

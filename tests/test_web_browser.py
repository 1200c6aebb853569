"""The calendar in a real browser: Debian's Chromium driven by Playwright, against
``campaign web`` served by uvicorn over a real SQLite ledger holding the example campaign."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from campaign.store.states import CANCELLED, SCHEDULED
from tests.web_helpers import PASSWORD, Served, screenshot

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The two agenda pages (31 days each) that together hold every post of the example.
AGENDAS = ("2017-08-27", "2017-09-27")


def sign_in(page: Page, served: Served, then: str = "/month") -> None:
    page.goto(f"{served.url}/signin?next={then}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


class TestCalendar:
    def test_the_example_posts_appear_on_their_days_and_hours_in_amsterdam(
        self, page: Page, served: Served
    ) -> None:
        expected = Counter(
            (post.local_time.date().isoformat(), post.local_time.strftime("%H:%M"), post.platform)
            for post in served.ledger.list()
        )
        seen: Counter[tuple[str, str, str]] = Counter()
        for first_day in AGENDAS:
            page.goto(f"{served.url}/agenda?date={first_day}&tz=Europe/Amsterdam")
            for day in page.locator("section.agenda-day").all():
                date = day.get_attribute("data-date") or ""
                for card in day.locator("article.card").all():
                    shown = card.locator(".meta time").inner_text()
                    time = re.findall(r"\d\d:\d\d", shown)[0]
                    platform = (
                        (card.get_attribute("class") or "").split()[1].removeprefix("platform-")
                    )
                    parts = card.locator("section.part").count()
                    seen[(date, time, platform)] += parts
        assert sum(expected.values()) == 30
        assert seen == expected

    def test_the_month_view_places_posts_on_their_local_day(
        self, page: Page, served: Served, tmp_path: Path
    ) -> None:
        page.goto(f"{served.url}/month?date=2017-09-01&tz=Europe/Amsterdam")
        live = page.locator('td[data-date="2017-09-26"] .entry')
        expect(live).to_have_count(4)
        expect(live.first.locator("time")).to_have_text("09:30")
        expect(page.locator('td[data-date="2017-09-27"] .entry')).to_have_count(4)
        shot = screenshot(page, "calendar-month", tmp_path)
        assert shot.stat().st_size > 10_000
        page.goto(f"{served.url}/month?date=2017-09-01&tz=UTC")
        expect(
            page.locator('td[data-date="2017-09-26"] .entry').first.locator("time")
        ).to_have_text("07:30")

    def test_filters_narrow_the_view(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/month?date=2017-09-01")
        expect(page.locator(".entry")).to_have_count(12)  # four a day, then "2 more"
        page.get_by_label("Platform").select_option("mastodon")
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".entry")).to_have_count(4)
        for text in page.locator(".entry .platform").all_inner_texts():
            assert text == "mastodon"
        page.get_by_label("Language").select_option("el")
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".entry")).to_have_count(1)  # the Greek reminder
        page.get_by_label("Platform").select_option("")
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".entry")).to_have_count(2)  # on Mastodon and Bluesky
        page.get_by_label("State").select_option(CANCELLED)
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".entry")).to_have_count(0)

    def test_states_are_told_apart_by_text_and_symbol(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/month?date=2017-09-01")
        state = page.locator(".entry .state").first
        expect(state).to_have_text(re.compile(rf"^◷\s+{SCHEDULED}$"))

    def test_a_post_card_shows_its_full_link_clickable(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/agenda?date=2017-09-19")
        card = page.locator("article.platform-twitter").first
        link = card.locator("a.link").first
        href = link.get_attribute("href") or ""
        assert href.startswith("https://www.media4sec.eu/events/dark-web-workshop/?utm_source=")
        expect(link).to_have_text(href)
        box = link.bounding_box()
        assert box is not None
        assert box["width"] > 0

    def test_images_show_their_alt_text(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/agenda?date=2017-09-26")
        live = page.locator("article.card", has_text="live").first
        expect(live.locator("figure.image")).to_contain_text("Banner of the Medi@4sec")


class TestActions:
    def test_reading_needs_no_sign_in_on_loopback_but_actions_do(
        self, page: Page, served: Served, tmp_path: Path
    ) -> None:
        post = served.ledger.list()[0]
        page.goto(f"{served.url}/posts/{post.id}")
        expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
        expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
        screenshot(page, "post-page", tmp_path)
        page.goto(f"{served.url}/signin")
        screenshot(page, "sign-in", tmp_path)

    def test_cancelling_in_the_browser_changes_the_ledger(self, page: Page, served: Served) -> None:
        post = served.ledger.list()[0]
        sign_in(page, served, then=f"/posts/{post.id}")
        page.get_by_role("button", name="Cancel").first.click()
        expect(page.get_by_role("status")).to_have_text("Cancelled 1 post.")
        assert served.ledger.get(post.id).state == CANCELLED
        expect(page.locator("article.card .meta .state")).to_contain_text(CANCELLED)

    def test_a_post_without_the_csrf_token_is_refused(self, page: Page, served: Served) -> None:
        post = served.ledger.list()[0]
        sign_in(page, served)
        answer = page.request.post(f"{served.url}/posts/{post.id}/cancel", form={"csrf": "forged"})
        assert answer.status == 403
        answer = page.request.post(f"{served.url}/posts/{post.id}/cancel")
        assert answer.status == 403
        assert served.ledger.get(post.id).state == SCHEDULED

    def test_a_wrong_password_is_refused(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/signin")
        page.get_by_label("Password").fill("guess")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("That password is not right.")
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


class TestAccessibility:
    @pytest.mark.parametrize(
        "path",
        [
            "/month?date=2017-09-01",
            "/week?date=2017-09-25",
            "/agenda?date=2017-09-19",
            "/signin",
            "post",
        ],
    )
    def test_no_serious_or_critical_axe_violation(
        self, page: Page, served: Served, path: str
    ) -> None:
        if path == "post":
            path = f"/posts/{served.ledger.list()[-1].id}"
        page.goto(served.url + path)
        results = Axe().run(page)
        serious = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []

    def test_everything_is_reachable_by_keyboard(self, page: Page, served: Served) -> None:
        page.goto(f"{served.url}/month?date=2017-09-01")
        focusable = page.locator("a[href], button, input:not([type=hidden]), select")
        wanted = focusable.count()
        reached = set()
        for _ in range(wanted + 5):
            page.keyboard.press("Tab")
            reached.add(page.evaluate("document.activeElement.outerHTML"))
        every = {focusable.nth(i).evaluate("e => e.outerHTML") for i in range(wanted)}
        assert every <= reached
        page.locator(".entry").first.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/posts/\w+"))

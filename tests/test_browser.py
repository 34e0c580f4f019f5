"""The Gradio app in a real browser (headless Chromium through Selenium) at a 1400x1000 window.

Checks what only a browser shows: after a recommendation the rating controls (dropdown, like,
dislike) and the confirmation are on screen beside the cards without scrolling the page; reloading
the page restores the conversation (browser-local session id, kept in the SQLite store); "New
conversation" really starts afresh (and survives a reload too); a file that is not a video, uploaded
in the "Video to music" tab, gets a clear error without server paths. Skipped when Chromium, chromedriver or selenium is
missing (`.ci/run` installs them with apt-get: chromium, chromium-driver). Run alone with
`.venv/bin/python -m pytest -q -m browser tests/test_browser.py`.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import importlib.util
import shutil
import socket
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1400, 1000)
FIRST = "I loved The Shining, what else would I like?"
SECOND = "I like comedies"
THIRD = "Something with Tom Hanks"
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run")


def _chromedriver() -> str | None:
    for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")):
        if p and os.access(p, os.X_OK):
            return p
    return None


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (apt-get install chromium chromium-driver)"
    if _chromedriver() is None:
        return "chromedriver not found (apt-get install chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium not installed (pip install -e '.[test]')"
    return None


# checked at collection, so that a machine without Chromium skips before loading the manager
MISSING = _missing()
if MISSING and os.environ.get("CRS_REQUIRE_BROWSER"):  # CI (.ci/run) must run these, not skip them
    raise RuntimeError(f"CRS_REQUIRE_BROWSER is set but the browser tests cannot run: {MISSING}")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _screenshot_dir(tmp_path: Path) -> Path:
    """$CRS_HOME/screenshots when CRS_HOME is set (to look at after a CI run), else the test's tmp dir."""
    if os.environ.get("CRS_HOME"):
        from crs.paths import cache_dir

        return cache_dir("screenshots")
    return tmp_path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    driver = webdriver.Chrome(service=Service(_chromedriver()), options=opts)
    driver.set_window_size(*WINDOW)
    try:
        yield driver
    finally:
        driver.quit()


class SlowManager:
    """The conftest manager, with an optional pause before each event: a stand-in for a slow LLM
    (SmolLM2 on a CPU takes seconds), to click "New conversation" while a turn is still running."""

    def __init__(self, manager):
        self.manager = manager
        self.delay = 0.0

    def __getattr__(self, name):
        return getattr(self.manager, name)

    def respond(self, state, message):
        for event in self.manager.respond(state, message):
            if self.delay:
                time.sleep(self.delay)
            yield event


@pytest.fixture(scope="module")
def served(manager, tmp_path_factory):
    """The app on a free port, in this process (the conftest `manager`: tiny LLM, popularity recommender),
    served with the production limits and a conversation store in a temporary folder."""
    from apps.gradio_app import build_app, serve
    from crs.store import ConversationStore

    slow = SlowManager(manager)
    store = ConversationStore(f"sqlite:///{tmp_path_factory.mktemp('store') / 'conversations.db'}")
    demo = build_app(lambda: slow, store=store, browser_secret="browser-test-key")
    port = _free_port()
    serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", slow
    finally:
        demo.close()
        store.close()


# ---------------------------------------------------------------------------------------- page helpers
def _rect(driver, selector: str) -> dict:
    r = driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return null;"
        "const r = e.getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height};",
        selector)
    assert r is not None, f"no element {selector!r} in the page"
    return r


def _viewport(driver) -> tuple[int, int]:
    return tuple(driver.execute_script("return [window.innerWidth, window.innerHeight]"))


def _assert_on_screen(driver, selector: str, what: str) -> dict:
    width, height = _viewport(driver)
    r = _rect(driver, selector)
    assert r["width"] > 0 and r["height"] > 0, f"{what} is not rendered: {r}"
    assert 0 <= r["top"] and r["bottom"] <= height and 0 <= r["left"] and r["right"] <= width, (
        f"{what} is not fully inside the {width}x{height} viewport: {r}")
    return r


def _messages(driver) -> list[tuple[str, str]]:
    return [tuple(m) for m in driver.execute_script(
        "return [...document.querySelectorAll('#crs-chat .message-row')].map(r =>"
        " [r.classList.contains('user-row') ? 'user' : 'bot', r.innerText.trim()])")]


def _text(driver, selector: str) -> str:
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                                 selector)


def _wait(driver, cond, what: str, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: cond(d), message=f"waiting for {what}")


def _turn_done(driver, n_messages: int) -> bool:
    """The chat holds n messages, the last a real reply, and the event has finished (the status tracker
    of an output of the chat event is hidden again once the stream ends)."""
    msgs = _messages(driver)
    return len(msgs) == n_messages and msgs[-1][0] == "bot" and msgs[-1][1] not in ("", "…") and (
        driver.execute_script("const t = document.querySelector('#crs-pick [data-testid=status-tracker]');"
                              "return !t || t.classList.contains('hide')"))


def _send(driver, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#crs-message textarea")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def _choose_first_card(driver) -> str:
    """Open the rating dropdown and click its first option; returns the option's text."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#crs-pick input").click()
    options = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#crs-pick [role=option]"),
                    "the dropdown's options", 10)
    choice = options[0].get_attribute("aria-label")
    options[0].click()
    _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#crs-pick input").get_attribute("value") == choice,
          f"the dropdown to show {choice!r}", 10)
    return choice


# ---------------------------------------------------------------------------------------- the test
def test_rating_controls_beside_cards_and_new_conversation(browser, served, tmp_path):
    from selenium.webdriver.common.by import By

    app_url, slow = served
    d = browser
    d.get(app_url)
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#crs-message textarea"), "the page to load")
    width, height = _viewport(d)
    assert width <= WINDOW[0] and height <= WINDOW[1], (width, height)  # the viewport of a 1400x1000 window

    _send(d, FIRST)
    _wait(d, lambda d: "Why:" in _text(d, "#crs-cards") and _turn_done(d, 2), "the reply and the cards")
    _wait(d, lambda d: d.find_element(By.CSS_SELECTOR, "#crs-message textarea").get_attribute("value") == "",
          "the textbox to be emptied", 10)
    shots = _screenshot_dir(tmp_path)
    d.save_screenshot(str(shots / "browser-recommendation-1400x1000.png"))

    # the controls are on screen, right of the chat, with no page scrolling
    chat = _rect(d, "#crs-chat")
    cards = _rect(d, "#crs-cards")
    for sel, what in (("#crs-pick", "the rating dropdown"), ("#crs-like", "the like button"),
                      ("#crs-dislike", "the dislike button")):
        r = _assert_on_screen(d, sel, what)
        assert r["left"] >= chat["right"], f"{what} is not right of the chat: {r} vs chat {chat}"
        assert r["left"] >= cards["left"] - 1 and r["right"] <= cards["right"] + 1, f"{what} not under the cards"
    assert cards["top"] >= 0 and cards["left"] >= chat["right"]
    assert d.execute_script("return window.scrollY") == 0

    # rate the first card: the confirmation shows in the viewport, still without scrolling
    choice = _choose_first_card(d)
    d.find_element(By.CSS_SELECTOR, "#crs-like").click()
    _wait(d, lambda d: "Noted: you like" in _text(d, "#crs-feedback"), "the like confirmation", 10)
    assert choice in _text(d, "#crs-feedback")
    _assert_on_screen(d, "#crs-feedback", "the confirmation message")
    assert d.execute_script("return window.scrollY") == 0, "the page had to scroll to reach the controls"
    d.save_screenshot(str(shots / "browser-liked-1400x1000.png"))

    # reload the page: the conversation and the cards come back (browser-local session id + the store)
    before, cards_before = _messages(d), _text(d, "#crs-cards")
    d.refresh()
    _wait(d, lambda d: len(_messages(d)) == 2, "the conversation to be restored after a reload")
    assert _messages(d) == before and before[0] == ("user", FIRST)
    assert _text(d, "#crs-cards") == cards_before and "Why:" in cards_before
    d.save_screenshot(str(shots / "browser-reloaded-1400x1000.png"))

    # a follow-up question, then "New conversation": the next message starts an empty chat
    _send(d, "Why that one?")
    _wait(d, lambda d: _turn_done(d, 4), "the answer to the follow-up")
    d.find_element(By.CSS_SELECTOR, "#crs-new").click()
    _wait(d, lambda d: not _messages(d) and "No recommendations yet" in _text(d, "#crs-cards")
          and not _text(d, "#crs-feedback").strip(), "the reset")
    _send(d, SECOND)
    _wait(d, lambda d: _turn_done(d, 2), "the reply in the new conversation")
    time.sleep(0.5)  # a late write from the previous conversation would land here
    msgs = _messages(d)
    assert [m for m in msgs if m[0] == "user"] == [("user", SECOND)], msgs
    assert len(msgs) == 2 and "Why that one?" not in " ".join(m[1] for m in msgs), msgs
    d.save_screenshot(str(shots / "browser-new-conversation-1400x1000.png"))

    # the reported bug: "New conversation" clicked while a turn is still running (a slow LLM) must
    # cancel it; before the fix its later yields put the old chat ("Why that one?") and state back
    slow.delay = 1.0
    try:
        _send(d, "Why that one?")
        _wait(d, lambda d: len(_messages(d)) == 4, "the follow-up to show at once", 10)
        assert d.find_element(By.CSS_SELECTOR, "#crs-message textarea").get_attribute("value") == ""
        d.find_element(By.CSS_SELECTOR, "#crs-new").click()
        _wait(d, lambda d: not _messages(d), "the reset", 10)
    finally:
        slow.delay = 0.0
    time.sleep(2.5)  # past the cancelled turn's next event (delay 1 s)
    assert not _messages(d), _messages(d)
    assert "No recommendations yet" in _text(d, "#crs-cards")
    _send(d, THIRD)
    _wait(d, lambda d: _turn_done(d, 2), "the reply after the mid-turn reset")
    time.sleep(1.0)
    msgs = _messages(d)
    assert [m for m in msgs if m[0] == "user"] == [("user", THIRD)], msgs
    d.refresh()  # the new conversation is the one a reload restores
    _wait(d, lambda d: len(_messages(d)) == 2, "the new conversation after a reload")
    assert _messages(d) == msgs


def test_bad_upload_shows_a_clear_error(browser, served, tmp_path):
    """A text file named .mp4 uploaded in the video tab: a clear message, no server path, nothing kept."""
    from selenium.webdriver.common.by import By

    app_url, _ = served
    d = browser
    d.get(app_url)
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#crs-message textarea"), "the page to load")
    tab = next(b for b in d.find_elements(By.CSS_SELECTOR, "button[role=tab]") if "Video to music" in b.text)
    tab.click()
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video, just text with a video's name")
    upload = _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#crs-video input[type=file]"), "the upload input")
    upload[0].send_keys(str(bad))
    _wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#crs-video video, #crs-video [data-testid=video]")
          or "holiday" in _text(d, "#crs-video"), "the upload to finish", 30)
    d.find_element(By.CSS_SELECTOR, "#crs-suggest").click()
    _wait(d, lambda d: "Could not use this file" in _text(d, "#crs-music-pick"), "the error message", 60)
    shown = _text(d, "#crs-music-pick")
    assert "mp4, webm or mov" in shown and "/tmp" not in shown and "gradio" not in shown.lower(), shown
    d.save_screenshot(str(_screenshot_dir(tmp_path) / "browser-bad-upload-1400x1000.png"))

"""Accessibility in a real browser (Debian chromium via Playwright) against the shared real server.

axe-core (bundled by axe-playwright-python, pinned in pyproject's `test` extra) runs over the chat (`/`),
the iframe page (`/embed/`) and the API docs (`/api/docs`), in the light and dark schemes, at 1280x800
and 375x740, in every state a reader reaches; any serious or critical violation fails, and so does a
moderate one in our own HTML. Then a keyboard-only walk (Tab, Shift+Tab, Enter, Space) follows every
citation and comes back, rates, asks a follow-up and follows the first answer's [1] again; then the
accessible names and states of the controls, and what a screen reader is told, are checked.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
VIEWS = [("light", 1280, 800), ("dark", 1280, 800), ("light", 375, 740), ("dark", 375, 740)]
# Our HTML: what rag/render.py writes, our page blocks, the announcer, and the message wrappers chat.js
# labels. "html" is the page as a whole (its headings and landmarks are ours to get right).
OURS = ("#sources, #chat .question, #chat .answer, #chat .refusal, #chat .pending, #chat [role=log] [role=group], "
        ".rag-title, .rag-embed-title, .rag-disclaimer, #rag-live")
ANNOUNCED = """
window.__said = [];
new MutationObserver(() => {
  const live = document.getElementById('rag-live');
  if (live && live.textContent && window.__said[window.__said.length - 1] !== live.textContent)
    window.__said.push(live.textContent);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
FERRY = "How often will the Zorblax ferry run?"  # one source, with a URL and a date
FOLLOW = "What about the night crossings?"
OFF_TOPIC = "Who won the football world cup in 1998?"
TWO_SOURCES = "How is this accusation impacting the AI sector?"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def open_page(browser, url: str, width: int = 1280, height: int = 800, scheme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    context.add_init_script(ANNOUNCED)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return context, page


def finals(page) -> int:
    return page.locator("#chat .answer, #chat .refusal").count()


def ask(page, question: str) -> None:
    before = finals(page)
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.locator("#chat .answer, #chat .refusal").nth(before).wait_for(timeout=60_000)
    page.wait_for_function("!document.querySelector('#chat [role=log]').querySelector('.pending')")


def audit(axe, page, where: str, summary: list) -> list[str]:
    """One axe run; returns the failures (serious/critical anywhere, moderate or worse in our HTML)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):  # once per page: the script is 500 KB
        page.evaluate(axe.axe_script)
    r = page.evaluate("o => axe.run(document, o)", {"runOnly": {"type": "tag", "values": TAGS},
                                                     "resultTypes": ["violations"]})
    rules = sum(len(r[k]) for k in ("passes", "violations", "incomplete", "inapplicable"))
    failures, counts = [], {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for v in r["violations"]:
        counts[v["impact"]] += len(v["nodes"])
        for node in v["nodes"]:
            target = node["target"][0]
            ours = target == "html" or page.evaluate(
                "([t, ours]) => { const e = document.querySelector(t); return !!(e && e.closest(ours)); }",
                [target, OURS])
            if v["impact"] in ("serious", "critical") or (ours and v["impact"] == "moderate"):
                failures.append(f"{where}: {v['id']} ({v['impact']}{', ours' if ours else ''}) {target}: "
                                f"{node['html'][:160]}")
    summary.append(f"{where:<44} {rules} rules, {len(r['passes'])} passed, violations: "
                   + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return failures


def audit_views(axe, page, where: str, summary: list) -> list[str]:
    """The same state in both schemes and at both widths (Gradio follows the emulated media live)."""
    failures = []
    for scheme, width, height in VIEWS:
        page.emulate_media(color_scheme=scheme)
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(50)
        failures += audit(axe, page, f"{where} {scheme} {width}x{height}", summary)
    return failures


def test_axe_core_version_is_the_pinned_one(axe, browser):
    page = browser.new_page()
    version = page.evaluate(axe.axe_script + "; axe.version")
    rules = page.evaluate(f"axe.getRules({TAGS!r}).length")
    page.close()
    print(f"\naxe-core {version}, {rules} rules tagged {', '.join(TAGS)}")
    assert version == "4.12.1"  # axe-playwright-python==0.1.8 (pyproject.toml); bump both together


@pytest.mark.parametrize("path", ["/", "/embed/"])
def test_axe_chat_page_in_every_state_scheme_and_width(browser, axe, live_server, path):
    """loaded, answered ([1] focused, its quote shown), a source followed, liked, a follow-up, a refusal."""
    context, page = open_page(browser, live_server.url + path)
    summary, failures = [], []
    try:
        failures += audit_views(axe, page, f"{path} loaded", summary)
        ask(page, FERRY)
        page.locator("#chat a.cite").first.focus()
        assert page.locator("#chat .quote").first.is_visible()
        failures += audit_views(axe, page, f"{path} answered", summary)
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "src-1-1"
        failures += audit_views(axe, page, f"{path} followed", summary)
        page.locator("#chat button[aria-label='Like']").last.click()
        page.wait_for_selector("#chat button[aria-pressed='true']")
        failures += audit_views(axe, page, f"{path} liked", summary)
        ask(page, FOLLOW)
        failures += audit_views(axe, page, f"{path} follow-up", summary)
        ask(page, OFF_TOPIC)
        assert "Not in our coverage" in page.locator("#chat .refusal").last.inner_text()
        failures += audit_views(axe, page, f"{path} refused", summary)
    finally:
        context.close()
    print("\n" + "\n".join(summary))
    assert not failures, "\n".join(failures)


def test_axe_api_docs(browser, axe, live_server):
    summary, failures = [], []
    page = browser.new_page()
    try:
        page.goto(live_server.url + "/api/docs")
        page.locator(".opblock").first.wait_for(timeout=30_000)
        assert page.evaluate("document.documentElement.lang") == "en"
        for state in ("loaded", "operation open"):
            if state == "operation open":
                page.locator(".opblock-summary-control").first.click()
                page.locator(".opblock-body").first.wait_for()
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                failures += audit(axe, page, f"/api/docs {state} {scheme}", summary)
    finally:
        page.close()
    print("\n" + "\n".join(summary))
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- keyboard only


def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName, id: e.id, cls: e.className || '', label: e.getAttribute('aria-label') || '',
                pressed: e.getAttribute('aria-pressed'), text: (e.innerText || '').slice(0, 40)}; }""")


def press_until(page, key: str, want, limit: int = 80) -> dict:
    """Press `key` until the focused element satisfies `want`; the stops are in the failure message."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if want(now):
            return now
        stops.append(f"{now['tag']}#{now['id']}.{str(now['cls'])[:20]}[{now['label'] or now['text']}]")
    raise AssertionError(f"{key} never reached the element; stops: {stops}")


def luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+(?:\.\d+)?", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def followed_source_highlight(page) -> dict:
    """The focused source entry's ring: colour, the colour behind it, and whether the panel clips it."""
    return page.evaluate("""() => {
        const e = document.activeElement, cs = getComputedStyle(e);
        let bg = 'rgb(255, 255, 255)';
        for (let p = e; p; p = p.parentElement) {
            const c = getComputedStyle(p).backgroundColor;
            if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
        }
        const w = parseFloat(cs.outlineWidth), off = parseFloat(cs.outlineOffset), r = e.getBoundingClientRect();
        const ring = {top: r.top - w - off, left: r.left - w - off, bottom: r.bottom + w + off, right: r.right + w + off};
        let clipped = false;
        for (let p = e.parentElement; p; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) {
                const q = p.getBoundingClientRect();
                if (ring.top < q.top - 0.5 || ring.left < q.left - 0.5 || ring.bottom > q.bottom + 0.5
                    || ring.right > q.right + 0.5) clipped = true;
            }
        }
        return {style: cs.outlineStyle, width: w, color: cs.outlineColor, bg, clipped};
    }""")


def test_keyboard_only_follow_every_citation_and_come_back(browser, live_server):
    from rag.feedback import FeedbackLog

    context, page = open_page(browser, live_server.url + "/")
    try:
        page.wait_for_function("document.activeElement.tagName === 'TEXTAREA'")  # the question box, on arrival
        page.keyboard.type(TWO_SOURCES)
        page.keyboard.press("Enter")
        page.locator("#turn-1").wait_for(timeout=60_000)
        page.wait_for_function("!document.querySelector('#chat .pending')")
        cites = page.locator("#turn-1 a.cite")
        assert cites.count() >= 2
        ids = [cites.nth(i).get_attribute("id") for i in range(cites.count())]
        if focused(page)["tag"] != "TEXTAREA":
            press_until(page, "Tab", lambda f: f["tag"] == "TEXTAREA")
        press_until(page, "Shift+Tab", lambda f: f["id"] == ids[0])
        for ref in ids:  # reach each [n], follow it, come back
            if focused(page)["id"] != ref:
                press_until(page, "Tab", lambda f, ref=ref: f["id"] == ref)
            source = ref.rsplit("-ref", 1)[0]
            quote = page.locator(f"#{ref} + .quote")
            assert quote.is_visible(), "the quote shows on keyboard focus"
            assert quote.inner_text() == page.locator(f"#{source} mark").inner_text()
            page.keyboard.press("Enter")
            assert focused(page)["id"] == source
            ring = followed_source_highlight(page)
            assert ring["style"] != "none" and ring["width"] >= 2 and not ring["clipped"], ring
            assert contrast(ring["color"], ring["bg"]) >= 3, ring
            back = press_until(page, "Tab", lambda f: "back" in str(f["cls"]), limit=5)
            assert back["text"].startswith("Back to the answer")
            page.keyboard.press("Enter")
            assert focused(page)["id"] == ref, "focus returns to the [n] the reader came from"
        like = press_until(page, "Tab", lambda f: f["label"] == "Like")
        assert like["pressed"] == "false"
        page.keyboard.press("Space")
        page.wait_for_function("document.activeElement.getAttribute('aria-pressed') === 'true'")
        assert focused(page)["label"] == "Like"  # one name; the state is aria-pressed
        log = FeedbackLog(live_server.server.feedback)
        for _ in range(50):
            if any(r["question"] == TWO_SOURCES and r["rating"] == "like" for r in log.entries(limit=20)):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the like was not stored")
        press_until(page, "Tab", lambda f: f["tag"] == "TEXTAREA")
        page.keyboard.type("Which companies are involved in this dispute?")
        page.keyboard.press("Enter")
        page.locator("#turn-2").wait_for(timeout=60_000)
        page.wait_for_function("!document.querySelector('#chat .pending')")
        press_until(page, "Shift+Tab", lambda f: f["id"] == "src-1-1-ref")  # the first answer's [1]
        page.keyboard.press("Enter")
        assert focused(page)["id"] == "src-1-1", "an earlier answer's [1] still has its source"
        press_until(page, "Tab", lambda f: "back" in str(f["cls"]), limit=5)
        page.keyboard.press("Enter")
        assert focused(page)["id"] == "src-1-1-ref"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "a11y-keyboard.png"))
    finally:
        context.close()


# --------------------------------------------------------------------------- names, states, announcements


def test_names_states_and_announcements(browser, live_server):
    context, page = open_page(browser, live_server.url + "/")
    try:
        assert page.get_by_role("textbox", name="Your question", exact=True).count() == 1
        for scheme in ("light", "dark"):  # the question box's placeholder and focus ring, measured
            page.emulate_media(color_scheme=scheme)
            page.focus("#question textarea")
            box = page.evaluate("""() => { const t = document.querySelector('#question textarea');
                let bg = 'rgb(255, 255, 255)';
                for (let p = t.parentElement; p; p = p.parentElement) {
                    const c = getComputedStyle(p).backgroundColor;
                    if (c !== 'rgba(0, 0, 0, 0)') { bg = c; break; } }
                const s = getComputedStyle(t);
                return {placeholder: getComputedStyle(t, '::placeholder').color, field: s.backgroundColor,
                        ring: s.borderTopColor, around: bg}; }""")
            assert contrast(box["placeholder"], box["field"]) >= 4.5, (scheme, box)
            assert contrast(box["ring"], box["around"]) >= 3 and contrast(box["ring"], box["field"]) >= 3, (scheme, box)
        page.emulate_media(color_scheme="light")
        assert page.get_by_role("button", name="Ask", exact=True).count() == 1
        region = page.get_by_role("region", name="Sources", exact=True)
        assert region.get_by_role("heading", name="Sources", level=2).count() == 1
        ask(page, FERRY)
        api = page.request.post(live_server.url + "/api/ask", data={"question": FERRY}).json()
        for c in api["citations"]:
            link = page.get_by_role("link", name=f"Source {c['n']}: {c['title']}", exact=True)
            assert link.count() == 1
            described = link.get_attribute("aria-describedby")
            assert page.locator(f"#{described}").inner_text() == c["quote"]
        cite = page.locator("#chat a.cite").first
        cite.focus()
        assert page.locator("#chat .quote").first.is_visible()
        page.keyboard.press("Escape")  # dismissible without moving focus (WCAG 1.4.13)
        assert not page.locator("#chat .quote").first.is_visible() and focused(page)["id"] == "src-1-1-ref"
        entry = region.locator("li.source").first
        assert "2026-11-20" in entry.inner_text()  # title, published date, link to the passage
        assert entry.get_by_role("link", name=re.compile("^Zorblax ferry timetable changes")).get_attribute(
            "href").startswith("https://news.example/zorblax-ferry#:~:text=")
        assert page.get_by_role("group", name="Your question", exact=True).count() == 1
        assert page.get_by_role("group", name="Answer", exact=True).count() == 1
        # No message label holds markup any more (Gradio writes the raw HTML there).
        assert page.evaluate("[...document.querySelectorAll('#chat [aria-label]')]"
                             ".filter(e => e.getAttribute('aria-label').includes('<')).length") == 0
        like = page.get_by_role("button", name="Like", exact=True).last
        dislike = page.get_by_role("button", name="Dislike", exact=True).last
        assert like.get_attribute("aria-pressed") == dislike.get_attribute("aria-pressed") == "false"
        for el in (like, dislike):
            box = el.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, box
        page.focus("#question textarea")
        cite.focus()  # its quote open: a pointer click on Dislike still lands (the quote moves nothing)
        dislike.click()
        page.wait_for_function("[...document.querySelectorAll('#chat button[aria-label=Dislike]')]"
                               ".some(b => b.getAttribute('aria-pressed') === 'true')")
        like.click()  # one choice at a time
        page.wait_for_function("""() => { const b = [...document.querySelectorAll('#chat button[aria-pressed]')];
            return b.some(x => x.getAttribute('aria-label') === 'Like' && x.getAttribute('aria-pressed') === 'true')
                && b.every(x => x.getAttribute('aria-label') !== 'Dislike' || x.getAttribute('aria-pressed') === 'false'); }""")
        ask(page, OFF_TOPIC)
        # Announced once: the log is no live region (and is not busy now); our status region said
        # "Checking sources…" and then each final answer, exactly once, the refusal as a refusal.
        page.wait_for_timeout(200)
        said = page.evaluate("window.__said")
        final = page.evaluate("document.querySelector('#turn-1').innerText").strip()
        assert said.count(final) == 1, said
        assert [s for s in said if s.startswith("Not in our coverage")] == [said[-1]], said
        assert said.count("Checking sources…") == 2, said
        log = page.locator("#chat [role=log]")
        assert log.get_attribute("aria-live") == "off" and log.get_attribute("aria-busy") == "false"
        assert page.get_by_role("status").filter(has_text="Not in our coverage").count() == 1
        page.set_viewport_size({"width": 320, "height": 640})  # reflow (WCAG 1.4.10): no sideways scrolling
        page.wait_for_timeout(100)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        # Forced colours (Windows high contrast): [n] keeps a solid underline beside the system colours.
        page.emulate_media(forced_colors="active")
        assert page.evaluate("getComputedStyle(document.querySelector('#chat a.cite')).textDecorationStyle") == "solid"
    finally:
        context.close()
    context, page = open_page(browser, live_server.url + "/embed/")
    try:
        assert page.get_by_role("heading", level=1, name="Zorblax explainer").count() == 1  # visually hidden
        box = page.locator(".rag-embed-title").first.bounding_box()
        assert box is None or (box["width"] <= 1 and box["height"] <= 1), box
    finally:
        context.close()

// The chat page's own script (inlined in <head> by rag/chat.py; the CSP allows inline scripts, never eval).
// It adds what Gradio 6 gives no option for, keyed on our own markup (rag/render.py: classes and ids)
// and on ARIA attributes, not on Gradio's class names:
//   - ARIA on our HTML, which Gradio's sanitizer strips of aria-*: each [n] is named by its title
//     ("Source 1: <title>") and described by its quote; the Sources section is a region named "Sources";
//   - following [n] moves focus to its source entry; "Back to the answer" returns focus to that [n];
//   - Esc hides a quote tooltip (WCAG 1.4.13) without moving focus;
//   - each message wrapper's aria-label (Gradio puts the message's raw HTML there) becomes plain text;
//   - the final answer is announced once, through our own status region: Gradio's log stops being a
//     live region (it would read every streamed update) and is aria-busy while an answer is drafted;
//   - Like/Dislike keep one name and expose their state as aria-pressed;
//   - on the chat page (not the embed) the question box gets focus once, on arrival.
(() => {
  "use strict";
  const cameFrom = new Map();  // source entry id -> the [n] link the reader followed to it
  const announced = new Set();  // "turn-3-draft" (drafting announced), "turn-3" (its final answer announced)
  const WHO = [["question", "Your question"], ["pending", "Answer, checking sources"], ["is-notice", "Notice"],
               ["refusal", "Answer: not in our coverage"], ["answer", "Answer"]];
  let live = null;
  let arrived = false;

  function announce(text) {
    if (!live) {
      live = document.createElement("div");
      live.id = "rag-live";
      live.className = "rag-sr-only";
      live.setAttribute("role", "status");  // polite; exists before its first message
      (document.querySelector("main") || document.body).appendChild(live);
    }
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50);  // a fresh change, even for the same words
  }

  function spoken(el) {  // the message as plain text, without its hidden tooltips
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".quote, .rag-sr-only").forEach(n => n.remove());
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function scan() {
    if (!arrived) {
      const box = document.querySelector(".rag-autofocus textarea");
      if (box) { arrived = true; if (document.activeElement === document.body) box.focus(); }
    }
    const chat = document.getElementById("chat");
    if (!chat) return;
    const log = chat.querySelector("[role=log]");
    if (log) {
      if (log.getAttribute("aria-live") !== "off") log.setAttribute("aria-live", "off");
      const busy = !!log.querySelector(".pending");
      if (busy !== (log.getAttribute("aria-busy") === "true")) log.setAttribute("aria-busy", String(busy));
    }
    for (const a of chat.querySelectorAll("a.cite[title]")) {
      a.setAttribute("aria-label", a.title);
      a.removeAttribute("title");  // the quote below is the tooltip
      const q = a.nextElementSibling;
      if (q && q.classList.contains("quote") && q.id) a.setAttribute("aria-describedby", q.id);
    }
    const panel = document.querySelector("#sources section.sources-panel");
    if (panel && !panel.hasAttribute("aria-labelledby")) panel.setAttribute("aria-labelledby", "sources-head");
    const mine = chat.querySelectorAll(WHO.map(w => "." + w[0]).join(","));
    if (!chat.querySelector("[id^=turn-]")) announced.clear();  // a cleared chat numbers its turns from 1 again
    for (const el of mine) {
      const who = WHO.find(w => el.classList.contains(w[0]));
      const wrap = el.parentElement && el.parentElement.closest("[aria-label]");
      if (who && wrap && wrap !== log && chat.contains(wrap) && !wrap.contains(log)) {
        if (wrap.getAttribute("aria-label") !== who[1]) wrap.setAttribute("aria-label", who[1]);
        if (wrap.getAttribute("role") !== "group") wrap.setAttribute("role", "group");
      }
      const key = /^turn-\d+(-draft)?$/.test(el.id) ? el.id : "";
      if (!key || announced.has(key)) continue;
      announced.add(key);
      if (key.endsWith("-draft")) announce("Checking sources…");
      else { announced.add(key + "-draft"); announce(spoken(el)); }
    }
    for (const b of chat.querySelectorAll("button[aria-label]")) {
      const label = b.getAttribute("aria-label");
      const m = /^(Like|Dislike)(d?)$/.exec(label);
      if (!m) continue;
      if (b.dataset.ragName === label && !m[2]) { delete b.dataset.ragName; continue; }  // our own rename
      b.setAttribute("aria-pressed", m[2] ? "true" : "false");
      if (m[2]) { b.dataset.ragName = m[1]; b.setAttribute("aria-label", m[1]); }  // Gradio says "Liked"
    }
  }

  document.addEventListener("click", e => {
    const a = e.target.closest && e.target.closest("a.cite, a.back");
    if (!a || e.defaultPrevented || e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const id = decodeURIComponent(a.hash.slice(1));
    let target = null;
    if (a.classList.contains("cite")) {
      target = document.getElementById(id);
      if (target) cameFrom.set(id, a);
    } else {
      const entry = a.closest("li.source");
      const from = entry && cameFrom.get(entry.id);
      target = from && from.isConnected ? from : document.getElementById(id);
    }
    if (!target) return;  // let the browser follow the link
    e.preventDefault();  // no history entry, and no reload on pages whose <base> or query differ
    target.focus();
  });

  document.addEventListener("keydown", e => {
    if (e.key !== "Escape") return;
    const a = document.activeElement;
    if (a && a.classList && a.classList.contains("cite")) a.classList.add("rag-dismissed");
    document.querySelectorAll("#chat .cite:hover").forEach(c => c.classList.add("rag-dismissed"));
  });
  const undismiss = e => {
    const a = e.target.closest && e.target.closest("a.cite");
    if (a) a.classList.remove("rag-dismissed");
  };
  document.addEventListener("focusout", undismiss);
  // A press elsewhere blurs the [n] and would close its quote before the button is released, moving what
  // was pressed; keep the quote open until the click has landed.
  let held = null;
  const release = () => { if (held) { held.classList.remove("rag-hold"); held = null; } };
  document.addEventListener("pointerdown", () => {
    const a = document.activeElement, q = a && a.nextElementSibling;
    if (a && a.matches && a.matches("#chat a.cite") && q && q.classList.contains("quote")) {
      release();
      held = q;
      q.classList.add("rag-hold");
      setTimeout(release, 1500);  // no click came (a drag, a press outside the page)
    }
  }, true);
  document.addEventListener("click", () => setTimeout(release, 0));
  document.addEventListener("focusin", e => {  // a [n] at the log's lower edge: scroll its quote into view too
    const a = e.target.closest && e.target.closest("#chat a.cite");
    const q = a && a.nextElementSibling;
    if (q && q.classList.contains("quote")) q.scrollIntoView({block: "nearest"});
  });
  document.addEventListener("mouseout", undismiss);

  new MutationObserver(scan).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "aria-live"],
  });
})();

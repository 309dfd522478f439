// The one-line embed, run on the newsroom's own page (served as /embed.js by rag/embed.py):
//   <script src="https://CHAT/embed.js" data-article="https://news.example/story" async></script>
// It puts the chat (/embed/?article=...) in an iframe right after the tag, or inside data-target,
// sizes the frame to the height the chat reports, and follows the page's colour scheme. It never
// blocks the page: loaded async, no document.write, a handful of DOM calls. Attributes: data-article,
// data-target (a CSS selector), data-theme (light | dark | auto), data-accent (#rgb or #rrggbb),
// data-font (font family names), data-compact, data-title (the frame's accessible name).
(() => {
  "use strict";
  const ALLOWED = __RAG_ALLOWED__;  // RAG_ALLOWED_ORIGINS, rendered in by the server
  const NAME = "Newsroom explainer embed";
  const script = document.currentScript;
  if (!script || script.dataset.ragEmbedded) return;
  script.dataset.ragEmbedded = "1";
  const src = new URL(script.src, location.href);
  const chat = src.origin, here = location.origin;
  // The server refuses to be framed elsewhere (frame-ancestors): show nothing rather than a broken frame.
  if (here !== chat && !ALLOWED.includes(here)) {
    console.warn(`${NAME}: ${here} may not embed the chat from ${chat}. Ask its operator to add ${here} to ` +
                 "RAG_ALLOWED_ORIGINS.");
    return;
  }
  const d = script.dataset;
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const fixed = d.theme === "dark" || d.theme === "light" ? d.theme : "";
  const scheme = () => fixed || (dark.matches ? "dark" : "light");
  // The frame checks accent and font itself (it must: anyone can write its URL); here they are only capped.
  const q = new URLSearchParams({parent: here, __theme: scheme()});
  if (d.article) q.set("article", d.article.trim().slice(0, 2000));
  if (d.accent) q.set("accent", d.accent.trim().slice(0, 20));
  if (d.font) q.set("font", d.font.trim().slice(0, 100));
  const compact = "compact" in d && d.compact !== "false";
  if (compact) q.set("compact", "1");

  const frame = document.createElement("iframe");
  frame.src = new URL("embed/?" + q, src).href;
  frame.title = d.title || "Ask about this story";
  frame.loading = "lazy";
  frame.style.cssText = `display:block;width:100%;border:0;height:${compact ? 560 : 760}px`;

  window.addEventListener("message", e => {
    // Only our frame's window, only from the chat's origin: any other window can post to this page.
    if (e.origin !== chat || e.source !== frame.contentWindow) return;
    const m = e.data;
    if (m && m.type === "rag:height" && Number.isFinite(m.height)) {
      frame.style.height = Math.min(Math.max(Math.ceil(m.height), 200), 6000) + "px";
    }
  });
  if (!fixed) {
    dark.addEventListener("change", () => {
      if (frame.contentWindow) frame.contentWindow.postMessage({type: "rag:theme", scheme: scheme()}, chat);
    });
  }

  const place = () => {
    let target = null;
    if (d.target) {
      try { target = document.querySelector(d.target); } catch (err) { target = null; }
      if (!target) console.warn(`${NAME}: no element matches data-target="${d.target}"; the chat goes after the script.`);
    }
    if (target) target.appendChild(frame);
    else if (script.isConnected && !script.closest("head")) script.after(frame);
    else document.body.appendChild(frame);
  };
  if (document.readyState === "loading" && (d.target || script.closest("head"))) {
    document.addEventListener("DOMContentLoaded", place, {once: true});
  } else {
    place();
  }
})();

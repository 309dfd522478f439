// The embed page's script (inlined in /embed/'s <head> by rag/embed.py, after chat.js).
//   - Theme settings from the URL, each checked here (anyone can write this page's URL): ?accent=#rrggbb
//     (button colour; its text black or white, whichever reads at 4.5:1), ?font= (family names only:
//     letters, digits, spaces, commas, quotes, hyphens), ?compact=1. Anything else is ignored.
//   - For the one-line embed (rag/assets/embed.js): the page's height, posted to ?parent= only when that
//     origin is allow-listed and really is the parent; and the colour scheme, accepted only from that
//     parent window and origin.
(() => {
  "use strict";
  const ALLOWED = __RAG_ALLOWED__;  // RAG_ALLOWED_ORIGINS, rendered in by the server
  const params = new URLSearchParams(location.search);
  const root = document.documentElement;
  const HEX = /^#(?:[0-9a-f]{3}){1,2}$/i;
  const FONT = /^[A-Za-z0-9 ,'"-]{1,100}$/;

  const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  function accent(hex) {
    const h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, x => x + x) : hex;
    const rgb = [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
    const lum = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
    const text = 1.05 / (lum + 0.05) >= 4.5 ? "#ffffff" : "#111827";  // white, else near-black (then >= 4.6:1)
    const hover = "#" + rgb.map(c => Math.round(c * 0.85).toString(16).padStart(2, "0")).join("");
    root.style.setProperty("--rag-accent", h);
    root.style.setProperty("--rag-accent-hover", text === "#ffffff" ? hover : h);
    root.style.setProperty("--rag-accent-text", text);
  }
  const a = params.get("accent"), f = params.get("font");
  if (a && HEX.test(a)) accent(a);
  else if (a) console.warn("Embed: ?accent= must be a colour like #0a5cad; ignored.");
  if (f && FONT.test(f)) root.style.setProperty("--font", f);
  else if (f) console.warn("Embed: ?font= must be font family names (letters, digits, spaces, commas); ignored.");
  if (params.get("compact") === "1") root.classList.add("rag-compact");

  const parent = params.get("parent") || "";
  const ancestors = location.ancestorOrigins;  // Chromium and Safari: the real parent's origin
  const real = ancestors && ancestors.length ? ancestors[0] : parent;
  if (window.parent === window || !parent || real !== parent ||
      !(ALLOWED.includes(parent) || parent === location.origin)) return;

  // The content's own height, from our own blocks (rag/chat.py): Gradio's wrappers stretch to fill the
  // frame, so measuring them would only ever grow it.
  const OURS = "#chat, #question, #ask, #examples, .rag-disclaimer, #sources";
  const watched = new WeakSet();
  let last = 0, queued = false;
  function report() {
    queued = false;
    let bottom = 0;
    for (const el of document.querySelectorAll(OURS)) {
      if (!watched.has(el)) { watched.add(el); sizes.observe(el); }
      bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
    }
    const height = Math.ceil(bottom + window.scrollY + 24);
    if (!bottom || Math.abs(height - last) < 2) return;
    last = height;
    window.parent.postMessage({type: "rag:height", height}, parent);  // delivered to that origin only
  }
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(report); } };
  const sizes = new ResizeObserver(soon);
  sizes.observe(root);
  new MutationObserver(soon).observe(root, {subtree: true, childList: true});
  window.addEventListener("message", e => {
    if (e.source !== window.parent || e.origin !== parent) return;
    const m = e.data;
    if (m && m.type === "rag:theme" && (m.scheme === "dark" || m.scheme === "light") && document.body) {
      document.body.classList.toggle("dark", m.scheme === "dark");  // where Gradio puts its dark scheme
    }
  });
})();

// The editors' page: asks for the token once (kept in this tab's sessionStorage, sent only as an
// Authorization header), loads the report and puts the server's escaped fragments in place.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  if (window.top !== window.self) { // other sites may frame the chat, never this page
    document.body.textContent = "The editors' page cannot be shown inside another page.";
    return;
  }
  const KEY = 'rag-admin-token';
  const token = () => sessionStorage.getItem(KEY) || '';
  const say = (text) => { $('status').textContent = text; };

  function showLogin(message) {
    $('view').hidden = true;
    $('login').hidden = false;
    $('login-msg').textContent = message || '';
    $('token').focus();
  }

  async function call(path) {
    const r = await fetch(path, {headers: {Authorization: 'Bearer ' + token()}, cache: 'no-store',
                                 credentials: 'omit'});
    if (r.status === 401) {
      sessionStorage.removeItem(KEY);
      showLogin("That token was not accepted. Enter the editors' token (RAG_ADMIN_TOKEN).");
      throw new Error('401');
    }
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body.error || ('the server answered ' + r.status));
    }
    return r;
  }

  function query() {
    const p = new URLSearchParams({since: $('since').value});
    if ($('article').value) p.set('article', $('article').value);
    return p.toString();
  }

  function fillArticles(items) {
    const select = $('article');
    const chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const a of items) select.add(new Option(a.title ? a.title + ' (' + a.id + ')' : a.id, a.id));
    select.value = chosen;
  }

  async function load() {
    say('Loading…');
    try {
      const data = await (await call('/admin/api/report?' + query())).json();
      $('login').hidden = true;
      $('view').hidden = false;
      for (const name of ['usage', 'asked', 'gaps', 'dislikes']) $(name).innerHTML = data.html[name];
      fillArticles(data.articles);
      const off = data.logging ? '' : ' Question logging is off (RAG_ANALYTICS=0): only ratings are recorded.';
      say(`${data.questions} questions, ${data.refused} refused, from ${data.since} to ${data.until} UTC.${off}`);
    } catch (e) {
      if (e.message !== '401') say('The report could not be loaded: ' + e.message);
    }
  }

  async function download(name) {
    try {
      const r = await call('/admin/api/' + name + '.csv?' + query());
      const m = /filename="([^"]+)"/.exec(r.headers.get('content-disposition') || '');
      const a = document.createElement('a');
      a.href = URL.createObjectURL(await r.blob());
      a.download = m ? m[1] : name + '.csv';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      say('Downloaded ' + a.download + '.');
    } catch (e) {
      if (e.message !== '401') say('The CSV could not be downloaded: ' + e.message);
    }
  }

  async function copy(button) {
    const area = $(button.dataset.for);
    area.select();
    try {
      await navigator.clipboard.writeText(area.value);
    } catch (e) {
      document.execCommand('copy'); // plain http on another host has no clipboard API
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    load();
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('signout').addEventListener('click', () => { sessionStorage.removeItem(KEY); showLogin('Signed out.'); });
  document.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (!button) return;
    if (button.classList.contains('csv')) download(button.dataset.table);
    if (button.classList.contains('copy')) copy(button);
  });
  if (token()) load(); else showLogin('');
})();

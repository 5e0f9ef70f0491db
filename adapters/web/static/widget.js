/*! Switchboard web chat widget. No dependencies. Usage:
 *  <script src="https://bot.example/widget.js" data-position="right" async></script>
 * It adds a launcher button (with an unread badge) that opens the chat in an
 * iframe. Everything lives in a shadow root, so the host page's styles do
 * not reach it and its styles do not leak out. */
(function () {
  'use strict';
  var CFG = __SWITCHBOARD_CONFIG__;
  var script = document.currentScript;
  if (!script || window.__switchboardWidget) return;
  window.__switchboardWidget = true;
  var src = new URL(script.src, location.href);
  var chatOrigin = src.origin;
  var left = script.getAttribute('data-position') === 'left';
  var OPEN_KEY = 'switchboard.widget.open';
  var color = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(CFG.color) ? CFG.color : '#2563eb';
  var lang = pick(document.documentElement.lang || navigator.language);
  var unread = 0, ready = false, open = false;

  function pick(l) {
    l = String(l || '').toLowerCase();
    if (CFG.strings[l]) return l;
    l = l.split('-')[0];
    return CFG.strings[l] ? l : 'en';
  }
  function t(key, n) {
    var s = (CFG.strings[lang] || {})[key] || (CFG.strings.en || {})[key] || key;
    return s.replace('{n}', String(n));
  }
  function remember(v) {
    try { if (v) sessionStorage.setItem(OPEN_KEY, '1'); else sessionStorage.removeItem(OPEN_KEY); } catch (e) { /* no storage */ }
  }
  function remembered() {
    try { return sessionStorage.getItem(OPEN_KEY) === '1'; } catch (e) { return false; }
  }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function icon(cls, d) {
    var ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg'), path = document.createElementNS(ns, 'path');
    svg.setAttribute('class', cls); svg.setAttribute('aria-hidden', 'true'); svg.setAttribute('viewBox', '0 0 24 24');
    path.setAttribute('d', d); svg.append(path);
    return svg;
  }

  var css = [
    ':host { all: initial; }',
    '* { box-sizing: border-box; }',
    '.launcher { position: fixed; bottom: 20px; ' + (left ? 'left' : 'right') + ': 20px; z-index: 2147483000;',
    '  width: 56px; height: 56px; border-radius: 50%; border: 0; padding: 0; cursor: pointer;',
    '  display: flex; align-items: center; justify-content: center;',
    '  background: ' + color + '; color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.25); }',
    '.launcher:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 3px; }',
    '.launcher svg { width: 28px; height: 28px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }',
    '.launcher[aria-expanded="true"] .chat, .launcher[aria-expanded="false"] .x { display: none; }',
    '.badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;',
    '  background: #b91c1c; color: #fff; font: 700 12px/22px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; text-align: center; }',
    '[hidden] { display: none !important; }',
    '.panel { position: fixed; bottom: 88px; ' + (left ? 'left' : 'right') + ': 20px; z-index: 2147483001;',
    '  width: 380px; height: 600px; max-height: calc(100vh - 108px); border-radius: 12px; overflow: hidden;',
    '  background: #fff; box-shadow: 0 8px 32px rgba(0,0,0,.3); }',
    '.panel iframe { display: block; width: 100%; height: 100%; border: 0; }',
    '@media (max-width: 480px) { .panel { top: 0; left: 0; right: 0; bottom: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; } }',
    '@media (prefers-color-scheme: dark) { .panel { background: #1a1d24; } }',
    '@media (prefers-reduced-motion: no-preference) { .panel { animation: sb-pop .16s ease-out; } }',
    '@keyframes sb-pop { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }'
  ].join('\n');

  function mount() {
    var host = el('div', { id: 'switchboard-widget' });
    // Inline properties via the CSSOM are allowed by a host page's CSP.
    host.style.setProperty('all', 'initial', 'important');
    host.style.setProperty('position', 'fixed', 'important');
    host.style.setProperty('z-index', '2147483000', 'important');
    var root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet(); sheet.replaceSync(css); root.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement('style'); style.textContent = css; root.append(style);
    }
    var panel = el('div', { 'class': 'panel', id: 'panel', role: 'dialog', 'aria-label': CFG.title, hidden: '' });
    var frame = el('iframe', { title: CFG.title, referrerpolicy: 'no-referrer' });
    frame.src = new URL('./?embed=1#origin=' + encodeURIComponent(location.origin), src).href;
    panel.append(frame);
    var button = el('button', { type: 'button', 'class': 'launcher', 'aria-expanded': 'false', 'aria-controls': 'panel', hidden: '' });
    // Built node by node, never from an HTML string, so a Trusted Types policy on the host does not block it.
    button.append(icon('chat', 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z'), icon('x', 'M18 6 6 18M6 6l12 12'));
    var badge = el('span', { 'class': 'badge', 'aria-hidden': 'true', hidden: '' });
    button.append(badge);
    root.append(panel, button);
    document.body.append(host);

    function render() {
      badge.hidden = unread < 1;
      badge.textContent = unread > 99 ? '99+' : String(unread);
      var label = t(open ? 'close' : 'open', 0) + (unread > 0 ? ' (' + t('unread', unread) + ')' : '');
      button.setAttribute('aria-label', label);
      button.title = label;
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    function post(msg) { if (frame.contentWindow) frame.contentWindow.postMessage(msg, chatOrigin); }
    function setOpen(v, focus) {
      open = v; remember(v); panel.hidden = !v;
      post({ sb: v ? 'open' : 'closed' });
      if (v) { unread = 0; if (focus) frame.focus(); } else if (focus) button.focus();
      render();
    }
    button.addEventListener('click', function () { setOpen(!open, true); });
    root.addEventListener('keydown', function (ev) { if (ev.key === 'Escape' && open) setOpen(false, true); });
    window.addEventListener('message', function (ev) {
      if (ev.origin !== chatOrigin || ev.source !== frame.contentWindow || !ev.data || typeof ev.data.sb !== 'string') return;
      var d = ev.data;
      if (d.sb === 'ready') {
        ready = true; button.hidden = false;
        if (d.lang) lang = pick(d.lang);
        unread = +d.unread || 0;
        if (remembered()) setOpen(true, false); else post({ sb: 'closed' });
      } else if (d.sb === 'unread') {
        unread = open ? 0 : Math.max(0, +d.count || 0);
      } else if (d.sb === 'lang') {
        lang = pick(d.lang);
      } else if (d.sb === 'close') {
        setOpen(false, true);
      }
      render();
    });
    render();
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();

/**
 * The pages' one script (progressive enhancement: every page works without it). It copies the link-token,
 * checks access-list entries before the form is sent (the server checks them again), and reloads a page
 * whose migrations are running (without it, the page's Refresh link does the same). Kept as a
 * string so the build carries it into dist/; it is served from livelink, never inline, so the pages'
 * Content-Security-Policy can forbid inline script.
 */
export const SCRIPT = String.raw`'use strict';
(function () {
  document.querySelectorAll('[data-js-only]').forEach(function (element) { element.hidden = false; });

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      var status = document.getElementById(button.getAttribute('data-copy-status'));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var say = function (message) { if (status) status.textContent = message; };
      var byHand = function () {
        source.focus();
        if (source.select) source.select();
        var copied = false;
        try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
        say(copied ? 'Copied to the clipboard.' : 'Select the link-token and copy it with your keyboard.');
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { say('Copied to the clipboard.'); }, byHand);
      } else {
        byHand();
      }
    });
  });

  // Reload while something runs, but never under a person's hands: typing in a form, or a click that
  // is taking them elsewhere, stops it (the Refresh link is still there).
  var running = document.querySelector('[data-auto-refresh]');
  if (running) {
    var seconds = Number(running.getAttribute('data-auto-refresh')) || 5;
    var timer = setTimeout(function () { location.reload(); }, seconds * 1000);
    var stop = function () { clearTimeout(timer); };
    ['input', 'change', 'focusin', 'click', 'submit'].forEach(function (type) {
      document.addEventListener(type, function (event) {
        if (type !== 'click' || (event.target && event.target.closest && event.target.closest('a, button, input, select, label'))) stop();
      }, true);
    });
    window.addEventListener('pagehide', stop);
  }

  var IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  var validIpv6 = function (text) {
    if (text.indexOf(':') === -1 || !/^[0-9A-Fa-f:.]+$/.test(text)) return false;
    try { new URL('http://[' + text + ']/'); return true; } catch (error) { return false; }
  };
  var validEntry = function (entry) {
    var parts = entry.split('/');
    if (parts.length > 2) return false;
    var ipv4 = IPV4.test(parts[0]);
    if (!ipv4 && !validIpv6(parts[0])) return false;
    if (parts.length === 1) return true;
    return /^\d{1,3}$/.test(parts[1]) && Number(parts[1]) <= (ipv4 ? 32 : 128);
  };

  document.querySelectorAll('form[data-access-list]').forEach(function (form) {
    var field = form.querySelector('textarea');
    var error = document.getElementById(form.getAttribute('data-access-list'));
    if (!field || !error) return;
    var check = function () {
      var entries = field.value.split(/[\s,]+/).filter(function (entry) { return entry !== ''; });
      var bad = entries.filter(function (entry) { return !validEntry(entry); });
      if (bad.length === 0 && entries.length <= 200) {
        field.removeAttribute('aria-invalid');
        error.textContent = '';
        error.hidden = true;
        return true;
      }
      field.setAttribute('aria-invalid', 'true');
      error.textContent = bad.length > 0
        ? (bad.length === 1 ? bad[0] + ' is not an IP address or CIDR block.' : 'These are not IP addresses or CIDR blocks: ' + bad.join(', ') + '.')
        : 'Enter at most 200 addresses or CIDR blocks.';
      error.hidden = false;
      return false;
    };
    form.addEventListener('submit', function (event) {
      if (!check()) { event.preventDefault(); field.focus(); }
    });
    field.addEventListener('input', function () {
      if (field.getAttribute('aria-invalid') === 'true') check();
    });
  });
})();
`;

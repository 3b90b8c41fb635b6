// Mamori storefront enhancements. Self-hosted, loaded with Subresource Integrity; every page works without it.
(function () {
  'use strict';

  // 郵便番号 → 都道府県・住所: fills the fields of the same group from the shop's own offline lookup.
  function setupPostal(input) {
    var group = input.getAttribute('data-postal');
    var form = input.form;
    if (!form) return;
    var status = document.createElement('p');
    status.className = 'hint postal-status';
    status.setAttribute('aria-live', 'polite');
    input.parentNode.appendChild(status);
    var last = '';
    function lookup() {
      var digits = (input.value || '').normalize('NFKC').replace(/\D/g, '');
      if (digits.length !== 7 || digits === last) return;
      last = digits;
      fetch('/api/postal?code=' + digits, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          var hit = data.results && data.results[0];
          if (!hit) { status.textContent = '該当する住所が見つかりませんでした。'; return; }
          var pref = form.querySelector('[name="' + group + 'prefecture"]');
          var addr = form.querySelector('[name="' + group + 'address1"]');
          if (pref) pref.value = hit.prefecture;
          if (addr && (!addr.value || addr.getAttribute('data-autofilled') === '1')) {
            addr.value = hit.address1;
            addr.setAttribute('data-autofilled', '1');
          }
          status.textContent = hit.prefecture + hit.address1 + ' を入力しました。番地以降を続けて入力してください。';
        })
        .catch(function () { status.textContent = ''; });
    }
    input.addEventListener('input', lookup);
    input.addEventListener('change', lookup);
  }

  // 配送先: show only the fields of the chosen destination.
  function setupShipTo(form) {
    var radios = form.querySelectorAll('input[name="ship_to"]');
    if (!radios.length) return;
    function update() {
      var chosen = form.querySelector('input[name="ship_to"]:checked');
      var value = chosen ? chosen.value : 'orderer';
      form.querySelectorAll('[data-shipto]').forEach(function (el) {
        el.hidden = el.getAttribute('data-shipto') !== value;
      });
    }
    radios.forEach(function (r) { r.addEventListener('change', update); });
    update();
  }

  // Buttons that submit once: a double click never sends two requests.
  function setupSubmitOnce(form) {
    form.addEventListener('submit', function () {
      var buttons = form.querySelectorAll('button[type="submit"][data-once]');
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('input[data-postal]').forEach(setupPostal);
    document.querySelectorAll('form').forEach(function (f) { setupShipTo(f); setupSubmitOnce(f); });
    var summary = document.getElementById('error-summary');
    if (summary) summary.focus();
  });
})();

// Mamori admin console script. Loaded with SRI under a Trusted Types policy: it never writes HTML.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    // Confirm dangerous actions (buttons with data-confirm).
    document.querySelectorAll('[data-confirm]').forEach(function (el) {
      el.addEventListener('click', function (ev) {
        if (!window.confirm(el.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });
  });
})();

// Staff order entry (/orders/new): live totals from the shop's own quote endpoint, the same
// calculation as the storefront. Without this script the "再計算" button does the same.
(function () {
  'use strict';
  var yen = function (n) { return n.toLocaleString('ja-JP') + '円'; };
  function row(label, value) {
    var tr = document.createElement('tr');
    var th = document.createElement('th');
    var td = document.createElement('td');
    th.textContent = label;
    td.textContent = value;
    td.className = 'num';
    tr.append(th, td);
    return tr;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form[data-live-quote]');
    if (!form) return;
    var box = form.querySelector('[data-live-totals]');
    var status = form.querySelector('[data-live-status]');
    var expected = form.querySelector('[data-expected-total]');
    var timer = null;
    var seq = 0;
    function update() {
      var data = new URLSearchParams(new FormData(form));
      data.delete('action');
      var mine = ++seq;
      status.textContent = '計算中…';
      fetch(form.getAttribute('data-live-quote'), { method: 'POST', body: data, headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) { return res.json(); })
        .then(function (body) {
          if (mine !== seq) return;
          if (!body.ok) {
            var errors = body.errors || {};
            var first = body.error || errors[Object.keys(errors)[0]] || '入力内容を確認してください。';
            status.textContent = first;
            expected.value = '';
            return;
          }
          var t = body.totals;
          var table = document.createElement('table');
          table.className = 'totals';
          var tbody = document.createElement('tbody');
          body.lines.forEach(function (l) {
            tbody.append(row(l.name + '（' + l.sku + '）× ' + l.quantity + (l.taxRate === 8 ? ' ※' : ''), yen(l.lineTotalYen) + '（在庫 ' + l.stock + '）'));
          });
          tbody.append(row('商品合計', yen(t.itemsTotalYen)));
          tbody.append(row('送料', t.shippingFeeYen === 0 ? '無料' : yen(t.shippingFeeYen)));
          if (t.codFeeYen > 0) tbody.append(row('代引き手数料', yen(t.codFeeYen)));
          tbody.append(row('お支払い合計（税込）', yen(t.totalYen)));
          tbody.append(row('10%対象', yen(t.taxable10Yen) + '（内消費税 ' + yen(t.tax10Yen) + '）'));
          tbody.append(row('8%対象', yen(t.taxable8Yen) + '（内消費税 ' + yen(t.tax8Yen) + '）'));
          table.append(tbody);
          box.replaceChildren(table);
          expected.value = String(t.totalYen);
          status.textContent = '金額を更新しました。';
        })
        .catch(function () {
          if (mine === seq) status.textContent = '金額を計算できませんでした。「再計算」を押してください。';
        });
    }
    var schedule = function () {
      clearTimeout(timer);
      timer = setTimeout(update, 400);
    };
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
  });
})();

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

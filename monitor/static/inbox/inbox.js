/* The inbox on a phone: the filters fold away so the alerts come first (they stay open
   without JavaScript, on a desk, and whenever a filter is in use). */
(function () {
  "use strict";
  var panel = document.querySelector("details.filters-panel");
  if (!panel || !window.matchMedia("(max-width: 640px)").matches) return;
  var query = new URLSearchParams(window.location.search);
  var filtering = ["agreement", "party", "rule", "severity", "q", "clause"].some(function (name) {
    return query.get(name);
  });
  if (!filtering) panel.open = false;
})();

// leadflow console: a little progressive enhancement. Every page works
// without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Ask before disqualifying: it cannot be undone from here.
  document.querySelectorAll("button.danger").forEach(function (btn) {
    btn.form.addEventListener("submit", function (ev) {
      if (!window.confirm("Disqualify this lead?")) { ev.preventDefault(); }
    });
  });
  // A form posts once however often its button is pressed.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented) { return; }
      if (form.dataset.sent) { ev.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
  // "Select all" for the dead-letter list.
  var all = document.getElementById("select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=m][type=checkbox]").forEach(function (box) { box.checked = all.checked; });
    });
  }
});

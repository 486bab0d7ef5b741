// Arrears: the queues' keyboard. A row cursor moves with j/k, Enter opens the
// case under it, x ticks its checkbox (bulk reassign); the header checkbox
// selects every case on the page. "n" (Next case), "/" (search) and "?" (this
// help) are declared in the page with data-shortcut and handled by arrears.js.
(function () {
  "use strict";
  var cursor = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-table] tbody tr[data-href]"));
  }

  // Keys typed into a field belong to the field; a focused checkbox or button does not take letters.
  function isTyping(target) {
    return target.closest(
      "input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button]), textarea, select, [contenteditable=true]"
    ) !== null;
  }

  function place(index) {
    var list = rows();
    list.forEach(function (row) { row.classList.remove("cursor"); });
    if (!list.length) { cursor = -1; return; }
    cursor = Math.max(0, Math.min(index, list.length - 1));
    var row = list[cursor];
    row.classList.add("cursor");
    row.scrollIntoView({ block: "nearest" });
  }

  function current() {
    var list = rows();
    return cursor >= 0 && cursor < list.length ? list[cursor] : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var row;
    switch (event.key) {
      case "j":
        place(cursor + 1);
        break;
      case "k":
        place(cursor < 0 ? 0 : cursor - 1);
        break;
      case "Enter":
        row = current();
        // Enter on a link, button or checkbox keeps its own meaning.
        if (!row || event.target.closest("a, button, summary, input")) return;
        window.location.assign(row.dataset.href);
        break;
      case "x":
        row = current();
        var box = row && row.querySelector("[data-row-select]");
        if (!box) return;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        break;
      case "Escape":
        document.querySelectorAll("details.shortcuts-help[open]").forEach(function (help) { help.open = false; });
        return;
      default:
        return;
    }
    event.preventDefault();
  });

  // A click in a row puts the cursor there, so the keyboard goes on from where the mouse was.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-queue-table] tbody tr[data-href]");
    if (row) place(rows().indexOf(row));
  });

  // The header checkbox selects (or clears) every case on the page.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-queue-table] [data-row-select]").forEach(function (box) {
        box.checked = target.checked;
      });
    } else if (target.matches("[data-row-select]")) {
      var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-queue-table] [data-row-select]"));
      var all = document.querySelector("[data-queue-table] [data-select-all]");
      if (all) {
        var ticked = boxes.filter(function (box) { return box.checked; }).length;
        all.checked = ticked === boxes.length && ticked > 0;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
    }
  });

  // A new table (filter, sort, page) starts without a cursor.
  document.addEventListener("htmx:afterSwap", function () { cursor = -1; });
})();

// Arrears: small behaviours shared by every page. Keyboard shortcuts are
// declared in the page itself: any element with data-shortcut="k" is clicked
// (or focused, if it is a field) when that key is pressed outside a field.
(function () {
  "use strict";
  function isTyping(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var element = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (!element) return;
    // An open dialog has the keys: nothing behind it is clicked.
    var dialog = document.querySelector("dialog[open]");
    if (dialog && !dialog.contains(element)) return;
    event.preventDefault();
    if (element.matches("input, textarea, select")) element.focus();
    else element.click();
  });
})();

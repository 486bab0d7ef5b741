// The strategy editor: each step row shows only the settings of the action chosen in it.
// The row is brought in line when this script starts too, not only on a change: a quick hand
// (or a browser test) may choose an action before this deferred script has run.
document.querySelectorAll("[data-action-select]").forEach(function (select) {
  function showChosen() {
    select.parentElement.querySelectorAll("[data-action-settings]").forEach(function (box) {
      box.hidden = box.dataset.actionSettings !== select.value;
    });
  }
  select.addEventListener("change", showChosen);
  if (select.value) showChosen();
});

// The strategy editor: each step row shows only the settings of the action chosen in it.
document.querySelectorAll("[data-action-select]").forEach(function (select) {
  select.addEventListener("change", function () {
    select.parentElement.querySelectorAll("[data-action-settings]").forEach(function (box) {
      box.hidden = box.dataset.actionSettings !== select.value;
    });
  });
});

// The case page without the mouse. The keys are declared on the buttons
// themselves (data-shortcut, handled by arrears.js): c log a call, p promise,
// o note, a propose an arrangement, v request a visit, n next case, ? this
// page's keys. This file opens the form a key
// asks for, submits a form on Enter from a list (Ctrl+Enter from a text
// box), lets Esc leave a field so that the keys work again, and after each
// htmx swap puts the focus where the server marked it (data-focus): the
// form that needs the next input, or the message saying what was done.
(function () {
  "use strict";

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function firstField(container, name) {
    if (name) {
      var named = container.querySelector('[name$="-' + name + '"]');
      if (named) return named;
    }
    return container.querySelector(".field-invalid " + FIELDS.split(", ").join(", .field-invalid ")) ||
      container.querySelector(FIELDS);
  }

  function openPane(name) {
    var actions = document.getElementById("case-actions");
    if (!actions) return null;
    var pane = null;
    actions.querySelectorAll("[data-pane]").forEach(function (element) {
      var open = element.getAttribute("data-pane") === name;
      element.hidden = !open;
      if (open) pane = element;
    });
    actions.querySelectorAll("[data-action-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.getAttribute("data-action-tab") === name ? "true" : "false");
    });
    return pane;
  }

  function focusField(field) {
    if (!field) return;
    field.focus();
    if (field.tagName === "INPUT" && field.type !== "date" && typeof field.select === "function") field.select();
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-action-tab]");
    if (tab) {
      var pane = openPane(tab.getAttribute("data-action-tab"));
      if (!pane) return;
      var channel = tab.getAttribute("data-channel");
      if (channel) {
        var select = pane.querySelector('[name$="-channel"]');
        if (select && select.value !== channel) {
          select.value = channel;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
        // The channel is chosen: start on the number to call.
        focusField(firstField(pane, "contact_point"));
      } else {
        focusField(firstField(pane));
      }
      return;
    }
    if (event.target.closest("[data-help-open]")) {
      var help = document.getElementById("case-help");
      if (help && !help.open) help.showModal();
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var form = target.closest("#case-actions form");
    if (!form) return;
    if (event.key === "Escape" && target.matches(FIELDS)) {
      target.blur();
      return;
    }
    if (event.key !== "Enter") return;
    var fromList = target.tagName === "SELECT";
    var fromTextBox = target.tagName === "TEXTAREA" && (event.ctrlKey || event.metaKey);
    if (fromList || fromTextBox) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Keep "who answered" and the outcome consistent as the collector picks them:
  // "No answer" means nobody answered; an SMS, e-mail or letter is a message sent.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var form = target.closest("#form-contact");
    if (!form) return;
    var answeredBy = form.querySelector('[name$="-answered_by"]');
    var outcome = form.querySelector('[name$="-outcome"]');
    if (target === outcome && answeredBy) {
      var fits = JSON.parse(outcome.getAttribute("data-answered-by") || "{}")[outcome.value] || [];
      if (fits.length && fits.indexOf(answeredBy.value) === -1) answeredBy.value = fits[0];
    } else if (target.matches('[name$="-channel"]') && outcome && answeredBy) {
      var messages = JSON.parse(target.getAttribute("data-message-channels") || "[]");
      if (messages.indexOf(target.value) !== -1) {
        outcome.value = "message_sent";
        answeredBy.value = "nobody";
      } else if (outcome.value === "message_sent") {
        outcome.value = "no_answer";
      }
    }
  });

  function focusMarked() {
    var marked = document.querySelector("[data-focus]");
    if (!marked) return;
    marked.removeAttribute("data-focus");
    if (marked.tagName === "FORM") focusField(firstField(marked));
    else marked.focus();
  }

  // The arrangement and visit-request forms open in a dialog over the page
  // (their links load them with htmx); once one changed the case, the server
  // sends "case-changed" and every panel is fetched afresh, out-of-band.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "case-dialog-body") return;
    var dialog = document.getElementById("case-dialog");
    if (!dialog.open) dialog.showModal();
    focusField(firstField(event.detail.target));
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest("#case-dialog [data-dialog-close]");
    if (!close) return;
    event.preventDefault();
    close.closest("dialog").close();
  });
  document.body.addEventListener("case-changed", function () {
    var dialog = document.getElementById("case-dialog");
    if (!dialog) return;
    htmx.ajax("GET", dialog.getAttribute("data-panels-url"), { target: "#case-flash", swap: "none" });
  });

  // After htmx has settled and put back the focus it saved, so that ours wins.
  document.addEventListener("htmx:afterSettle", function () {
    window.setTimeout(focusMarked, 0);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusMarked);
  else focusMarked();
})();

// Drop an e-mail file anywhere on a [data-email-drop] form: the file goes
// into its file input and the form is sent. No inline script (the CSP
// forbids them); the file input also takes a drop on its own.
(function () {
  "use strict";
  function attach(form) {
    var input = form.querySelector("input[type=file]");
    if (!input) {
      return;
    }
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("crm-dragging");
      });
    });
    form.addEventListener("dragleave", function () {
      form.classList.remove("crm-dragging");
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      form.classList.remove("crm-dragging");
      if (!event.dataTransfer || !event.dataTransfer.files.length) {
        return;
      }
      input.files = event.dataTransfer.files;
      form.requestSubmit();
    });
  }
  document.querySelectorAll("[data-email-drop]").forEach(attach);
})();

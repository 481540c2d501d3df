// Show a part of a form only when a choice asks for it: <div data-shown-if="name=value">.
// The server decides what is required; this only keeps the form short while it is filled in.
(function () {
  function update(form) {
    form.querySelectorAll("[data-shown-if]").forEach(function (part) {
      var rule = part.getAttribute("data-shown-if").split("=");
      var chosen = form.querySelector('input[name="' + rule[0] + '"]:checked');
      var values = rule[1].split("|");
      var show = chosen ? values.indexOf(chosen.value) !== -1 : false;
      var erred = part.querySelector(".field--error");
      part.hidden = !(show || erred);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.form) { update(event.target.form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(update);
  });
})();

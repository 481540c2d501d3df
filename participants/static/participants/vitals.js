// The vitals grid warns of a reading past the protocol's safety threshold as it is typed.
// Each reading carries its threshold (data-above / data-below, data-unit, data-vital); the server
// decides what is flagged when the day is saved: this only says it early, and asks for the
// adverse event.
(function () {
  function warningOf(input) {
    var value = input.value.trim() === "" ? NaN : Number(input.value);
    if (isNaN(value)) { return ""; }
    var unit = input.getAttribute("data-unit") || "";
    var above = input.getAttribute("data-above");
    var below = input.getAttribute("data-below");
    if (above !== null && value > Number(above)) { return "Above the threshold of " + above + " " + unit; }
    if (below !== null && value < Number(below)) { return "Below the threshold of " + below + " " + unit; }
    return "";
  }
  function refresh() {
    var prompt = document.getElementById("breach-prompt");
    var list = document.getElementById("breach-list");
    if (!prompt) { return; }
    var found = [];
    document.querySelectorAll("input[data-vital]").forEach(function (input) {
      var text = warningOf(input);
      var out = document.getElementById(input.id + "_warning");
      if (out) { out.textContent = text; out.hidden = !text; }
      input.classList.toggle("breach", !!text);
      if (text) {
        var label = document.querySelector('label[for="' + input.id + '"]');
        found.push((label ? label.textContent : input.getAttribute("data-vital")) + " " + input.value + ": " + text);
      }
    });
    list.replaceChildren.apply(list, found.map(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    prompt.hidden = found.length === 0;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-vital]")) { refresh(); }
  });
  document.addEventListener("DOMContentLoaded", refresh);
})();

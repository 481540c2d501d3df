// The questionnaire's running total, kept up to date as items are answered: the sum of the scores,
// prorated (sum x items / answered) when at most the protocol's number of items is unanswered, no
// total with more, as outcomes/instruments.py derives it when the questionnaire is saved.
(function () {
  "use strict";
  var form = document.getElementById("q-form");
  if (!form) { return; }
  var items = Number(form.dataset.items);
  var maxMissing = Number(form.dataset.maxMissing);
  var value = document.getElementById("q-total-value");
  var detail = document.getElementById("q-total-detail");

  function update() {
    var answered = [];
    for (var n = 1; n <= items; n += 1) {
      var checked = form.querySelector('input[name="item_' + n + '"]:checked');
      if (checked && checked.value !== "") { answered.push(Number(checked.value)); }
    }
    var missing = items - answered.length;
    var sum = answered.reduce(function (a, b) { return a + b; }, 0);
    var total = null;
    if (answered.length && missing <= maxMissing) {
      total = missing === 0 ? sum : Math.round((sum * items / answered.length) * 100) / 100;
    }
    value.textContent = total === null ? "none yet" : String(total);
    var words = "(" + items + " items, " + missing + " unanswered";
    if (total !== null && missing > 0) { words += ", prorated"; }
    if (missing > maxMissing) { words += ": no total with more than " + maxMissing + " unanswered"; }
    detail.textContent = words + ")";
  }

  form.addEventListener("change", update);
  update();
})();

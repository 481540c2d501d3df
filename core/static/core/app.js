// The pages' own script: no build step, loaded after htmx.
// A form answered 400 (field errors) or 409 (a refusal) is still swapped in, or its messages would vanish.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "400", swap: true, error: false },
  { code: "409", swap: true, error: false },
  { code: "[45]..", swap: false, error: true },
];
// After a swap, move focus to the error summary when one arrived, so keyboard and screen-reader users hear it.
document.addEventListener("htmx:afterSwap", function (event) {
  var summary = event.detail.target.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});

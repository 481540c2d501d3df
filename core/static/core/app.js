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
// A refusal htmx does not swap (403, 404, a server error) or a request that never arrived would
// otherwise leave the page as it was, as if it had been saved: say so where everyone hears it.
var REQUEST_FAILED = {
  "403": "You may not do this: nothing was saved. Your roles may have changed since the page opened.",
  "404": "That record was not found: nothing was saved.",
};
function requestFailed(message) {
  var box = document.getElementById("request-failed");
  if (!box) { return; }
  box.textContent = message;
  box.hidden = false;
}
document.addEventListener("htmx:responseError", function (event) {
  var code = String(event.detail.xhr.status);
  requestFailed(REQUEST_FAILED[code] || "The server could not do this (error " + code + "): nothing was saved. Try again, and tell the trial's data manager if it happens again.");
});
document.addEventListener("htmx:sendError", function () {
  requestFailed("The server could not be reached: nothing was saved. Check the connection and try again.");
});
document.addEventListener("htmx:beforeRequest", function () {
  var box = document.getElementById("request-failed");
  if (box) { box.hidden = true; }
});

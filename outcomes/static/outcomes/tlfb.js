// The timeline follow-back calendar, keyboard-first. Without this script the page is a plain form
// (one labelled input per day) that saves the same way. With it: Enter and the arrows move between
// days, W and M fill runs of empty days as abstinent, Ctrl+Z undoes the last entry or fill, Ctrl+Enter
// saves, the count of days entered follows the typing, and marker days are added without a reload.
(function () {
  "use strict";
  var form = document.getElementById("tlfb-form");
  if (!form) { return; }
  var days = Array.prototype.slice.call(form.querySelectorAll("input[data-day]"));
  var save = document.getElementById("tlfb-save");
  if (!days.length || !save) { return; }  // nothing to enter, or a reader's view
  var undoButton = document.getElementById("tlfb-undo");
  var reason = document.getElementById("id_reason");
  var history = [];              // batches of {input, before, after}, the last one undone first
  var committed = new Map();     // each day's value as last entered (what undo returns to)
  days.forEach(function (input, i) {
    input.dataset.index = String(i);
    committed.set(input, input.value);
  });

  function stateOf(value) {
    var text = value.trim();
    if (!text) { return "missing"; }
    if (text === "?") { return "unknown"; }
    return parseFloat(text.replace(",", ".")) === 0 ? "abstinent" : "drinking";
  }

  function changedDay(input) {
    return input.dataset.saved !== "" && input.value.trim() !== input.dataset.saved;
  }

  function paint(input) {
    var cell = input.closest("td");
    cell.classList.remove("state-missing", "state-unknown", "state-abstinent", "state-drinking");
    cell.classList.add("state-" + stateOf(input.value));
    cell.classList.toggle("is-changed", changedDay(input));
  }

  function refresh() {
    var entered = 0;
    var changed = 0;
    days.forEach(function (input) {
      if (input.value.trim()) { entered += 1; }
      if (changedDay(input)) { changed += 1; }
    });
    document.getElementById("tlfb-entered").textContent = String(entered);
    var note = document.getElementById("tlfb-changed");
    note.hidden = changed === 0;
    note.textContent = changed === 0 ? "" :
      "; " + changed + (changed === 1 ? " recorded day changes" : " recorded days change") + ": give the reason below";
    if (reason) {
      reason.setAttribute("aria-required", changed > 0 ? "true" : "false");
      document.getElementById("tlfb-reason").classList.toggle("tlfb-needed", changed > 0);
    }
    undoButton.disabled = history.length === 0;
  }

  function commit(input) {
    var before = committed.get(input);
    if (before === input.value) { return; }
    history.push([{ input: input, before: before, after: input.value }]);
    committed.set(input, input.value);
    paint(input);
    refresh();
  }

  function fill(from, to) {
    var batch = [];
    for (var i = from; i <= to && i < days.length; i += 1) {
      var input = days[i];
      if (!input.value.trim()) {
        batch.push({ input: input, before: input.value, after: "0" });
        input.value = "0";
        committed.set(input, "0");
        paint(input);
      }
    }
    if (batch.length) { history.push(batch); }
    refresh();
  }

  function undo() {
    var active = document.activeElement;
    if (committed.has(active)) { commit(active); }
    var batch = history.pop();
    if (!batch) { return; }
    batch.forEach(function (change) {
      change.input.value = change.before;
      committed.set(change.input, change.before);
      paint(change.input);
    });
    refresh();
    go(Number(batch[0].input.dataset.index));
  }

  function go(i) {
    if (i >= days.length) { save.focus(); return; }
    var input = days[Math.max(i, 0)];
    input.focus();
    input.select();
  }

  function endOfWeek(i) {
    return Math.min(days.length - 1, i + (7 - Number(days[i].dataset.weekday)));
  }

  function nextMarker(i) {
    for (var j = i + 1; j < days.length; j += 1) {
      if (days[j].hasAttribute("data-marker")) { return j; }
    }
    return days.length;
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!committed.has(input)) { return; }
    var i = Number(input.dataset.index);
    var key = event.key;
    if ((event.ctrlKey || event.metaKey) && key === "Enter") {
      event.preventDefault();
      commit(input);
      form.requestSubmit(save);
      return;
    }
    if ((event.ctrlKey || event.metaKey) && (key === "z" || key === "Z")) {
      event.preventDefault();
      undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = null;
    if (key === "Enter") { target = i + 1; }
    else if (key === "ArrowRight") { target = Math.min(i + 1, days.length - 1); }
    else if (key === "ArrowLeft") { target = i - 1; }
    else if (key === "ArrowDown") { target = Math.min(i + 7, days.length - 1); }
    else if (key === "ArrowUp") { target = Math.max(i - 7, 0); }
    else if (key === "w" || key === "W") {
      commit(input);
      fill(i, endOfWeek(i));
      target = endOfWeek(i) + 1;
    } else if (key === "m" || key === "M") {
      commit(input);
      var marker = nextMarker(i);
      fill(i, marker - 1);
      target = marker;
    }
    if (target === null) { return; }
    event.preventDefault();
    commit(input);
    go(target);
  });

  // However a day is reached (Tab, a click, the error summary's link), typing replaces its amount.
  form.addEventListener("focusin", function (event) {
    if (committed.has(event.target)) { event.target.select(); }
  });
  form.addEventListener("input", function (event) {
    if (committed.has(event.target)) { paint(event.target); refresh(); }
  });
  form.addEventListener("change", function (event) {
    if (committed.has(event.target)) { commit(event.target); }
  });
  document.addEventListener("keydown", function (event) {
    // Ctrl+Z outside the days (on a button) undoes too; in the reason or a date it stays the field's own.
    var inField = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if ((event.ctrlKey || event.metaKey) && (event.key === "z" || event.key === "Z") && !inField) {
      event.preventDefault();
      undo();
    }
  });
  undoButton.hidden = false;
  undoButton.addEventListener("click", undo);

  // Marker days the coordinator adds are drawn at once (the typed days stay), and kept in the
  // address and in the form, so saving or reloading keeps them.
  var markerForm = document.getElementById("tlfb-add-marker");
  if (markerForm) {
    markerForm.addEventListener("submit", function (event) {
      var dayField = document.getElementById("id_marker_date");
      var labelField = document.getElementById("id_marker_label");
      var label = labelField.value.trim();
      var input = form.querySelector('input[data-day="' + dayField.value + '"]');
      if (!input || !label) { return; }  // outside the period or incomplete: the server answers
      event.preventDefault();
      addMarker(input, label);
      dayField.value = "";
      labelField.value = "";
      input.focus();
    });
  }

  function addMarker(input, label) {
    var value = input.dataset.day + " " + label;
    input.setAttribute("data-marker", "true");
    var cell = input.closest("td");
    cell.classList.add("has-marker", "marker-holiday");
    var noteId = input.id + "_helptext";
    var note = document.getElementById(noteId);
    if (!note) {
      note = document.createElement("p");
      note.className = "tlfb-note";
      note.id = noteId;
      cell.insertBefore(note, input);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.unshift(noteId);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    note.textContent = note.textContent ? note.textContent + "; " + label : label;
    var item = document.createElement("li");
    var when = document.createElement("strong");
    when.textContent = input.dataset.day;
    item.appendChild(when);
    item.appendChild(document.createTextNode(" " + label));
    document.getElementById("tlfb-marker-list").appendChild(item);
    var none = document.getElementById("tlfb-no-markers");
    if (none) { none.hidden = true; }
    document.querySelectorAll("form").forEach(function (each) {
      if (each.method.toLowerCase() === "post" && each !== form) { return; }
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "marker";
      hidden.value = value;
      each.appendChild(hidden);
    });
    var address = new URL(window.location.href);
    address.searchParams.append("marker", value);
    window.history.replaceState(null, "", address.toString());
  }

  refresh();
  if (!document.querySelector(".error-summary")) {
    var firstEmpty = days.filter(function (input) { return !input.value.trim(); })[0];
    go(Number((firstEmpty || days[0]).dataset.index));
  }
})();

// Rapport's pages: forms and buttons that call the JSON API with the
// session's CSRF token, so every action a page offers is the API's own.
// No inline script anywhere (the CSP allows only this file).
"use strict";

(function () {
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // `a.b` is a field of an object, `a.0` an item of a list.
  function setPath(target, path, value) {
    var keys = path.split(".");
    var at = target;
    for (var i = 0; i < keys.length - 1; i++) {
      if (typeof at[keys[i]] !== "object" || at[keys[i]] === null) {
        at[keys[i]] = /^[0-9]+$/.test(keys[i + 1]) ? [] : {};
      }
      at = at[keys[i]];
    }
    at[keys[keys.length - 1]] = value;
  }

  // A form's fields as the JSON body: numbers for number inputs, booleans
  // for checkboxes, lists for `data-list` fields (one item a line or comma),
  // empty fields left out.
  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === "submit" || field.type === "button") return;
      if (field.type === "checkbox") { setPath(out, field.name, field.checked); return; }
      if (field.type === "radio" && !field.checked) return;
      var value = field.value;
      if (value === "") return;
      if (field.hasAttribute("data-list")) {
        value = value.split(/[\n,]/).map(function (item) { return item.trim(); }).filter(Boolean);
      } else if (field.type === "number" || field.hasAttribute("data-number")) {
        value = Number(value);
      }
      setPath(out, field.name, value);
    });
    return out;
  }

  function message(form, text, ok) {
    var box = form.querySelector("[data-result]") || form.querySelector(".form-error");
    if (!box) { window.alert(text); return; }
    box.className = ok ? "form-ok" : "form-error";
    box.textContent = text;
    box.focus && box.focus();
  }

  function call(method, url, payload) {
    var headers = { "Accept": "application/json" };
    if (csrf()) headers["X-CSRF-Token"] = csrf();
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!response.ok) {
          var reason = json && json.error ? json.error : response.status + " " + response.statusText;
          throw new Error(reason);
        }
        return json;
      });
    });
  }

  function then(element, json) {
    var next = element.getAttribute("data-then") || "reload";
    if (next === "reload") { window.location.reload(); return; }
    if (next.indexOf("go:") === 0) { window.location.assign(next.slice(3)); return; }
    if (next === "show") {
      var field = element.getAttribute("data-show") || "";
      var value = json;
      field.split(".").filter(Boolean).forEach(function (key) { value = value ? value[key] : undefined; });
      if (typeof value === "string" && value.indexOf("/") === 0) {
        value = window.location.origin + value;
      }
      message(element, (element.getAttribute("data-show-label") || "") + (value === undefined ? "Done." : value), true);
    }
  }

  function cell(row, text, numeric, header) {
    var td = document.createElement(header ? "th" : "td");
    if (header) td.setAttribute("scope", "col");
    if (numeric) td.className = "n";
    td.textContent = text;
    row.appendChild(td);
  }

  function score(value) { return value === null || value === undefined ? "–" : String(Math.floor(value)); }

  // A model preview: the summary, accounts per band, the accounts that move.
  function preview(form, json) {
    var box = document.querySelector(form.getAttribute("data-preview"));
    if (!box || !json) return;
    box.textContent = "";
    var summary = document.createElement("p");
    var mean = json.meanChange === null ? "–"
      : Math.abs(json.meanChange) < 0.05 ? "0.0"
      : (json.meanChange > 0 ? "+" : "−") + Math.abs(json.meanChange).toFixed(1);
    var names = {};
    json.bands.forEach(function (band) { names[band.band] = band.name; });
    var band = function (key) { return key ? (names[key] || key) : "No data"; };
    summary.textContent = json.bandChanges + " of " + json.accounts + " active accounts would change band; scores would move " + mean + " points on average.";
    box.appendChild(summary);
    var bands = document.createElement("table");
    var head = bands.insertRow();
    cell(head, "Band", false, true); cell(head, "Accounts now", true, true); cell(head, "After the change", true, true);
    json.bands.forEach(function (band) {
      var row = bands.insertRow();
      cell(row, band.name); cell(row, String(band.current), true); cell(row, String(band.proposed), true);
    });
    box.appendChild(bands);
    var rows = document.createElement("table");
    var caption = rows.createCaption();
    caption.textContent = "Accounts, those changing band first (the first 100)";
    var top = rows.insertRow();
    ["Account", "Score now", "After", "Band now", "Band after"].forEach(function (label, index) { cell(top, label, index === 1 || index === 2, true); });
    json.rows.slice(0, 100).forEach(function (entry) {
      var row = rows.insertRow();
      cell(row, entry.account.name); cell(row, score(entry.current), true); cell(row, score(entry.proposed), true);
      cell(row, band(entry.currentBand)); cell(row, band(entry.proposedBand));
      if (entry.currentBand !== entry.proposedBand) row.className = "moved";
    });
    box.appendChild(rows);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-sign-in")) {
      event.preventDefault();
      var payload = body(form);
      call("POST", "/api/session", payload).then(function () {
        window.location.assign(form.getAttribute("data-next") || "/");
      }).catch(function (error) { message(form, error.message, false); });
      return;
    }
    if (!form.hasAttribute("data-api")) return;
    event.preventDefault();
    // A second submit button may send the same form elsewhere.
    var by = event.submitter && event.submitter.hasAttribute("data-api") ? event.submitter : form;
    var confirmText = by.getAttribute("data-confirm") || form.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) return;
    var method = (by.getAttribute("data-method") || "POST").toUpperCase();
    var submit = event.submitter || form.querySelector("[type=submit]");
    if (submit) submit.disabled = true;
    call(method, by.getAttribute("data-api"), body(form)).then(function (json) {
      var box = form.querySelector(".form-error");
      if (box) box.textContent = "";
      if (by.getAttribute("data-then") === "preview") { preview(form, json); return; }
      then(by, json);
    }).catch(function (error) {
      message(form, error.message, false);
    }).then(function () { if (submit) submit.disabled = false; });
  });

  document.addEventListener("click", function (event) {
    // A submit button with its own address is the form's (see "submit").
    var button = event.target.closest("button[data-api]:not([type=submit])");
    if (button) {
      event.preventDefault();
      var confirmText = button.getAttribute("data-confirm");
      if (confirmText && !window.confirm(confirmText)) return;
      var payload = button.hasAttribute("data-body") ? JSON.parse(button.getAttribute("data-body")) : undefined;
      button.disabled = true;
      call((button.getAttribute("data-method") || "POST").toUpperCase(), button.getAttribute("data-api"), payload)
        .then(function (json) { then(button, json); })
        .catch(function (error) { button.disabled = false; window.alert(error.message); });
      return;
    }
    if (event.target.closest("[data-sign-out]")) {
      event.preventDefault();
      call("DELETE", "/api/session").catch(function () {}).then(function () {
        window.location.assign("/sign-in");
      });
    }
  });

  // An e-mail draft: the mailto link follows the text as it is edited.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-mailto-part")) return;
    var box = field.closest("[data-mailto-draft]");
    if (!box) return;
    var to = box.querySelector('[data-mailto-part="to"]').value;
    var subject = box.querySelector('[data-mailto-part="subject"]').value;
    var text = box.querySelector('[data-mailto-part="body"]').value;
    box.querySelector("a[data-mailto]").setAttribute("href",
      "mailto:" + encodeURIComponent(to).replace(/%40/g, "@").replace(/%2C/g, ",") +
      "?subject=" + encodeURIComponent(subject) + "&body=" + encodeURIComponent(text));
  });
})();

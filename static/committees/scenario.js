/* The scenario's edition page, live: the amount follows rate × eligible base, the rate follows
   amount / base, and the scenario's total, its totals by theme, its average rate and the envelope's
   remaining room follow as one types. The page works without this file: the server recomputes and
   checks every figure on save.
   Money is counted in integer cents (no floating-point sums); numbers are shown in the French format
   ("12 345,67 €") and read with a comma or a dot as the decimal mark. Texts come from the page
   (json_script), already translated; user data is only ever set with textContent or value. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-scenario]");
  if (!form) { return; }

  var node = document.getElementById("scenario-messages");
  var messages = node ? JSON.parse(node.textContent) : {};
  var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
  var percent = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
  var envelopeAmount = parseInt(form.getAttribute("data-envelope-amount"), 10) || 0;
  var committed = parseInt(form.getAttribute("data-committed"), 10) || 0;

  function interpolate(text, values) {
    return (text || "").replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  function clean(value) {
    return (value || "").replace(/[\s\u00a0\u202f€%]/g, "").replace(",", ".");
  }

  /* "12 345,67" or "12345.67" → 1234567 cents (rounded half up); NaN when it is not a number. */
  function cents(value) {
    var text = clean(value);
    if (!/^\d+(\.\d+)?$/.test(text)) { return NaN; }
    var parts = text.split(".");
    var decimals = (parts[1] || "") + "000";
    var result = parseInt(parts[0], 10) * 100 + parseInt(decimals.slice(0, 2), 10);
    return parseInt(decimals.charAt(2), 10) >= 5 ? result + 1 : result;
  }

  /* "37,5" → 3750 (hundredths of a percent, rounded half up); NaN when it is not a number. */
  function basisPoints(value) {
    return cents(value);
  }

  function money(amount) { return euros.format(amount / 100); }

  function inputNumber(amount) {
    return Math.floor(amount / 100) + "," + ("0" + (amount % 100)).slice(-2);
  }

  function rows() {
    return Array.prototype.slice.call(form.querySelectorAll("tr[data-row]"));
  }

  function field(row, name) { return row.querySelector("[data-" + name + "]"); }

  /* The rate shown from the amount and the base, at most two decimals. */
  function showRate(row) {
    var base = cents(field(row, "base").value);
    var amount = cents(field(row, "amount").value);
    field(row, "rate").value = base > 0 && amount >= 0 ? percent.format((amount * 100) / base) : "";
  }

  /* The amount from rate × base, rounded half up to the cent. */
  function showAmount(row) {
    var base = cents(field(row, "base").value);
    var rate = basisPoints(field(row, "rate").value);
    if (base > 0 && rate >= 0) {
      field(row, "amount").value = inputNumber(Math.round((base * rate) / 10000));
    }
  }

  function check(row) {
    var base = cents(field(row, "base").value);
    var amount = cents(field(row, "amount").value);
    var problems = [];
    if (isNaN(base) || isNaN(amount)) {
      problems.push(messages.not_a_number);
    } else {
      if (amount > base) { problems.push(messages.above_base); }
      if (amount > parseInt(row.getAttribute("data-requested"), 10)) { problems.push(messages.above_requested); }
    }
    var included = field(row, "include").checked;
    var note = row.querySelector("[data-row-note]");
    note.textContent = included ? problems.join(", ") : "";
    ["base", "amount"].forEach(function (name) {
      if (included && problems.length) {
        field(row, name).setAttribute("aria-invalid", "true");
      } else {
        field(row, name).removeAttribute("aria-invalid");
      }
    });
    return { included: included, base: base, amount: amount };
  }

  function update() {
    var total = 0;
    var baseTotal = 0;
    var count = 0;
    var themes = {};
    rows().forEach(function (row) {
      var line = check(row);
      row.classList.toggle("included", line.included);
      if (!line.included || isNaN(line.amount) || isNaN(line.base)) { return; }
      var theme = row.getAttribute("data-theme");
      themes[theme] = themes[theme] || { amount: 0, count: 0 };
      themes[theme].amount += line.amount;
      themes[theme].count += 1;
      total += line.amount;
      baseTotal += line.base;
      count += 1;
    });
    form.querySelectorAll("tr[data-theme-row]").forEach(function (row) {
      var sums = themes[row.getAttribute("data-theme-row")] || { amount: 0, count: 0 };
      row.querySelector("[data-theme-amount]").textContent = money(sums.amount);
      row.querySelector("[data-theme-count]").textContent = String(sums.count);
    });
    var remaining = envelopeAmount - committed - total;
    form.querySelector("[data-figure=total]").textContent = money(total);
    form.querySelector("[data-figure=count]").textContent = String(count);
    form.querySelector("[data-figure=rate]").textContent =
      baseTotal > 0 ? percent.format((total * 100) / baseTotal) + "\u00a0%" : "—";
    var remainingCell = form.querySelector("[data-figure=remaining]");
    remainingCell.textContent = money(remaining);
    remainingCell.classList.toggle("overdue", remaining < 0);
    var status = form.querySelector("[data-figure=status]");
    var text = remaining < 0 ? interpolate(messages.exceeds, { amount: money(-remaining) }) : messages.within;
    if (status.textContent !== text) { status.textContent = text; }
    status.classList.toggle("overdue", remaining < 0);
  }

  form.addEventListener("input", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (!row) { return; }
    if (event.target.hasAttribute("data-rate")) {
      showAmount(row);
    } else if (event.target.hasAttribute("data-amount") || event.target.hasAttribute("data-base")) {
      showRate(row);
    }
    /* Typing a figure for a dossier includes it. */
    if (!event.target.hasAttribute("data-include")) { field(row, "include").checked = true; }
    update();
  });
  form.addEventListener("change", update);

  update();
})();

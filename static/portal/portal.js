/* The sponsor portal's progressive enhancements. Every page works without this file:
   - the error summary takes the focus, so that screen readers announce it;
   - commune boxes become an autocomplete (ARIA combobox with a listbox, arrow keys, Enter, Escape);
   - the financing plan shows its totals, balance and self-financing share while typing, and lines
     can be added without reloading the page.
   Texts come from the page (json_script), already translated; user data is only ever set with
   textContent or value, never as HTML. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "fr";

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function interpolate(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  var messages = readJSON("portal-messages");

  document.querySelectorAll("[data-nojs-only]").forEach(function (node) { node.hidden = true; });

  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  /* Communes -------------------------------------------------------------------------------------- */

  var comboboxCount = 0;

  function setupCommune(input) {
    var picker = input.closest("[data-commune-picker]") || input.parentNode;
    var insee = picker.querySelector("[data-commune-insee]");
    var multiple = input.hasAttribute("data-multiple");
    var list = multiple ? input.closest("[data-commune-list]") : null;
    var url = input.getAttribute("data-commune-autocomplete");
    var id = (input.id || "commune") + "-options";
    comboboxCount += 1;

    var listbox = document.createElement("ul");
    listbox.id = id;
    listbox.className = "commune-options";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", messages.communes_list || "");
    listbox.hidden = true;
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", listbox);
    listbox.insertAdjacentElement("afterend", status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    var results = [];
    var active = -1;
    var timer = null;
    var lastQuery = "";

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function setInsee(code, label) {
      if (!insee) { return; }
      if (insee.tagName === "SELECT") {
        var found = Array.prototype.some.call(insee.options, function (option) { return option.value === code; });
        if (!found) { insee.add(new Option(label, code)); }
      }
      insee.value = code;
    }

    function addChosen(result) {
      var chosen = list.querySelector("[data-chosen]");
      var name = list.getAttribute("data-name");
      var exists = chosen.querySelector("input[value='" + result.insee.replace(/[^0-9AB]/g, "") + "']");
      if (exists) {
        exists.checked = true;
      } else {
        var empty = chosen.querySelector("[data-empty]");
        if (empty) { empty.remove(); }
        var item = document.createElement("li");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = name;
        box.value = result.insee;
        box.checked = true;
        box.id = input.id + "_chosen_" + result.insee;
        var label = document.createElement("label");
        label.className = "inline";
        label.htmlFor = box.id;
        label.textContent = " " + result.label;
        item.appendChild(box);
        item.appendChild(label);
        chosen.appendChild(item);
      }
      input.value = "";
      setInsee("", "");
      status.textContent = interpolate(messages.commune_added || "", { commune: result.label });
    }

    function choose(index) {
      var result = results[index];
      if (!result) { return; }
      if (multiple) {
        addChosen(result);
      } else {
        input.value = result.label;
        setInsee(result.insee, result.label);
      }
      close();
    }

    function render() {
      listbox.textContent = "";
      results.forEach(function (result, index) {
        var option = document.createElement("li");
        option.id = id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = result.label + " — " + result.insee;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        listbox.appendChild(option);
      });
      var open = results.length > 0;
      listbox.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      if (!results.length) {
        status.textContent = messages.no_commune || "";
      } else {
        status.textContent = interpolate(
          results.length === 1 ? messages.one_commune || "" : messages.communes_found || "",
          { count: results.length }
        );
      }
    }

    function search() {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (query.length < 2) {
        results = [];
        close();
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (input.value.trim() !== query) { return; }
          results = data.results || [];
          render();
        })
        .catch(function () { results = []; close(); });
    }

    input.addEventListener("input", function () {
      if (!multiple) { setInsee("", ""); }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && results.length) { render(); }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        } else if (open && results.length === 1) {
          event.preventDefault();
          choose(0);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.querySelectorAll("[data-commune-autocomplete]").forEach(setupCommune);

  /* Financing plan -------------------------------------------------------------------------------- */

  var plan = document.querySelector("form[data-plan]");
  if (!plan) { return; }
  var planMessages = readJSON("plan-messages");
  var euros = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 2 });
  var publicLaw = plan.getAttribute("data-public-law") === "true";
  var minRate = parseFloat(plan.getAttribute("data-min-rate") || "0");
  var regionKind = plan.getAttribute("data-region-kind");
  var ownKind = plan.getAttribute("data-own-kind");
  var privateKind = plan.getAttribute("data-private-kind");

  /* Cents as integers: no floating-point sums of money. */
  function cents(value) {
    var text = (value || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{0,2})?$/.test(text)) { return 0; }
    var parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function money(amount) { return euros.format(amount / 100); }

  function field(row, suffix) { return row.querySelector("[name$='-" + suffix + "']"); }

  function removed(row) {
    var box = field(row, "DELETE");
    var isRemoved = Boolean(box && box.checked);
    row.classList.toggle("removed", isRemoved);
    return isRemoved;
  }

  function rows(name) {
    return Array.prototype.slice.call(plan.querySelectorAll("[data-formset='" + name + "'] [data-rows] [data-row]"));
  }

  function compute() {
    var totals = { cost: 0, eligible: 0, funding: 0, region: 0, own: 0, public: 0 };
    rows("expenses").forEach(function (row) {
      if (removed(row)) { return; }
      var amount = cents(field(row, "amount").value);
      totals.cost += amount;
      if (field(row, "is_eligible").checked) { totals.eligible += amount; }
    });
    rows("funding").forEach(function (row) {
      if (removed(row)) { return; }
      var kind = field(row, "funder_kind").value;
      var amount = cents(field(row, "amount").value);
      if (!kind) { return; }
      totals.funding += amount;
      if (kind === regionKind) { totals.region += amount; }
      if (kind === ownKind) { totals.own += amount; }
      if (kind !== privateKind) { totals.public += amount; }
    });
    return totals;
  }

  function statusLines(totals) {
    if (totals.cost === 0 && totals.funding === 0) { return [planMessages.empty]; }
    var lines = [];
    var balance = totals.funding - totals.cost;
    if (balance === 0) {
      lines.push(planMessages.balanced);
    } else if (balance < 0) {
      lines.push(interpolate(planMessages.missing, { amount: money(-balance) }));
    } else {
      lines.push(interpolate(planMessages.surplus, { amount: money(balance) }));
    }
    if (totals.region > totals.eligible) {
      lines.push(interpolate(planMessages.region_above, { region: money(totals.region), eligible: money(totals.eligible) }));
    }
    if (publicLaw) {
      var exemption = plan.querySelector("[name='self_financing_exemption']");
      if (exemption && exemption.value) {
        lines.push(planMessages.self_exempt);
      } else if (totals.public === 0) {
        lines.push(planMessages.self_none);
      } else {
        /* own >= minRate × public, on integers (rate in ten-thousandths, amounts in cents). */
        var met = totals.own * 10000 >= Math.round(minRate * 10000) * totals.public;
        lines.push(interpolate(met ? planMessages.self_ok : planMessages.self_short, {
          share: percent.format(totals.own / totals.public),
          minimum: percent.format(minRate)
        }));
      }
    }
    return lines;
  }

  var statusList = plan.querySelector("[data-status]");
  var origin = plan.querySelector("[data-summary-origin]");
  var statusTimer = null;

  function update() {
    var totals = compute();
    Object.keys(totals).forEach(function (name) {
      var cell = plan.querySelector("[data-total='" + name + "']");
      if (cell) { cell.textContent = money(totals[name]); }
    });
    if (origin) { origin.textContent = planMessages.live || ""; }
    /* The live region is only rewritten once typing pauses, so that it is not read at every key. */
    window.clearTimeout(statusTimer);
    statusTimer = window.setTimeout(function () {
      var lines = statusLines(totals);
      statusList.textContent = "";
      lines.forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        statusList.appendChild(item);
      });
    }, 400);
  }

  plan.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var template = plan.querySelector("template[data-empty-row='" + name + "']");
    var total = plan.querySelector("[name='" + name + "-TOTAL_FORMS']");
    var body = plan.querySelector("[data-formset='" + name + "'] [data-rows]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("tbody");
      holder.innerHTML = html;
      var row = holder.querySelector("[data-row]");
      body.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input[type=text], select");
      if (first) { first.focus(); }
      update();
    });
  });

  plan.addEventListener("input", update);
  plan.addEventListener("change", update);
  update();
})();

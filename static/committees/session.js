// The session page: a "select all" box over the reviewed dossiers (the page works without it).
document.querySelectorAll("form[data-select-all]").forEach((form) => {
  const cell = form.querySelector("thead th");
  const boxes = () => form.querySelectorAll("tbody input[type=checkbox]");
  if (!cell || boxes().length < 2) return;
  const all = document.createElement("input");
  all.type = "checkbox";
  all.setAttribute("aria-label", form.dataset.selectAll);
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  cell.append(all);
});

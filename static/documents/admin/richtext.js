// A small rich text editor for the letter texts' paragraphs in the admin: bold, italic, underline,
// lists, paragraphs. It edits a copy of the textarea's HTML and writes it back on submit; the server
// sanitises whatever it receives (nh3), so this is a convenience, never a safeguard.
(function () {
  "use strict";
  var BUTTONS = [
    ["bold", "B", "Gras"],
    ["italic", "I", "Italique"],
    ["underline", "U", "Souligné"],
    ["insertUnorderedList", "• Liste", "Liste à puces"],
    ["insertOrderedList", "1. Liste", "Liste numérotée"],
    ["removeFormat", "Effacer la mise en forme", "Effacer la mise en forme"],
  ];

  function enhance(textarea) {
    var wrapper = document.createElement("div");
    wrapper.className = "richtext";
    var toolbar = document.createElement("div");
    toolbar.className = "richtext-toolbar";
    toolbar.setAttribute("role", "toolbar");
    var editor = document.createElement("div");
    editor.className = "richtext-editor";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent : "");
    editor.innerHTML = textarea.value;
    BUTTONS.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[1];
      button.title = spec[2];
      button.addEventListener("click", function () {
        editor.focus();
        document.execCommand(spec[0], false, null);
        textarea.value = editor.innerHTML;
      });
      toolbar.appendChild(button);
    });
    var source = document.createElement("button");
    source.type = "button";
    source.textContent = "HTML";
    source.title = "Voir ou modifier le code";
    source.addEventListener("click", function () {
      var showing = textarea.style.display !== "none";
      if (showing) {
        editor.innerHTML = textarea.value;
      } else {
        textarea.value = editor.innerHTML;
      }
      textarea.style.display = showing ? "none" : "";
      editor.style.display = showing ? "" : "none";
    });
    toolbar.appendChild(source);
    editor.addEventListener("input", function () {
      textarea.value = editor.innerHTML;
    });
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(toolbar);
    wrapper.appendChild(editor);
    wrapper.appendChild(textarea);
    textarea.style.display = "none";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-richtext]").forEach(enhance);
  });
})();

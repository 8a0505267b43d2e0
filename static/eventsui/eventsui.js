// eventsui keyboard shortcuts. Loaded with defer from 'self' (the CSP allows
// nothing inline). The page works without this file; it only adds shortcuts:
//   /      focus the Pattern box
//   j / k  move to the next / previous event row
//   [ / ]  previous / next page
(function () {
  "use strict";

  function typingInto(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "select" || tag === "textarea" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.events tbody tr"));
  }

  function moveRow(step) {
    var all = rows();
    if (!all.length) return;
    var current = all.indexOf(document.activeElement);
    var next = current === -1 ? (step > 0 ? 0 : all.length - 1) : current + step;
    next = Math.max(0, Math.min(all.length - 1, next));
    all[next].setAttribute("tabindex", "-1");
    all[next].focus();
  }

  function followPageLink(label) {
    var links = document.querySelectorAll("nav.pagination a");
    for (var i = 0; i < links.length; i++) {
      if (links[i].textContent.trim() === label) {
        links[i].click();
        return;
      }
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInto(event.target)) return;
    switch (event.key) {
      case "/": {
        var pattern = document.getElementById("id_pattern");
        if (pattern) {
          event.preventDefault();
          pattern.focus();
          pattern.select();
        }
        break;
      }
      case "j": moveRow(1); break;
      case "k": moveRow(-1); break;
      case "[": followPageLink("Previous"); break;
      case "]": followPageLink("Next"); break;
      default: return;
    }
  });
})();

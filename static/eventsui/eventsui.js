// eventsui keyboard shortcuts. Loaded with defer from 'self' (the CSP allows
// nothing inline). The page works without this file; it only adds shortcuts:
//   /      focus the Pattern box (the Name box on the jobs page)
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
    return Array.prototype.slice.call(document.querySelectorAll("table.events > tbody > tr"));
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
        var pattern = document.getElementById("id_pattern") || document.getElementById("id_name");
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

// Time navigation (eventsui/timeline/zones.py, ranges.py, range_links.py).
// The server prints every time, in the viewer's zone; this only tells it which:
//   - the browser's IANA zone goes into the `tz` cookie; a timeline page that
//     was rendered without it is reloaded once, now in that zone;
//   - the UTC / local toggle writes the `tzmode` cookie and reloads;
//   - "Copy link" copies the view's link with fixed times (the link is also
//     shown in a read-only box, for copying by hand without JavaScript);
//   - the From/To pickers follow the results (a preset, a histogram bar), and
//     while they still show the resolved times of a relative range the form
//     sends `range` instead, so "Last hour" stays relative when a filter changes.
(function () {
  "use strict";

  var ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;
  var YEAR = 31536000;
  // The names of UTC itself (zones.UTC_NAMES): such a browser sees the UTC page as it is.
  var UTC_NAMES = ["UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"];

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return parts[i].slice(eq + 1);
    }
    return null;
  }

  function writeCookie(name, value) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = name + "=" + value + "; path=/; max-age=" + YEAR + "; SameSite=Lax" + secure;
  }

  function browserZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return null;
    }
    return typeof zone === "string" && zone.length <= 64 && ZONE.test(zone) ? zone : null;
  }

  (function syncZoneCookie() {
    var zone = browserZone();
    if (!zone || readCookie("tz") === zone) return;
    writeCookie("tz", zone);
    // Cookies refused: the page stays in UTC, and says so. Once written, the
    // check above stops any second reload.
    if (readCookie("tz") !== zone) return;
    var marker = document.querySelector("[data-viewer-zone]");
    if (!marker || UTC_NAMES.indexOf(zone) !== -1) return;
    if (marker.getAttribute("data-browser-zone") !== zone) {
      // The reload keeps the #ev-... fragment; the browser's own scroll
      // restoration would put the page back where it was, so scrollToMark
      // below places the marked row instead.
      if ("scrollRestoration" in history) history.scrollRestoration = "manual";
      location.reload();
    }
  })();

  // A link with #ev-... (Show in context, a shared link) lands on the marked
  // row: the browser scrolls to it on a first load, and this does it again
  // after the zone reload above and wherever the browser did not.
  (function scrollToMark() {
    var id = location.hash.slice(1);
    if (!/^ev-[0-9a-f]{12}(-[0-9]+)?$/.test(id)) return;
    var row = document.getElementById(id);
    if (row) row.scrollIntoView({ block: "center" });
  })();

  function revealCopyButtons(root) {
    var buttons = (root && root.querySelectorAll ? root : document).querySelectorAll("button.copy-link[hidden]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  function copyLink(button) {
    var box = button.parentNode.querySelector("input.share-url");
    var status = button.parentNode.querySelector(".copy-status");
    function say(text) {
      if (status) status.textContent = text;
    }
    function byHand() {
      if (box) {
        box.focus();
        box.select();
      }
      say("Press Ctrl+C (⌘C on a Mac) to copy the selected link.");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(button.getAttribute("data-copy-url")).then(function () {
        say("Link copied.");
      }, byHand);
    } else {
      byHand();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var toggle = target.closest("button.zone-toggle");
    if (toggle) {
      writeCookie("tzmode", toggle.getAttribute("data-tzmode") === "utc" ? "utc" : "local");
      location.reload();
      return;
    }
    var copy = target.closest("button.copy-link");
    if (copy) copyLink(copy);
  });

  document.addEventListener("focusin", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.classList.contains("share-url")) {
      event.target.select();
    }
  });

  // A datetime-local input reports 10:00:00 as 10:00: compare without zero seconds.
  function sameTime(a, b) {
    function norm(text) {
      return String(text || "").replace(/^(.*T\d\d:\d\d):00(\.0+)?$/, "$1");
    }
    return norm(a) === norm(b);
  }

  function pickerPairs() {
    return [["id_start_time", "data-picker-start"], ["id_end_time", "data-picker-end"]];
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var section = event.target;
    if (!section || section.id !== "results" || !section.hasAttribute("data-range")) return;
    pickerPairs().forEach(function (pair) {
      var input = document.getElementById(pair[0]);
      if (input && input !== document.activeElement) input.value = section.getAttribute(pair[1]);
    });
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var section = document.getElementById("results");
    var params = event.detail.parameters;
    var range = section && section.getAttribute("data-range");
    if (!range || params.range !== undefined || params.start_time === undefined) return;
    var unchanged = pickerPairs().every(function (pair) {
      return sameTime(params[pair[0].slice(3)], section.getAttribute(pair[1]));
    });
    if (unchanged) {
      delete params.start_time;
      delete params.end_time;
      params.range = range;
    }
  });

  revealCopyButtons(document);
  document.addEventListener("htmx:load", function (event) {
    revealCopyButtons(event.target);
  });
})();

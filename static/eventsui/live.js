// Live tail for the timeline (eventsui/timeline/live.py). Loaded with defer from
// 'self'; nothing inline, no eval. A page with live=1 holds #live-tail-poll in its
// results. This file fires it ("livepoll") every few seconds while the tab is
// visible; htmx then asks the live endpoint for the rows newer than the cursor in
// the poller's URL and swaps in the next poller, which carries them in a
// <template>. They go into the table at once while the reader is at the newest
// rows (the top when newest first, the bottom when oldest first), and wait behind
// a "N new events" button while the reader is elsewhere. The status line says
// whether live mode is on, paused or stopped.
(function () {
  "use strict";

  var MAX_ROWS = 1000; // the oldest rows leave the page beyond this
  var HIDDEN = "Live: paused while this tab is hidden. It catches up when you come back.";
  var AWAY = "Live: paused while you read older events. New ones wait behind the button.";

  var timer = null;
  var waiting = []; // rows that arrived while the reader was away, oldest first
  var stopped = false;
  var serverMessage = null; // the last message the server sent with a poll
  var onText = "";
  var shown = "";
  var shell = null; // the table of the last answer, for a page that had none

  function region() { return document.getElementById("live-tail"); }
  function poller() { return document.getElementById("live-tail-poll"); }
  function tbody() { return document.querySelector("#results table.events > tbody"); }
  function newestFirst() {
    var live = region();
    return !live || live.getAttribute("data-live-order") !== "asc";
  }

  // Whether the reader has moved away from the newest rows.
  function away() {
    var body = tbody();
    if (!body || !body.rows.length) return false;
    if (newestFirst()) {
      // Under the sticky header cells counts as out of sight.
      var first = body.rows[0].getBoundingClientRect();
      var head = body.parentNode.querySelector("thead th");
      var top = head ? Math.max(0, head.getBoundingClientRect().bottom) : 0;
      return first.top + first.height / 2 < top;
    }
    var last = body.rows[body.rows.length - 1].getBoundingClientRect();
    return last.top + last.height / 2 > window.innerHeight;
  }

  function highlight(row) {
    row.classList.add("live-tail-arrived");
    var done = function () { row.classList.remove("live-tail-arrived"); };
    row.addEventListener("animationend", done, { once: true });
    window.setTimeout(done, 5000); // should no animation run at all
  }

  function ensureBody() {
    var body = tbody();
    if (body || !shell) return body;
    // The page said "no events match": the answer's table takes its place.
    var table = shell.cloneNode(true);
    var rows = table.querySelector("tbody");
    while (rows.firstChild) rows.removeChild(rows.firstChild);
    var empty = document.querySelector("#results p.empty");
    if (empty) {
      empty.parentNode.replaceChild(table, empty);
    } else {
      var pages = document.querySelector("#results nav.pagination");
      pages.parentNode.insertBefore(table, pages);
    }
    return rows;
  }

  // Put rows (oldest first) into the table; reveal scrolls to them and focuses the newest.
  function place(rows, reveal) {
    var body = ensureBody();
    if (!body || !rows.length) return;
    // The results region is a polite live region; the status line speaks for
    // the new rows, which would otherwise be read out as they arrive.
    body.setAttribute("aria-live", "off");
    var desc = newestFirst();
    rows.forEach(function (row) {
      if (desc) body.insertBefore(row, body.firstChild);
      else body.appendChild(row);
      highlight(row);
      if (window.htmx) window.htmx.process(row);
    });
    while (body.rows.length > MAX_ROWS) {
      body.removeChild(desc ? body.rows[body.rows.length - 1] : body.rows[0]);
    }
    var newest = rows[rows.length - 1];
    if (reveal) {
      newest.scrollIntoView({ block: desc ? "start" : "end" });
      newest.setAttribute("tabindex", "-1");
      newest.focus({ preventScroll: true });
    } else if (!desc) {
      newest.scrollIntoView({ block: "end" }); // keep following the bottom
    }
  }

  function flush(reveal) {
    var rows = waiting;
    waiting = [];
    place(rows, reveal);
    update();
  }

  function arrive(fragment) {
    var table = fragment.querySelector("table.events");
    if (!table) return;
    shell = table;
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody > tr"));
    if (newestFirst()) rows.reverse();
    rows = rows.filter(function (row) {
      return !document.getElementById(row.id) && !waiting.some(function (w) { return w.id === row.id; });
    });
    if (!rows.length) return;
    if (waiting.length || away()) {
      waiting = waiting.concat(rows);
    } else {
      place(rows, false);
    }
  }

  function setStatus(state, nodes, key) {
    var status = document.getElementById("live-tail-status");
    if (!status || shown === key) return;
    shown = key;
    status.setAttribute("data-live", state);
    status.replaceChildren.apply(status, nodes);
  }

  function update() {
    var button = document.getElementById("live-tail-new");
    if (button) {
      var n = waiting.length;
      button.hidden = n === 0;
      button.textContent = "Show " + n + " new event" + (n === 1 ? "" : "s");
    }
    var message = serverMessage;
    if (stopped && message) {
      setStatus("stopped", Array.prototype.map.call(message.childNodes, function (n) {
        return n.cloneNode(true);
      }), "stopped:" + message.textContent);
    } else if (stopped) {
      setStatus("stopped", [document.createTextNode("Live: stopped.")], "stopped");
    } else if (document.visibilityState !== "visible") {
      setStatus("paused", [document.createTextNode(HIDDEN)], "hidden");
    } else if (away() || waiting.length) {
      setStatus("paused", [document.createTextNode(AWAY)], "away");
    } else if (message) {
      setStatus("on", [document.createTextNode(message.textContent)], "on:" + message.textContent);
    } else {
      setStatus("on", [document.createTextNode(onText)], "on");
    }
  }

  function tick() {
    var poll = poller();
    if (!poll || stopped) {
      // No poller any more: the last answer was not one (a page of its own).
      stopped = true;
      stop();
      return update();
    }
    if (document.visibilityState !== "visible") return update();
    if (poll.classList.contains("htmx-request") || !window.htmx) return;
    window.htmx.trigger(poll, "livepoll");
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    document.documentElement.classList.remove("live-tail-on");
  }

  // A fresh results region: forget the last one's state and follow this one.
  function start(live) {
    stop();
    waiting = [];
    stopped = false;
    serverMessage = null;
    shell = null;
    shown = "";
    var poll = poller();
    if (!live || !poll) return;
    // The page says live tail needs JavaScript; with it running, it is on.
    var status = document.getElementById("live-tail-status");
    onText = (status && status.getAttribute("data-live-on")) || "";
    // Rows put above the reader must not make the browser scroll to keep its place.
    document.documentElement.classList.add("live-tail-on");
    var seconds = Number(live.getAttribute("data-live-seconds")) || 3;
    timer = window.setInterval(tick, seconds * 1000);
    update();
  }

  // A poll's answer: the next poller, with new rows and maybe a message.
  function answered(poll) {
    var message = poll.querySelector(".live-tail-message");
    serverMessage = message;
    var rows = poll.querySelector("template.live-tail-rows");
    if (rows) arrive(rows.content);
    if (poll.getAttribute("data-live-state") !== "on") {
      stopped = true;
      stop();
    }
    update();
  }

  function loaded(elt) {
    // An answer to a poller a filter change has already replaced lands outside the page.
    if (!elt || !elt.querySelector || !document.body.contains(elt)) return;
    if (elt.id === "live-tail-poll") return answered(elt);
    if (elt.id === "results" || elt === document.body || elt.querySelector("#results")) {
      start(region());
    }
  }

  function init() {
    window.htmx.onLoad(loaded);
    document.addEventListener("htmx:afterRequest", function (event) {
      var elt = event.detail && event.detail.elt;
      if (!elt || elt.id !== "live-tail-poll") return;
      if (event.detail.xhr && event.detail.xhr.status === 204) {
        serverMessage = null; // nothing new, and nothing wrong
        update();
      }
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("#live-tail-new");
      if (button) flush(true);
    });
    document.addEventListener("visibilitychange", function () {
      update();
      if (document.visibilityState === "visible" && timer !== null) tick();
    });
    var pending = false;
    window.addEventListener("scroll", function () {
      if (pending || !region()) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        if (waiting.length && !away()) flush(false);
        else update();
      });
    }, { passive: true });
  }

  if (window.htmx) init();
})();

// The event histogram (eventsui/timeline/histogram.py, templates/timeline/histogram.html).
// Loaded with defer from 'self' (the CSP allows nothing inline). The chart works
// without this file: every bar is a link. With it:
//   - the bars are one Tab stop (roving tabindex): arrow keys, Home and End move
//     between them, Enter opens the focused bar's range;
//   - dragging across bars opens the range from the first to the last bar
//     touched: the server wrote each bar's start and end (data-start, data-end)
//     and the URL whose start_time and end_time to set (data-select-url).
(function () {
  "use strict";

  var DRAG_PIXELS = 5;

  function barsOf(svg) {
    return Array.prototype.slice.call(svg.querySelectorAll("a.hist-bar"));
  }

  function focusBar(bars, index) {
    index = Math.max(0, Math.min(bars.length - 1, index));
    bars.forEach(function (bar, i) {
      bar.setAttribute("tabindex", i === index ? "0" : "-1");
    });
    bars[index].focus();
  }

  function onKey(svg, event) {
    var bars = barsOf(svg);
    var current = bars.indexOf(event.target.closest ? event.target.closest("a.hist-bar") : null);
    if (current === -1) return;
    var next;
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": next = current + 1; break;
      case "ArrowLeft": case "ArrowUp": next = current - 1; break;
      case "Home": next = 0; break;
      case "End": next = bars.length - 1; break;
      default: return;
    }
    event.preventDefault();
    focusBar(bars, next);
  }

  // The x of a pointer event in the SVG's own units.
  function svgX(svg, event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var matrix = svg.getScreenCTM();
    return matrix ? point.matrixTransform(matrix.inverse()).x : 0;
  }

  // The bar under (or nearest to) x.
  function barAt(bars, x) {
    var best = 0;
    var distance = Infinity;
    bars.forEach(function (bar, i) {
      var hit = bar.querySelector(".hist-hit");
      var left = parseFloat(hit.getAttribute("x"));
      var right = left + parseFloat(hit.getAttribute("width"));
      var d = x < left ? left - x : x > right ? x - right : 0;
      if (d < distance) {
        distance = d;
        best = i;
      }
    });
    return best;
  }

  function enableDrag(svg) {
    var template = svg.getAttribute("data-select-url");
    if (!template) return;
    var drag = null;
    var dragged = false;
    var selection = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    selection.setAttribute("class", "hist-selection");
    selection.setAttribute("y", "0");
    selection.setAttribute("height", svg.viewBox.baseVal.height);
    selection.setAttribute("visibility", "hidden");
    svg.appendChild(selection);

    function span(bars, from, to) {
      var lo = Math.min(from, to);
      var hi = Math.max(from, to);
      var first = bars[lo].querySelector(".hist-hit");
      var last = bars[hi].querySelector(".hist-hit");
      var left = parseFloat(first.getAttribute("x"));
      var right = parseFloat(last.getAttribute("x")) + parseFloat(last.getAttribute("width"));
      selection.setAttribute("x", left);
      selection.setAttribute("width", right - left);
      selection.setAttribute("visibility", "visible");
      return [lo, hi];
    }

    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || !event.isPrimary) return;
      var bars = barsOf(svg);
      if (!bars.length) return;
      // No native link drag or text selection: the drag is ours.
      event.preventDefault();
      drag = { bars: bars, from: barAt(bars, svgX(svg, event)), x: event.clientX, id: event.pointerId };
      dragged = false;
    });

    svg.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      if (!dragged && Math.abs(event.clientX - drag.x) < DRAG_PIXELS) return;
      if (!dragged) {
        dragged = true;
        svg.setPointerCapture(event.pointerId);
      }
      span(drag.bars, drag.from, barAt(drag.bars, svgX(svg, event)));
    });

    function end(event, open) {
      if (!drag || event.pointerId !== drag.id) return;
      var current = drag;
      drag = null;
      if (!dragged) return; // a click: the bar's own link
      var range = span(current.bars, current.from, barAt(current.bars, svgX(svg, event)));
      if (!open) {
        selection.setAttribute("visibility", "hidden");
        return;
      }
      var url = new URL(template, window.location.href);
      url.searchParams.set("start_time", current.bars[range[0]].getAttribute("data-start"));
      url.searchParams.set("end_time", current.bars[range[1]].getAttribute("data-end"));
      window.location.assign(url.toString());
    }

    svg.addEventListener("pointerup", function (event) { end(event, true); });
    svg.addEventListener("pointercancel", function (event) { end(event, false); });
    // The click that ends a drag is not a bar's click.
    svg.addEventListener("click", function (event) {
      if (dragged) {
        event.preventDefault();
        event.stopPropagation();
        dragged = false;
      }
    }, true);
  }

  function init(root) {
    var charts = root.querySelectorAll ? root.querySelectorAll("svg.histogram-chart") : [];
    Array.prototype.forEach.call(charts, function (svg) {
      if (svg.getAttribute("data-ready")) return;
      svg.setAttribute("data-ready", "1");
      var bars = barsOf(svg);
      if (!bars.length) return;
      bars.forEach(function (bar, i) {
        bar.setAttribute("tabindex", i === 0 ? "0" : "-1");
      });
      svg.addEventListener("keydown", function (event) { onKey(svg, event); });
      // The bar last focused is where Tab comes back to.
      svg.addEventListener("focusin", function (event) {
        var bar = event.target.closest ? event.target.closest("a.hist-bar") : null;
        if (bar) {
          barsOf(svg).forEach(function (b) {
            b.setAttribute("tabindex", b === bar ? "0" : "-1");
          });
        }
      });
      enableDrag(svg);
      var figure = svg.closest("figure");
      var hint = figure && figure.querySelector(".histogram-drag-hint");
      if (hint) hint.hidden = false;
    });
  }

  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();

(function () {
  "use strict";
  var table = document.getElementById("results");
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var q = document.getElementById("q");
  var fv = document.getElementById("f-verdict");
  var fc = document.getElementById("f-class");
  var fo = document.getElementById("f-object");
  var fi = document.getElementById("f-item");
  var count = document.getElementById("f-count");
  var total = rows.length;

  function apply() {
    var needle = q.value.trim().toLowerCase();
    var v = fv.value, c = fc.value, o = fo.value, i = fi.value;
    var shown = 0;
    for (var n = 0; n < rows.length; n++) {
      var r = rows[n];
      var ok = (!v || r.getAttribute("data-v") === v) && (!c || r.getAttribute("data-c") === c) &&
               (!o || r.getAttribute("data-o") === o) && (!i || r.getAttribute("data-i") === i) &&
               (!needle || texts[n].indexOf(needle) !== -1);
      r.className = ok ? "" : "hidden";
      if (ok) { shown++; }
    }
    count.textContent = shown + " / " + total + (i ? " · " + i : "");
  }

  var timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  [fv, fc, fo].forEach(function (el) { el.addEventListener("change", apply); });
  document.getElementById("f-reset").addEventListener("click", function () {
    q.value = ""; fv.value = ""; fc.value = ""; fo.value = ""; fi.value = ""; apply();
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-filter-object], a[data-filter-item]") : null;
    if (!a) { return; }
    e.preventDefault();
    if (a.hasAttribute("data-filter-object")) { fo.value = a.getAttribute("data-filter-object"); fi.value = ""; }
    if (a.hasAttribute("data-filter-item")) { fi.value = a.getAttribute("data-filter-item"); fo.value = ""; }
    q.value = ""; fv.value = ""; fc.value = "";
    apply();
    document.getElementById("details").scrollIntoView();
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[href^='#ev-']") : null;
    if (!a) { return; }
    var target = document.getElementById(a.getAttribute("href").slice(1));
    if (target) {
      var box = target.closest("details");
      if (box) { box.open = true; }
    }
  });
  // Deep links: report.html#filter?o=<object>&i=<item>&v=<verdict>&c=<class>&q=<text>
  var hash = window.location.hash;
  if (hash.indexOf("#filter?") === 0) {
    hash.slice(8).split("&").forEach(function (pair) {
      var kv = pair.split("="), value = decodeURIComponent(kv[1] || "");
      var el = {o: fo, i: fi, v: fv, c: fc, q: q}[kv[0]];
      if (el) { el.value = value; }
    });
  }
  apply();
  document.body.setAttribute("data-ready", "1");
  document.body.setAttribute("data-shown", String(rows.filter(function (r) { return r.className !== "hidden"; }).length));
}());

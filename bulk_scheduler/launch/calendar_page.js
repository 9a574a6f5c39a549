(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("calendar-data").textContent);
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var counts = Array.prototype.slice.call(document.querySelectorAll(".n[data-total]"));
  var holes = Array.prototype.slice.call(document.querySelectorAll(".hole"));
  var shown = document.getElementById("shown");
  var select = {
    a: document.getElementById("f-account"),
    p: document.getElementById("f-platform"),
    s: document.getElementById("f-status"),
    i: document.getElementById("f-issues")
  };
  function fill(element, values) {
    values.forEach(function (entry) {
      var option = document.createElement("option");
      option.value = entry[0];
      option.textContent = entry[1];
      element.appendChild(option);
    });
  }
  fill(select.a, data.accounts.map(function (a, n) { return [String(n), a.text]; }));
  fill(select.p, data.platforms.map(function (p) { return [p, p]; }));
  fill(select.s, data.statuses.map(function (s) { return [s, s.replace(/_/g, " ")]; }));
  // Each card's day (or lane) counter: the element whose count it adds to.
  var counterOf = cards.map(function (card) {
    var box = card.closest(".day, .lane");
    return box ? box.querySelector(".n[data-total]") : null;
  });
  function has(list, value) {
    return (" " + list + " ").indexOf(" " + value + " ") !== -1;
  }
  function apply() {
    var a = select.a.value, p = select.p.value, s = select.s.value, i = select.i.value;
    var filtered = a || p || s || i;
    var seen = new Map();
    var visible = 0;
    cards.forEach(function (card, n) {
      var d = card.dataset;
      var ok = (!a || has(d.a, a)) && (!p || has(d.p, p)) && (!s || d.s === s) &&
        (!i || d.i.indexOf(i) !== -1);
      card.hidden = !ok;
      if (ok) {
        visible += 1;
        var counter = counterOf[n];
        if (counter) { seen.set(counter, (seen.get(counter) || 0) + 1); }
      }
    });
    counts.forEach(function (counter) {
      var total = counter.dataset.total;
      var now = seen.get(counter) || 0;
      counter.textContent = filtered ? now + "/" + total : total;
    });
    holes.forEach(function (hole) { hole.hidden = Boolean(a) && hole.dataset.a !== a; });
    shown.textContent = visible + " of " + cards.length + " posts";
  }
  // The filters live in the address's #fragment too, so a filtered view can be bookmarked
  // or sent: #account=<id or token>&platform=tiktok&status=failed&show=e
  var names = {a: "account", p: "platform", s: "status", i: "show"};
  function remember() {
    var query = new URLSearchParams();
    Object.keys(select).forEach(function (key) {
      var value = select[key].value;
      if (value && key === "a") { value = data.accounts[Number(value)].key; }
      if (value) { query.set(names[key], value); }
    });
    history.replaceState(null, "", query.toString() ? "#" + query.toString() : location.pathname);
  }
  function restore() {
    var query = new URLSearchParams(location.hash.slice(1));
    Object.keys(select).forEach(function (key) {
      var value = query.get(names[key]) || "";
      if (value && key === "a") {
        value = String(data.accounts.findIndex(function (a) { return a.key === value; }));
      }
      var known = Array.prototype.some.call(select[key].options, function (o) {
        return o.value === value;
      });
      select[key].value = known ? value : "";
    });
    apply();
  }
  Object.keys(select).forEach(function (key) {
    select[key].addEventListener("change", function () { apply(); remember(); });
  });
  window.addEventListener("hashchange", restore);
  if (location.hash.length > 1) { restore(); }
  // On paper every card's issues are spelled out.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
  });
  window.calendarReady = true;
})();

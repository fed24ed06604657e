// Small enhancements for the search page; everything works without them.
(function () {
  "use strict";

  // A changed facet, sort or year control asks the form for new results ("search-change" in
  // its hx-trigger). Done here rather than as an hx-trigger filter expression because htmx
  // evaluates those with eval, which the Content-Security-Policy refuses.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.form && t.form.id === "search-form" && t.name && t.name !== "q") {
      t.form.dispatchEvent(new CustomEvent("search-change", { bubbles: true }));
    }
  });

  // Find-a-value box for long facet lists. The page carries only the top values: those are
  // filtered here, the rest are asked of the facet-values endpoint (with the current search
  // in its URL) and put where "Show N more" was, right after the top list, so Tab from the
  // box reaches the first match. Emptying the box puts "Show N more" back.
  function setUpFacetFilters(root) {
    root.querySelectorAll("[data-facet-filter]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var facet = box.closest("[data-facet]");
      var rest = facet.querySelector(".facet-rest");
      var none = facet.querySelector(".facet-nomatch");
      var original = rest ? rest.innerHTML : "";
      var timer = null;
      var asked = 0;

      function showTop(needle) {
        var shown = 0;
        facet.querySelectorAll(".facet-top li").forEach(function (li) {
          var match = !needle || li.textContent.toLowerCase().indexOf(needle) !== -1;
          li.hidden = !match;
          if (match) shown++;
        });
        return shown;
      }

      function find() {
        var needle = box.value.trim().toLowerCase();
        var shownTop = showTop(needle);
        if (!rest) { if (none) none.hidden = shownTop > 0; return; }
        if (!needle) {
          rest.innerHTML = original;
          if (window.htmx) htmx.process(rest);
          if (none) none.hidden = true;
          return;
        }
        var url = new URL(facet.dataset.moreUrl, window.location.href);
        url.searchParams.set("find", box.value.trim());
        var ticket = ++asked;
        fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) {
            if (ticket !== asked) return; // a later keystroke asked again
            rest.innerHTML = html;
            var found = rest.querySelectorAll("li").length;
            if (none) none.hidden = shownTop + found > 0;
          });
      }

      box.addEventListener("keydown", function (e) {
        if (e.key === "Enter") e.preventDefault(); // finding a value is not a search
        if (e.key === "Escape" && box.value) { box.value = ""; find(); }
      });
      box.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(find, 150);
      });
    });
  }

  // "Show N more" loaded: keyboard focus goes to the first value it brought, not the page top.
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.classList || !target.classList.contains("facet-rest")) return;
    var first = target.querySelector("input");
    if (first) first.focus();
  });

  // Filters fold away on a phone, so the results come first.
  function foldFiltersOnNarrow(root) {
    var narrow = window.matchMedia("(max-width: 48rem)");
    root.querySelectorAll("[data-collapse-narrow]").forEach(function (d) {
      if (narrow.matches && !window.__filtersOpened) d.open = false;
      d.addEventListener("toggle", function () { window.__filtersOpened = d.open; });
    });
  }

  // Shift-click a second year to select the years between as a range (year_from, year_to).
  var anchorYear = null;
  document.addEventListener("click", function (e) {
    var bar = e.target.closest && e.target.closest("label.bar[data-year]");
    if (!bar) return;
    var year = parseInt(bar.dataset.year, 10);
    if (e.shiftKey && anchorYear !== null && anchorYear !== year) {
      e.preventDefault();
      var form = bar.closest("form");
      form.querySelectorAll("input[name=year]").forEach(function (box) { box.checked = false; });
      form.querySelector("#year_from").value = String(Math.min(anchorYear, year));
      form.querySelector("#year_to").value = String(Math.max(anchorYear, year));
      anchorYear = null;
      if (window.htmx) { htmx.trigger(form, "submit"); } else { form.submit(); }
      return;
    }
    anchorYear = year;
  });

  // Tell screen readers the new result count after each swap.
  function announce() {
    var region = document.getElementById("region");
    var status = document.getElementById("live-status");
    if (region && status) status.textContent = region.dataset.count || "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpFacetFilters(document);
    foldFiltersOnNarrow(document);
  });
  // A followed link (page, chip, tag) is gone after the swap: take focus, and the eye, to the
  // new result count instead of dropping it on the page's start.
  function refocus(e) {
    var cfg = e.detail.requestConfig;
    if (!cfg || !cfg.elt || cfg.elt.tagName !== "A") return;
    if (!e.detail.target || e.detail.target.id !== "region") return; // e.g. "Show N more"
    var target = document.getElementById("result-count");
    if (target) target.focus();
  }

  document.addEventListener("htmx:afterSettle", function (e) {
    setUpFacetFilters(document);
    foldFiltersOnNarrow(document);
    announce();
    refocus(e);
  });
})();

// Small enhancements for the search page; everything works without them.
(function () {
  "use strict";

  // Find-a-value box for long facet lists: filters the values as you type.
  function setUpFacetFilters(root) {
    root.querySelectorAll("[data-facet-filter]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var facet = box.closest("[data-facet]");
      box.addEventListener("keydown", function (e) {
        if (e.key === "Enter") e.preventDefault(); // finding a value is not a search
      });
      box.addEventListener("input", function () {
        var needle = box.value.trim().toLowerCase();
        var shown = 0;
        facet.querySelectorAll(".facet-values li").forEach(function (li) {
          var match = !needle || li.textContent.toLowerCase().indexOf(needle) !== -1;
          li.hidden = !match;
          if (match) shown++;
        });
        var more = facet.querySelector(".facet-more");
        if (more && needle) more.open = true;
        var none = facet.querySelector(".facet-nomatch");
        if (none) none.hidden = shown > 0;
      });
    });
  }

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

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
      var more = rest && rest.querySelector("[data-facet-more]");
      var path = more ? more.getAttribute("hx-get") : "";
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
        // The search the form holds now: a facet group kept across a swap (hx-preserve)
        // outlives the search its links were drawn for.
        var url = new URL(path, window.location.href);
        new FormData(box.form).forEach(function (value, name) {
          if (value !== "") url.searchParams.append(name, value);
        });
        url.searchParams.set("find", box.value.trim());
        var ticket = ++asked;
        fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) {
            if (ticket !== asked) return; // a later keystroke asked again
            rest.innerHTML = html;
            dropRepeats(facet.parentNode);
            if (window.htmx) htmx.process(rest); // its "Show N more" link
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

  // Values brought below a facet's top list that the top list already has (a ticked one, shown
  // there) are dropped: one checkbox per value.
  function dropRepeats(root) {
    root.querySelectorAll("[data-facet]").forEach(function (facet) {
      var top = {};
      facet.querySelectorAll(".facet-top input").forEach(function (i) { top[i.value] = true; });
      facet.querySelectorAll(".facet-rest li").forEach(function (li) {
        var box = li.querySelector("input");
        if (box && top[box.value]) li.remove();
      });
    });
  }
  document.addEventListener("htmx:afterSwap", function () { dropRepeats(document); });

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
    var bar = e.target.closest && e.target.closest(".bars label");
    if (!bar || !bar.control) return;
    var year = parseInt(bar.control.value, 10);
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

  // The skip link moves focus without adding "#results" to the address and to history.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.skip-link[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    e.preventDefault();
    target.focus();
  });

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

  // History holds settled searches only. Typing pauses search as you go, but one burst of
  // typing is one entry: its first result pushes a new entry (so Back returns to the state
  // before the typing) and later pauses replace it. Enter, leaving the box, a tick, a link or
  // Back settles the search, and the next typing starts a new entry. A URL equal to the one
  // shown never pushes (Enter after a pause), so every Back changes what is shown.
  var burstOpen = false;
  function fromTyping(detail) {
    var cfg = detail.requestConfig;
    var ev = cfg && cfg.triggeringEvent;
    return !!(ev && ev.type === "input" && ev.target && ev.target.id === "q");
  }
  document.addEventListener("htmx:beforeHistoryUpdate", function (e) {
    var h = e.detail.history;
    if (!h || !h.path) return;
    var same = new URL(h.path, location.href).href === location.href;
    if (fromTyping(e.detail)) {
      h.type = same || burstOpen ? "replace" : "push";
      burstOpen = true;
    } else {
      if (same) h.type = "replace";
      burstOpen = false;
    }
  });
  function settle() { burstOpen = false; }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.id === "q") settle();
  });
  document.addEventListener("focusout", function (e) {
    if (e.target.id === "q") settle();
  });
  window.addEventListener("popstate", settle);

  // Back twice in quick succession starts two history loads; without this the slower one
  // could land last and show the state before the one in the address bar. The newest wins.
  var restoring = null;
  document.addEventListener("htmx:historyCacheMiss", function (e) {
    if (restoring && restoring.readyState !== 4) restoring.abort();
    restoring = e.detail.xhr;
  });

  // The box shows the query of the results shown: after "Did you mean", "Browse all", a chip
  // or a tag the results answer another query than the typed one, and the next tick would
  // search the stale text. Results of typing answer the box itself and leave it alone.
  function syncBox(e) {
    var region = document.getElementById("region");
    var box = document.getElementById("q");
    if (!region || !box || fromTyping(e.detail)) return;
    var shown = region.dataset.q || "";
    if (box.value !== shown) box.value = shown;
  }

  // On a phone the filters sit above the results: after a tick, bring the new count into view
  // rather than leave it below the open panel.
  function showCountOnNarrow(e) {
    var cfg = e.detail.requestConfig;
    var ev = cfg && cfg.triggeringEvent;
    if (!ev || ev.type !== "search-change") return;
    if (!window.matchMedia("(max-width: 48rem)").matches) return;
    var count = document.getElementById("result-count");
    if (!count) return;
    var box = count.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      count.scrollIntoView({ block: "start" });
    }
  }

  document.addEventListener("htmx:afterSettle", function (e) {
    // A page of facet values brought by "Show N more" focused its first value (autofocus,
    // which htmx honours in what it swaps in); once done, the mark goes, or every later swap
    // keeping that facet group (hx-preserve) would take the focus there again.
    document.querySelectorAll("[data-facet] [autofocus]").forEach(function (el) {
      el.removeAttribute("autofocus");
    });
    setUpFacetFilters(document);
    foldFiltersOnNarrow(document);
    syncBox(e);
    announce();
    refocus(e);
    showCountOnNarrow(e);
  });
})();

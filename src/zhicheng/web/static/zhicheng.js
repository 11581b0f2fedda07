/* zhicheng page behaviour: CSRF header on every htmx request, the collapsible phone navigation. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });

  // htmx does not swap error responses by default; show the server's message instead of silence
  document.addEventListener("htmx:responseError", function (event) {
    var target = document.getElementById("htmx-error");
    if (!target) { return; }
    var text = event.detail.xhr.responseText || "";
    try { text = JSON.parse(text).detail || text; } catch (e) { /* an HTML page: keep its text */ }
    target.textContent = String(text).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300);
    target.hidden = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var target = document.getElementById("htmx-error");
    if (target && event.detail.successful) { target.hidden = true; }
  });

  function initNav() {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) { return; }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("open", !open);
    });
    document.addEventListener("keydown", function (event) {
      var group = event.key === "Escape" && nav.querySelector("details[data-nav-group][open]");
      if (group) {  // Escape closes the open menu first, then the phone navigation
        group.open = false;
        group.querySelector("summary").focus();
        return;
      }
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  // the groups' drop-down menus (<details>): aria-expanded on their summary, one open at a time, a click
  // elsewhere closes them
  function initNavGroups() {
    var groups = document.querySelectorAll("details[data-nav-group]");
    groups.forEach(function (group) {
      var summary = group.querySelector("summary");
      summary.setAttribute("aria-expanded", group.open ? "true" : "false");
      group.addEventListener("toggle", function () {
        summary.setAttribute("aria-expanded", group.open ? "true" : "false");
        if (!group.open) { return; }
        groups.forEach(function (other) { if (other !== group) { other.open = false; } });
      });
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) { if (group.open && !group.contains(event.target)) { group.open = false; } });
    });
  }

  // a data item's identifier proposed from its Chinese name by the server (pinyin), while the user has not typed
  // one: [data-identifier-source] and [data-identifier] in the same row
  document.addEventListener("change", function (event) {
    var source = event.target.closest && event.target.closest("[data-identifier-source]");
    var row = source && source.closest("[data-row]");
    var target = row && row.querySelector("[data-identifier]");
    if (!target || !source.value.trim() || (target.value && target.dataset.auto !== "1")) { return; }
    var taken = [];
    row.parentElement.querySelectorAll("[data-identifier]").forEach(function (other) {
      if (other !== target && other.value) { taken.push(other.value); }
    });
    var url = "/api/v1/catalog/identifier?name=" + encodeURIComponent(source.value.trim()) +
      "&taken=" + encodeURIComponent(taken.join(","));
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body && (!target.value || target.dataset.auto === "1")) {
          target.value = body.identifier;
          target.dataset.auto = "1";
        }
      });
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-identifier]")) { event.target.dataset.auto = "0"; }
  });

  // forms with rows that can be added and removed: <template data-row-template="name"> + [data-add-row="name"]
  function initRowTables(root) {
    root.querySelectorAll("[data-add-row]").forEach(function (button) {
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-add-row");
        var tpl = document.querySelector('template[data-row-template="' + name + '"]');
        var body = document.querySelector('[data-rows="' + name + '"]');
        if (!tpl || !body) { return; }
        var index = body.querySelectorAll("[data-row]").length;
        var html = tpl.innerHTML.replace(/__i__/g, String(Date.now() % 100000 + index));
        body.insertAdjacentHTML("beforeend", html);
        var rows = body.querySelectorAll("[data-row]");
        var first = rows[rows.length - 1].querySelector("input, select");
        if (first) { first.focus(); }
      });
    });
  }
  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-row]");
    if (!remove) { return; }
    var row = remove.closest("[data-row]");
    if (row) {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      var focusable = next && next.querySelector("input, select, button");
      if (focusable) { focusable.focus(); }
    }
  });

  // a select whose option groups belong to the value of another select (分类项 follows 目录分类)
  function initFollowers(root) {
    root.querySelectorAll("select[data-follows]").forEach(function (select) {
      var leader = document.getElementById(select.getAttribute("data-follows"));
      if (!leader || select.dataset.bound) { return; }
      select.dataset.bound = "1";
      function sync() {
        select.querySelectorAll("optgroup[data-class]").forEach(function (group) {
          var match = group.getAttribute("data-class") === leader.value;
          group.hidden = !match;
          group.disabled = !match;
        });
        var chosen = select.options[select.selectedIndex];
        if (chosen && chosen.parentElement.disabled) { select.value = ""; }
      }
      leader.addEventListener("change", sync);
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initNav();
    initNavGroups();
    initFollowers(document);
    initRowTables(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { initRowTables(event.target); });
})();

// the alarm console (物联感知 › 告警台): alarm transitions pushed over SSE (/api/v1/iot/alarms/stream) update the
// table in place; a new alarm reloads the page (it needs the server's forms); no inline script (CSP 'self' only)
(function () {
  const config = JSON.parse(document.getElementById("alarm-config").textContent);
  const status = document.getElementById("alarm-live");
  const labels = config.labels;
  let source = null;

  function row(id) { return document.querySelector(`tr[data-alarm="${id}"]`); }

  function apply(kind, alarm) {
    const tr = row(alarm.alarm_id);
    if (!tr) { if (kind === "raised") window.location.reload(); return; }
    const state = tr.querySelector(".alarm-state");
    state.dataset.state = alarm.state;
    state.textContent = labels.state[alarm.state] || alarm.state;
    tr.querySelector(".alarm-count").textContent = alarm.count;
    tr.querySelector(".alarm-value").textContent = alarm.value === null ? "" : alarm.value;
    tr.classList.add("alarm-updated");
  }

  function connect() {
    source = new EventSource(config.stream);
    source.addEventListener("ready", () => {
      document.body.dataset.live = "on";
      status.textContent = document.documentElement.lang === "en" ? "live" : "实时";
    });
    for (const kind of ["raised", "repeated", "acknowledged", "cleared", "closed"]) {
      source.addEventListener(kind, (e) => apply(kind, JSON.parse(e.data)));
    }
    source.addEventListener("lagged", () => window.location.reload());
    source.onerror = () => { document.body.dataset.live = "off"; };
  }
  window.addEventListener("pagehide", () => source && source.close());
  connect();
})();

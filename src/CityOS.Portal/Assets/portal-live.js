// Live values of an entity page: server-sent events from /portal/explore/live update the attribute table in place.
"use strict";
(() => {
  const live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  const source = new EventSource(live.dataset.source);
  const label = live.textContent.split(":")[0];
  source.addEventListener("entity", (event) => {
    live.dataset.state = "on";
    live.textContent = `${label}: ${live.dataset.on}`;
    const attributes = JSON.parse(event.data);
    for (const [name, attribute] of Object.entries(attributes)) {
      const row = document.querySelector(`tr[data-attr="${CSS.escape(name)}"]`);
      if (!row) continue;
      const value = row.querySelector("td.value");
      if (value && !value.querySelector("a") && value.textContent !== attribute.value) {
        value.textContent = attribute.value;
        value.classList.add("changed");
      }
      const observed = row.querySelector("td.observed");
      if (observed) observed.textContent = attribute.observedAt ?? "";
    }
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      live.dataset.state = "off";
      live.textContent = `${label}: ${live.dataset.off}`;
    }
  });
  window.addEventListener("pagehide", () => source.close());
})();

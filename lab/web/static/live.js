// Live updates: listen to /live (server-sent events) and refresh the page's
// [data-live] regions in place. A proposal or form being edited ([data-keep]
// with focus or changed fields) is kept as it is.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="dbtl-last-event"]');
  const after = meta ? meta.content : "0";
  const banner = document.getElementById("live-banner");
  let timer = null;

  document.addEventListener("input", function (event) {
    const kept = event.target.closest("[data-keep]");
    if (kept) kept.dataset.dirty = "1";
  });

  function busy(node) {
    return node.dataset.dirty === "1" || node.contains(document.activeElement);
  }

  async function refresh() {
    const regions = document.querySelectorAll("[data-live]");
    if (!regions.length) return;
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    regions.forEach(function (region) {
      const next = fresh.getElementById(region.id);
      if (!next || region.isEqualNode(next)) return;  // unchanged: keep the nodes in place
      next.querySelectorAll("[data-keep]").forEach(function (node) {
        const old = document.getElementById(node.id);
        if (old && busy(old)) node.replaceWith(old);
      });
      region.replaceWith(next);
    });
  }

  function notice(change) {
    if (!banner) return;
    const what = change.to_status ? change.from_status + " → " + change.to_status : change.kind;
    banner.textContent = change.campaign + (change.experiment_id ? " experiment " + change.experiment_id : "") + ": " + what;
    banner.hidden = false;
  }

  const source = new EventSource("/live?after=" + encodeURIComponent(after));
  source.addEventListener("change", function (message) {
    notice(JSON.parse(message.data));
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  window.dbtlLive = source;
})();

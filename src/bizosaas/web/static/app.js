// BizOSaaS pages: the little script they use. Every page works without it (forms post,
// links load); with it, a copy button copies, share buttons open the network's own page,
// charts draw, toasts appear and parts of the page refresh as things happen.
"use strict";

(function () {
  const body = document.body;

  // -- toasts -------------------------------------------------------------------------------
  function toast(title, text) {
    const region = document.getElementById("toasts");
    if (!region) return;
    const item = document.createElement("div");
    item.className = "toast";
    const strong = document.createElement("strong");
    strong.textContent = title;
    item.appendChild(strong);
    if (text) {
      const line = document.createElement("span");
      line.textContent = text;
      item.appendChild(line);
    }
    region.appendChild(item);
    setTimeout(() => item.remove(), 8000);
  }

  function bumpBadge(by) {
    const badge = document.getElementById("unread-badge");
    if (!badge) return;
    const count = (parseInt(badge.textContent, 10) || 0) + by;
    badge.textContent = String(count);
    badge.hidden = count <= 0;
  }

  // -- copy and share -------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const source = document.getElementById(copy.dataset.copy);
      const text = source ? (source.value || source.textContent) : "";
      if (navigator.clipboard && text) {
        event.preventDefault();
        navigator.clipboard.writeText(text.trim()).then(
          () => toast("Copied", text.trim()),
          () => toast("Could not copy", "Select the link and copy it by hand."),
        );
      }
      return;
    }
    const share = event.target.closest("[data-native-share]");
    if (share && navigator.share) {
      event.preventDefault();
      navigator.share({ title: share.dataset.title, text: share.dataset.text, url: share.dataset.url })
        .catch(() => {});
    }
  });

  // -- charts (Chart.js, loaded only by the pages that draw one) --------------------------------
  function drawCharts(root) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (canvas.dataset.drawn) return;
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: spec.type || "line",
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: spec.percent ? { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } : {},
        },
      });
    });
  }

  // -- live updates -------------------------------------------------------------------------------
  // The gamification service pushes the member's notifications over a WebSocket (through the
  // gateway, authenticated by the session cookie). Each one is a toast; parts of the page that
  // listen for its kind ("live:<kind>" events, htmx triggers) reload themselves.
  let retry = 1000;
  function connect() {
    const path = body.dataset.live;
    if (!path || !("WebSocket" in window)) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + path);
    socket.addEventListener("open", () => { retry = 1000; body.dataset.liveState = "open"; });
    socket.addEventListener("message", (message) => {
      let note;
      try { note = JSON.parse(message.data); } catch (_) { return; }
      if (note.kind === "ping") return;
      if (note.title) {
        toast(note.title, note.body || "");
        bumpBadge(1);
      }
      body.dispatchEvent(new CustomEvent("live:" + (note.kind || "update"), { detail: note }));
      body.dispatchEvent(new CustomEvent("live:any", { detail: note }));
    });
    socket.addEventListener("close", () => {
      body.dataset.liveState = "closed";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts(document);
    connect();
  });
  document.addEventListener("htmx:afterSwap", (event) => drawCharts(event.target));
})();

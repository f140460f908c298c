// The cluster page: renders the JSON snapshots the node streams on /ui/events (server-sent
// events). No framework and no build step; text goes in with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function ms(value) {
  if (value >= 60000) return (value / 60000).toFixed(1) + " min";
  if (value >= 1000) return (value / 1000).toFixed(1) + " s";
  return value + " ms";
}

function renderMembers(snapshot) {
  const body = $("members").tBodies[0];
  body.replaceChildren();
  for (const m of snapshot.members) {
    const row = body.insertRow();
    row.dataset.id = m.id;
    row.dataset.role = m.role;
    if (!m.up) row.classList.add("down");
    if (m.isLeader) row.classList.add("leader");
    const name = cell(row, m.id);
    if (m.self) {
      const tag = document.createElement("span");
      tag.className = "self";
      tag.textContent = " (this node)";
      name.appendChild(tag);
    }
    cell(row, m.address);
    cell(row, m.up ? m.role : "DOWN", "role " + (m.up ? m.role : "DOWN")).title = m.error || "";
    if (m.up) {
      cell(row, m.term, "n");
      cell(row, m.lastIndex, "n");
      cell(row, m.commitIndex, "n");
      cell(row, m.appliedIndex, "n");
      cell(row, m.lagEntries, "n" + (m.lagEntries > 1000 ? " lag-high" : ""));
    } else {
      const td = cell(row, m.error || "unreachable");
      td.colSpan = 5;
    }
  }
}

function renderLocks(snapshot) {
  const locks = snapshot.locks;
  const body = $("locks").tBodies[0];
  body.replaceChildren();
  if (!locks.available) {
    $("locks-summary").textContent = "(unavailable on this node)";
    $("no-locks").hidden = true;
    return;
  }
  $("locks-summary").textContent =
    locks.held + " held · " + locks.waiters + " waiting · " + locks.contested + " contested";
  for (const l of locks.shown) {
    const row = body.insertRow();
    row.dataset.lock = l.lockId;
    cell(row, l.lockId);
    cell(row, l.holder, "holder");
    cell(row, l.token, "n");
    cell(row, ms(l.expiresInMs), "n");
    cell(row, ms(l.heldForMs), "n");
    cell(row, l.waiters, "n");
  }
  $("no-locks").hidden = locks.shown.length > 0;
}

const RATES = [
  ["admittedPerSec", "requests admitted/s (this node)"],
  ["rateLimitedPerSec", "rate-limited/s (this node)"],
  ["invalidPerSec", "invalid/s (this node)"],
  ["commitsPerSec", "log entries committed/s"],
  ["grantsPerSec", "grants/s"],
  ["releasesPerSec", "releases/s"],
  ["expirationsPerSec", "expirations/s"],
];

function renderRates(snapshot) {
  const box = $("rates");
  box.replaceChildren();
  const r = snapshot.rates;
  $("rates-note").textContent = r ? "over the last " + ms(r.windowMs) : "(measuring…)";
  for (const [key, label] of RATES) {
    const tile = document.createElement("div");
    tile.className = "tile";
    tile.dataset.rate = key;
    const v = document.createElement("div");
    v.className = "v";
    v.textContent = r ? r[key] : "–";
    const k = document.createElement("div");
    k.className = "k";
    k.textContent = label;
    tile.append(v, k);
    box.appendChild(tile);
  }
}

function render(snapshot) {
  $("node").textContent = snapshot.node;
  $("leader").textContent = snapshot.leader || "none";
  $("updated").textContent = "· snapshot " + snapshot.seq + " at " + new Date(snapshot.atMs).toLocaleTimeString();
  renderMembers(snapshot);
  renderRates(snapshot);
  renderLocks(snapshot);
  window.lastSnapshot = snapshot; // for tests and curious operators
}

function connect() {
  const source = new EventSource("events");
  source.onopen = () => {
    $("conn").textContent = "live";
    $("conn").className = "conn live";
  };
  source.onmessage = (e) => render(JSON.parse(e.data));
  // EventSource reconnects by itself (the stream asks for a 2 s retry); show that meanwhile.
  source.onerror = () => {
    $("conn").textContent = "reconnecting…";
    $("conn").className = "conn wait";
  };
}

connect();

// console.js keeps the console's pages live: every page polls its JSON
// endpoint every two seconds and redraws what changed. No dependencies.
'use strict';

(() => {
  const POLL_MS = 2000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const token = document.querySelector('meta[name="console-token"]').content;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // ---- building DOM -------------------------------------------------------

  function build(el, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }
  // h('td', {class: 'num'}, 'text', child…) builds an HTML element.
  const h = (tag, attrs, ...kids) => build(document.createElement(tag), attrs, kids);
  // s builds an SVG element.
  const s = (tag, attrs, ...kids) => build(document.createElementNS(SVG_NS, tag), attrs, kids);

  // ---- formatting: the same as the templates' functions -------------------

  const fmt = {
    rate(r) {
      if (!r) return '0';
      if (r < 10) return r.toFixed(2);
      if (r < 1000) return r.toFixed(1);
      return r.toFixed(0);
    },
    pct(r) {
      if (!r) return '0%';
      if (r < 0.001) return '<0.1%';
      return (100 * r).toFixed(1) + '%';
    },
    ms(v) {
      if (!v) return '0';
      if (v < 1) return (v * 1000).toFixed(0) + 'µs';
      if (v < 10) return v.toFixed(2) + 'ms';
      if (v < 1000) return v.toFixed(1) + 'ms';
      return (v / 1000).toFixed(2) + 's';
    },
    bytes(b) {
      if (b < 1024) return b.toFixed(0) + 'B';
      const exp = Math.min(Math.floor(Math.log(b) / Math.log(1024)), 4);
      return (b / Math.pow(1024, exp)).toFixed(1) + 'KMGT'[exp - 1] + 'iB';
    },
    cpu: (c) => (100 * c).toFixed(0) + '%',
    uptime(sec) {
      const d = Math.floor(sec);
      const pad = (n) => String(n).padStart(2, '0');
      if (d < 60) return d + 's';
      if (d < 3600) return Math.floor(d / 60) + 'm' + pad(d % 60) + 's';
      if (d < 86400) return Math.floor(d / 3600) + 'h' + pad(Math.floor(d / 60) % 60) + 'm';
      return Math.floor(d / 86400) + 'd' + pad(Math.floor(d / 3600) % 24) + 'h';
    },
    clock(t) {
      const d = new Date(t);
      const pad = (n, w = 2) => String(n).padStart(w, '0');
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    },
    stamp(t) {
      const d = new Date(t);
      const pad = (n) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    },
  };

  // colorClass matches colorClass in waterfall.go.
  const KNOWN = ['storefront', 'accounts', 'catalog', 'pricing', 'cart', 'inventory',
    'orders', 'payment', 'shipping', 'notifications', 'recommendations', 'nats'];
  function colorClass(service) {
    const i = KNOWN.indexOf(service);
    if (i >= 0) return 'c' + (i % 12);
    let hash = 0x811c9dc5;
    for (const b of new TextEncoder().encode(service)) {
      hash ^= b;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return 'c' + (hash % 12);
  }

  // ---- talking to the server ----------------------------------------------

  async function answer(resp) {
    let body = null;
    try { body = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      const msg = body && body.error ? body.error.message : resp.status + ' ' + resp.statusText;
      throw new Error(msg);
    }
    return body;
  }

  async function getJSON(url) {
    return answer(await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' }));
  }

  async function send(method, url, body) {
    const init = { method, headers: { 'X-Console-Token': token, Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return answer(await fetch(url, init));
  }

  function setLive(ok, err) {
    const el = $('#live');
    el.classList.toggle('stale', !ok);
    el.textContent = ok ? 'live' : 'disconnected';
    el.title = ok ? 'live: the page refreshes every 2s' : String(err);
  }

  // poll runs fn now and every ms while the page is visible; now() runs it
  // at once.
  function poll(fn, ms = POLL_MS) {
    let timer = null;
    let running = false;
    async function tick() {
      clearTimeout(timer);
      if (!document.hidden && !running) {
        running = true;
        try { await fn(); setLive(true); } catch (e) { setLive(false, e); }
        running = false;
      }
      timer = setTimeout(tick, ms);
    }
    document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(); });
    tick();
    return { now: tick };
  }

  let toastTimer = null;
  function toast(msg, isError) {
    const el = $('#toast');
    el.textContent = msg;
    el.classList.toggle('error', !!isError);
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 8000 : 3000);
  }

  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  // ---- charts ---------------------------------------------------------------

  // linePath draws values (null: a gap) at xs on a w×h box scaled to max.
  function linePath(xs, values, max, h) {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null || v === undefined || Number.isNaN(v)) { pen = false; return; }
      const y = h - 1 - (max > 0 ? v / max : 0) * (h - 3);
      d += (pen ? 'L' : 'M') + xs[i].toFixed(1) + ',' + y.toFixed(1);
      pen = true;
    });
    return d;
  }

  function areaPath(xs, values, max, h) {
    const line = linePath(xs, values.map((v) => v ?? 0), max, h);
    if (!line || xs.length < 2) return '';
    return line + `L${xs[xs.length - 1].toFixed(1)},${h}L${xs[0].toFixed(1)},${h}Z`;
  }

  function sparkline(values) {
    const w = 120, hgt = 20;
    const svg = s('svg', { class: 'spark', viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none' });
    if (values.length < 2) return svg;
    const max = Math.max(...values.filter((v) => v !== null), 0);
    const xs = values.map((_, i) => (i / (values.length - 1)) * w);
    svg.append(s('path', { class: 'area', d: areaPath(xs, values, max, hgt) }), s('path', { d: linePath(xs, values, max, hgt) }));
    return svg;
  }

  // gapped nulls out latencies of intervals without requests.
  const gapped = (values, rates) => values.map((v, i) => (rates[i] > 0 ? v : null));

  // ---- overview -------------------------------------------------------------

  function serviceRow(sv) {
    const sig = sv.signals;
    const m = sv.measured;
    const dash = () => h('td', { class: 'num muted' }, '–');
    const ops = h('td', { class: 'ops' });
    if (sv.kind !== 'bus') {
      ops.append(
        h('button', { 'data-op': 'restart', 'data-service': sv.name, disabled: sv.total === 0 }, 'restart'), ' ',
        h('button', { 'data-op': 'scale', 'data-service': sv.name, 'data-replicas': sv.total, 'data-delta': -1, disabled: sv.total === 0 }, '−'),
        h('span', { class: 'num count' }, sv.total),
        h('button', { 'data-op': 'scale', 'data-service': sv.name, 'data-replicas': sv.total, 'data-delta': 1 }, '+'));
    }
    return h('tr', { class: 'svc health-' + sv.health, 'data-service': sv.name },
      h('td', {}, h('span', { class: 'dot ' + sv.health }), h('a', { href: '/traces?service=' + encodeURIComponent(sv.name), class: 'name' }, sv.name)),
      h('td', {}, `${sv.ready}/${sv.total} ready`),
      h('td', { class: 'mono' }, sv.version), h('td'), h('td'),
      h('td', { class: 'num' }, sv.restarts),
      m ? h('td', { class: 'num' }, fmt.rate(sig.rate)) : dash(),
      m ? h('td', { class: 'num' + (sig.error_ratio > 0.01 ? ' err' : '') }, fmt.pct(sig.error_ratio)) : dash(),
      m ? h('td', { class: 'num' }, fmt.ms(sig.p50_ms)) : dash(),
      m ? h('td', { class: 'num' }, fmt.ms(sig.p99_ms)) : dash(),
      m ? h('td', { class: 'num' }, fmt.cpu(sig.cpu)) : dash(),
      m ? h('td', { class: 'num' }, fmt.bytes(sig.rss_bytes)) : dash(),
      h('td', { class: 'spark' }, sparkline(sv.series.rate)),
      h('td', { class: 'spark' }, sparkline(gapped(sv.series.p99_ms, sv.series.rate))),
      ops);
  }

  function instanceRow(inst) {
    const sc = inst.scrape;
    const status = h('td', {}, inst.ready ? 'ready' : 'not ready');
    if (sc && sc.no_metrics) status.append(' · ', h('span', { class: 'muted' }, 'no metrics'));
    else if (sc && !sc.up) status.append(' · ', h('span', { class: 'warn', title: sc.error || '' }, 'scrape failed'));
    const cells = sc
      ? [h('td', { class: 'num' }, fmt.rate(sc.rate)), h('td', { class: 'num' }, fmt.pct(sc.error_ratio)), h('td'), h('td'),
        h('td', { class: 'num' }, fmt.cpu(sc.cpu)), h('td', { class: 'num' }, fmt.bytes(sc.rss_bytes))]
      : [h('td'), h('td'), h('td'), h('td'), h('td'), h('td')];
    return h('tr', { class: 'inst', 'data-instance': inst.id },
      h('td', { class: 'indent' }, h('span', { class: 'dot ' + (inst.ready ? 'ok' : 'down') }), inst.id),
      status,
      h('td', { class: 'mono' }, inst.version || ''),
      h('td', { class: 'num' }, inst.pid),
      h('td', { class: 'num' }, fmt.uptime(inst.uptime_s)),
      h('td', { class: 'num' }, inst.restarts),
      cells,
      h('td', { colspan: 2, class: 'mono muted' }, inst.grpc_addr || ''),
      h('td', { class: 'ops' }, h('button', { 'data-op': 'kill', 'data-instance': inst.id, class: 'danger' }, 'kill')));
  }

  function actionItem(a) {
    return h('li', { class: 'action ' + a.state },
      h('span', { class: 'mono' }, fmt.clock(a.started)), ` ${a.op} ${a.target} ${a.detail || ''} `,
      h('b', {}, a.state), a.error ? ' ' + a.error : '');
  }

  function overview() {
    const table = $('#services');
    const p = poll(async () => {
      const d = await getJSON('/api/overview');
      const rows = [];
      for (const sv of d.services) rows.push(serviceRow(sv), ...sv.instances.map(instanceRow));
      if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 15, class: 'empty' }, 'no service is running')));
      $('tbody', table).replaceChildren(...rows);
      const acts = d.actions.map(actionItem);
      $('#actions').replaceChildren(...(acts.length ? acts : [h('li', { class: 'empty' }, 'nothing done yet')]));
      $('#updated').textContent = fmt.stamp(d.time);
      const banner = $('#faults-banner');
      banner.hidden = d.faults === 0;
      $('a', banner).textContent = `${d.faults} fault rule(s) active`;
    });
    table.addEventListener('click', async (ev) => {
      const b = ev.target.closest('button[data-op]');
      if (!b) return;
      const { op, service, instance } = b.dataset;
      let url;
      let body;
      if (op === 'kill') {
        url = `/api/instances/${encodeURIComponent(instance)}/kill`;
      } else if (op === 'restart') {
        url = `/api/services/${encodeURIComponent(service)}/restart`;
      } else {
        const n = Number(b.dataset.replicas) + Number(b.dataset.delta);
        if (n < 0) return;
        if (n === 0 && !window.confirm(`Stop every instance of ${service}?`)) return;
        url = `/api/services/${encodeURIComponent(service)}/scale`;
        body = { replicas: n };
      }
      b.disabled = true;
      try {
        const r = await send('POST', url, body);
        toast(`${r.action.op} ${r.action.target} ${r.action.detail || ''}: started`);
      } catch (e) {
        toast(`${op} failed: ${e.message}`, true);
      }
      p.now();
    });
  }

  // ---- topology ---------------------------------------------------------------

  const NODE_W = 150, NODE_H = 42, ROW_GAP = 34, PAD = 24, LABEL_H = 12, CHAR_W = 6.1, MIN_GAP = 120;

  // curve returns the four points of the Bézier from node a to node b.
  function curve(a, b) {
    const ay = a.y + NODE_H / 2, by = b.y + NODE_H / 2;
    if (b.x > a.x) {
      const ax = a.x + NODE_W, dx = (b.x - ax) / 2;
      return [[ax, ay], [ax + dx, ay], [b.x - dx, by], [b.x, by]];
    }
    if (b.x === a.x) { // same layer: bulge out on the right
      const x = a.x + NODE_W, bulge = 40 + Math.abs(by - ay) / 4;
      return [[x, ay], [x + bulge, ay], [x + bulge, by], [x, by]];
    }
    return [[a.x, ay], [a.x - 60, ay], [b.x + NODE_W + 60, by], [b.x + NODE_W, by]];
  }

  function bezierMid(p) {
    return [(p[0][0] + 3 * p[1][0] + 3 * p[2][0] + p[3][0]) / 8, (p[0][1] + 3 * p[1][1] + 3 * p[2][1] + p[3][1]) / 8];
  }

  // orderColumns sorts each column's nodes by the mean position of their
  // neighbours in the column before (then after), which uncrosses most
  // edges of a layered graph.
  function orderColumns(columns, edges) {
    const neighbours = {};
    for (const e of edges) {
      (neighbours[e.to] ||= []).push(e.from);
      (neighbours[e.from] ||= []).push(e.to);
    }
    const place = {};
    const measure = () => columns.forEach((col) => col.forEach((n, i) => { place[n.name] = (i + 0.5) / col.length; }));
    const colOf = {};
    columns.forEach((col, ci) => col.forEach((n) => { colOf[n.name] = ci; }));
    measure();
    const sweep = (ci, side) => {
      const bary = (n) => {
        const ps = (neighbours[n.name] || []).filter((m) => colOf[m] === ci + side).map((m) => place[m]);
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : place[n.name];
      };
      const keyed = columns[ci].map((n) => [bary(n), n]);
      keyed.sort((a, b) => a[0] - b[0]);
      columns[ci] = keyed.map((k) => k[1]);
      measure();
    };
    for (let ci = 1; ci < columns.length; ci++) sweep(ci, -1);
    for (let ci = columns.length - 2; ci >= 0; ci--) sweep(ci, +1);
    for (let ci = 1; ci < columns.length; ci++) sweep(ci, -1);
  }

  // placeLabels nudges edge labels up or down until they overlap neither
  // another label nor a node, busiest edges first.
  function placeLabels(labels, nodeBoxes) {
    const placed = [...nodeBoxes];
    const overlaps = (b) => placed.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
    labels.sort((a, b) => b.rate - a.rate);
    for (const l of labels) {
      const w = l.text.length * CHAR_W;
      let box = { x: l.x - w / 2, y: l.y - LABEL_H, w, h: LABEL_H };
      for (const dy of [0, -13, 13, -26, 26, -39, 39, -52, 52]) {
        const tryBox = { ...box, y: l.y - LABEL_H + dy };
        if (!overlaps(tryBox)) { box = tryBox; break; }
      }
      placed.push(box);
      l.el.setAttribute('x', (box.x + w / 2).toFixed(1));
      l.el.setAttribute('y', (box.y + LABEL_H - 2).toFixed(1));
    }
  }

  const edgeLabel = (e) => `${fmt.rate(e.rate)}/s ${fmt.pct(e.error_ratio)}` + (e.p99_ms ? ' ' + fmt.ms(e.p99_ms) : '');

  function drawTopology(svg, topo) {
    const layers = [...new Set(topo.nodes.map((n) => n.layer))].sort((a, b) => a - b);
    const columns = layers.map((l) => topo.nodes.filter((n) => n.layer === l));
    orderColumns(columns, topo.edges);
    const tallest = Math.max(1, ...columns.map((c) => c.length));
    const width = Math.max(svg.parentElement.clientWidth || 900, 2 * PAD + 60 + columns.length * NODE_W + (columns.length - 1) * MIN_GAP);
    const height = PAD * 2 + tallest * (NODE_H + ROW_GAP);
    const step = columns.length > 1 ? (width - 2 * PAD - NODE_W - 60) / (columns.length - 1) : 0;
    const pos = {};
    columns.forEach((col, ci) => {
      const top = (height - col.length * (NODE_H + ROW_GAP) + ROW_GAP) / 2;
      col.forEach((n, i) => { pos[n.name] = { x: PAD + ci * step, y: top + i * (NODE_H + ROW_GAP) }; });
    });
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.style.height = height + 'px';
    svg.style.width = width + 'px';

    const defs = s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto' },
      s('path', { d: 'M0,0L8,4L0,8Z' })));
    const edges = s('g', { class: 'edges' });
    const labels = [];
    for (const e of topo.edges) {
      const a = pos[e.from], b = pos[e.to];
      if (!a || !b) continue;
      const p = curve(a, b);
      const [mx, my] = bezierMid(p);
      let cls = 'edge ' + e.kind;
      if (e.rate === 0) cls += ' idle';
      if (e.error_ratio >= 0.05) cls += ' failing';
      else if (e.error_ratio > 0) cls += ' errors';
      const path = s('path', { d: `M${p[0]}C${p[1]} ${p[2]} ${p[3]}`, 'marker-end': 'url(#arrow)' });
      path.style.strokeWidth = (1 + Math.min(3, Math.log10(1 + e.rate))).toFixed(2);
      const text = edgeLabel(e);
      const label = s('text', { x: mx, y: my, 'text-anchor': 'middle' }, text);
      labels.push({ x: mx, y: my, text, rate: e.rate, el: label });
      edges.append(s('g', { class: cls, 'data-from': e.from, 'data-to': e.to, 'data-kind': e.kind },
        s('title', {}, `${e.from} → ${e.to} (${e.kind}): ${fmt.rate(e.rate)}/s, ${fmt.pct(e.error_ratio)} errors, p99 ${fmt.ms(e.p99_ms)}`),
        path, label));
    }
    placeLabels(labels, Object.values(pos).map((p) => ({ x: p.x, y: p.y, w: NODE_W, h: NODE_H })));
    const nodes = s('g', { class: 'nodes' });
    for (const n of topo.nodes) {
      const at = pos[n.name];
      const sig = n.signals;
      let title = n.name;
      let stats = `${fmt.rate(sig.rate)}/s ${fmt.pct(sig.error_ratio)} p99 ${fmt.ms(sig.p99_ms)}`;
      if (n.kind === 'edge') { title = 'clients'; stats = 'browsers · load'; }
      if (n.kind === 'bus') stats = `${fmt.rate(sig.rate)} events/s in`;
      if (n.kind !== 'edge') title += `  ${n.ready}/${n.total}`;
      const g = s('g', { class: `node ${n.kind} ${n.health}`, 'data-name': n.name, transform: `translate(${at.x},${at.y})` },
        s('rect', { width: NODE_W, height: NODE_H, rx: 4 }),
        s('text', { x: 10, y: 17 }, title),
        s('text', { x: 10, y: 33, class: 'stats' }, stats));
      nodes.append(n.kind === 'service' ? s('a', { href: '/traces?service=' + encodeURIComponent(n.name) }, g) : g);
    }
    svg.replaceChildren(defs, edges, nodes);
    svg.dataset.nodes = topo.nodes.length;
    svg.dataset.edges = topo.edges.length;
  }

  function topology() {
    const svg = $('#topology');
    poll(async () => {
      const topo = await getJSON('/api/topology');
      drawTopology(svg, topo);
      const empty = $('#topology-empty');
      if (empty) empty.hidden = topo.edges.length > 0;
      $('#edges tbody').replaceChildren(...topo.edges.map((e) => h('tr', { class: 'edge-row', 'data-from': e.from, 'data-to': e.to },
        h('td', {}, e.from), h('td', {}, e.to), h('td', {}, e.kind), h('td', { class: 'num' }, fmt.rate(e.rate)),
        h('td', { class: 'num' + (e.error_ratio > 0 ? ' err' : '') }, fmt.pct(e.error_ratio)), h('td', { class: 'num' }, e.p99_ms ? fmt.ms(e.p99_ms) : '–'))));
    });
  }

  // ---- golden signals -----------------------------------------------------

  // chart draws lines over the window [from, to] into div.
  function chart(div, { t, lines, from, to, every, title, value, max: fixedMax }) {
    const w = 400, hgt = 54;
    const span = Math.max(1, to - from);
    const xs = t.map((x) => ((x - from) / span) * w);
    const all = lines.flatMap((l) => l.values.filter((v) => v !== null));
    const max = fixedMax ?? Math.max(...all, 0) * 1.1;
    const svg = s('svg', { viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none' },
      s('line', { class: 'grid', x1: 0, x2: w, y1: hgt / 2, y2: hgt / 2 }));
    // Break the lines where scrapes are missing.
    const broken = (values) => values.map((v, i) => (i > 0 && t[i] - t[i - 1] > 3 * every ? null : v));
    for (const l of lines) {
      const values = broken(l.values);
      if (l.area) svg.append(s('path', { class: l.area, d: areaPath(xs, values, max, hgt) }));
      svg.append(s('path', { class: 'line ' + (l.cls || ''), d: linePath(xs, values, max, hgt) }));
    }
    div.replaceChildren(h('div', { class: 'label' }, h('span', {}, title), h('span', {}, 'max ' + value.fmt(max / 1.1 || 0) + ' · now ', h('b', {}, value.now))), svg);
  }

  function signalCard(name) {
    return h('div', { class: 'card', 'data-service': name },
      h('h3', {}, h('span', { class: 'swatch ' + colorClass(name) }), name),
      h('div', { class: 'chart', 'data-metric': 'rate' }),
      h('div', { class: 'chart', 'data-metric': 'errors' }),
      h('div', { class: 'chart', 'data-metric': 'latency' }));
  }

  function signals() {
    const root = $('#signals');
    poll(async () => {
      const d = await getJSON('/api/signals?minutes=10');
      const from = Date.parse(d.since), to = Date.parse(d.now), every = d.every_ms;
      $$('p.empty', root).forEach((p) => p.remove());
      for (const sv of d.services) {
        let card = $(`.card[data-service="${CSS.escape(sv.name)}"]`, root);
        if (!card) root.append(card = signalCard(sv.name));
        const sr = sv.series, sig = sv.signals;
        const base = { t: sr.t, from, to, every };
        chart($('[data-metric=rate]', card), { ...base, title: 'requests/s', lines: [{ values: sr.rate, area: 'area' }],
          value: { fmt: fmt.rate, now: fmt.rate(sig.rate) } });
        chart($('[data-metric=errors]', card), { ...base, title: 'errors', lines: [{ values: sr.error_ratio.map((r) => r * 100), cls: 'errors', area: 'errors-area' }],
          value: { fmt: (v) => v.toFixed(1) + '%', now: fmt.pct(sig.error_ratio) } });
        chart($('[data-metric=latency]', card), { ...base, title: 'latency p99 · p50 (dashed)',
          lines: [{ values: gapped(sr.p99_ms, sr.rate) }, { values: gapped(sr.p50_ms, sr.rate), cls: 'p50' }],
          value: { fmt: fmt.ms, now: fmt.ms(sig.p99_ms) } });
      }
    });
  }

  // ---- traces -------------------------------------------------------------------

  function traceRow(tr, longest) {
    const bar = h('span');
    bar.style.width = Math.max(1, (100 * tr.duration_ns) / Math.max(1, longest)).toFixed(1) + '%';
    return h('tr', { class: 'trace' + (tr.errors ? ' failed' : ''), 'data-trace-id': tr.trace_id },
      h('td', { class: 'mono' }, fmt.clock(tr.start)),
      h('td', {}, h('a', { href: '/traces/' + tr.trace_id }, tr.root || tr.trace_id)),
      h('td', {}, tr.service),
      h('td', { class: 'num' }, fmt.ms(tr.duration_ns / 1e6)),
      h('td', { class: 'durbar' }, bar),
      h('td', { class: 'num' }, tr.spans),
      h('td', { class: 'num' }, tr.errors ? h('span', { class: 'err' }, tr.errors) : '0'),
      h('td', {}, tr.services.map((svc) => h('span', { class: 'chip ' + colorClass(svc) }, svc))));
  }

  function traces() {
    const form = $('#trace-filters');
    const p = poll(async () => {
      const q = new URLSearchParams(new FormData(form));
      for (const [k, v] of [...q]) if (!v) q.delete(k);
      history.replaceState(null, '', '/traces' + (q.toString() ? '?' + q : ''));
      q.set('limit', '100');
      const d = await getJSON('/api/traces?' + q);
      const longest = Math.max(0, ...d.traces.map((t) => t.duration_ns));
      const rows = d.traces.map((t) => traceRow(t, longest));
      if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'no trace matches: use the shop, and spans arrive within a few seconds')));
      $('#traces tbody').replaceChildren(...rows);
    });
    form.addEventListener('change', () => p.now());
    form.addEventListener('submit', (ev) => { ev.preventDefault(); p.now(); });
  }

  // trace reloads a trace page while its spans are still arriving (they
  // are exported in batches, seconds apart), unless a span is open.
  function trace() {
    const wf = $('#waterfall');
    if (!wf) return;
    const id = wf.dataset.traceId, shown = Number(wf.dataset.spans), until = Date.now() + 20000;
    const timer = setInterval(async () => {
      if (Date.now() > until) { clearInterval(timer); return; }
      try {
        const d = await getJSON('/api/traces/' + id);
        setLive(true);
        if (d.spans.length > shown && !$('details.span[open]')) window.location.reload();
      } catch (e) { setLive(false, e); }
    }, POLL_MS);
  }

  // ---- logs -------------------------------------------------------------------------

  function logLine(l) {
    return h('div', { class: 'log-line level-' + (l.level || '').toLowerCase(), 'data-seq': l.seq },
      h('span', { class: 't' }, fmt.clock(l.time)),
      h('span', { class: 'inst ' + colorClass(l.service) }, l.instance),
      h('span', { class: 'lvl' }, l.level),
      h('span', { class: 'msg' }, l.msg),
      h('span', { class: 'kv' }, l.attrs || ''),
      l.trace_id ? h('a', { class: 'trace-link', href: '/traces/' + l.trace_id }, l.trace_id.slice(0, 12)) : null);
  }

  function logs() {
    const box = $('#logs'), form = $('#log-filters');
    const seqs = $$('.log-line', box).map((el) => Number(el.dataset.seq));
    let after = Math.max(Number(box.dataset.lastSeq) || 0, ...seqs);
    box.scrollTop = box.scrollHeight;
    const p = poll(async () => {
      if (form.elements.pause.checked) return;
      const q = new URLSearchParams();
      for (const k of ['service', 'level', 'q']) if (form.elements[k].value) q.set(k, form.elements[k].value);
      q.set('after', after);
      q.set('limit', '1000');
      const d = await getJSON('/api/logs?' + q);
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
      if (d.lines.length) {
        const empty = $('#logs-empty');
        if (empty) empty.remove();
        box.append(...d.lines.map(logLine));
        while (box.children.length > 3000) box.firstElementChild.remove();
      }
      after = Math.max(after, d.last_seq, ...d.lines.map((l) => l.seq));
      $('#log-count').textContent = box.querySelectorAll('.log-line').length + ' lines';
      if (atBottom) box.scrollTop = box.scrollHeight;
    });
    const refilter = debounce(() => {
      if (form.elements.pause.checked) return;
      box.replaceChildren();
      after = 0;
      p.now();
    }, 250);
    form.addEventListener('input', (ev) => { if (ev.target.name !== 'pause') refilter(); });
    form.addEventListener('submit', (ev) => ev.preventDefault());
  }

  // ---- mailbox ------------------------------------------------------------------------

  function mailbox() {
    const list = $('#mailbox'), form = $('#mail-filters'), status = $('#mailbox-status');
    const p = poll(async () => {
      const to = form.elements.to.value.trim();
      const d = await getJSON('/api/mailbox' + (to ? '?to=' + encodeURIComponent(to) : ''));
      status.hidden = d.available;
      status.textContent = 'mailbox unavailable: ' + (d.error || '');
      const open = new Set($$('details.mail[open]', list).map((el) => el.dataset.id));
      const items = d.messages.map((m) => h('details', { class: 'mail', 'data-id': m.id, open: open.has(m.id) },
        h('summary', {},
          h('span', { class: 'mono t' }, fmt.stamp(m.time)), h('span', { class: 'to' }, m.to), h('span', { class: 'subject' }, m.subject),
          h('span', { class: 'chip' }, m.kind), h('span', { class: 'mono muted' }, m.order_id)),
        h('pre', {}, m.body)));
      if (!items.length && d.available) items.push(h('p', { class: 'empty' }, 'no message yet: place an order in the shop'));
      list.replaceChildren(...items);
    }, 3000);
    form.addEventListener('input', debounce(() => p.now(), 300));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); p.now(); });
  }

  // ---- faults ---------------------------------------------------------------------------

  function renderFaults(list) {
    const rows = list.map((f) => h('tr', { class: 'fault', 'data-from': f.from, 'data-to': f.to },
      h('td', {}, f.from), h('td', {}, f.to), h('td', { class: 'num' }, fmt.ms(f.latency_ms)),
      h('td', { class: 'num' }, fmt.pct(f.error_rate)), h('td', {}, f.blackhole ? 'yes' : '')));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'no fault injected')));
    $('#faults tbody').replaceChildren(...rows);
  }

  function faults() {
    const form = $('#fault-form');
    const p = poll(async () => renderFaults((await getJSON('/api/faults')).faults));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const el = form.elements;
      const body = {
        from: el.from.value, to: el.to.value,
        latency_ms: Number(el.latency_ms.value) || 0,
        error_rate: (Number(el.error_percent.value) || 0) / 100,
        blackhole: el.blackhole.checked,
      };
      try {
        renderFaults((await send('POST', '/api/faults', body)).faults);
        toast(`fault set: ${body.from} → ${body.to}`);
      } catch (e) {
        toast('fault not set: ' + e.message, true);
      }
    });
    $('#clear-faults').addEventListener('click', async () => {
      try {
        renderFaults((await send('DELETE', '/api/faults')).faults);
        toast('faults cleared');
      } catch (e) {
        toast('faults not cleared: ' + e.message, true);
      }
      p.now();
    });
  }

  const pages = { overview, topology, signals, traces, trace, logs, mailbox, faults };
  const start = pages[document.body.dataset.page];
  if (start) start();
})();

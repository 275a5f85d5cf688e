// The live dashboard: the chart first drawn from /api/stats/history (the server's ring of recent ticks), then ticks
// from /events (the seed's payload), breakdowns from /api/insights on each tick,
// each tenant's tokens this hour and today from /api/usage/summary every 5 s (the usage ledger: closed windows only).
(function () {
  'use strict';
  var WINDOW = 600; // points kept: ten minutes of ticks
  var xs = [], tps = [], high = [], low = [];
  var $ = function (id) { return document.getElementById(id); };
  var one = function (v) { return v === null || v === undefined ? '–' : Number(v).toFixed(1); };
  var ms = function (v) { return v === null || v === undefined ? '–' : String(Math.round(v)); };

  // A server with tokens: the page takes one from its address (?access_token=TOKEN), keeps it for this tab and
  // drops it from the address bar; or asks for one when the server answers 401. The API gets it as a header,
  // /events as ?access_token= (an EventSource cannot set headers).
  var KEY = 'metering.token';
  var params = new URLSearchParams(location.search);
  if (params.has('access_token')) {
    sessionStorage.setItem(KEY, params.get('access_token'));
    params.delete('access_token');
    history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : '') + location.hash);
  }
  var token = sessionStorage.getItem(KEY);
  var asked = false;
  function api(path) {
    return fetch(path, token ? { headers: { Authorization: 'Bearer ' + token } } : {}).then(function (r) {
      if (r.status === 401 && !asked) {
        asked = true;
        var t = window.prompt('This server needs a token (ask its operator):');
        if (t) { sessionStorage.setItem(KEY, t.trim()); location.reload(); }
      }
      return r;
    });
  }

  var chart = new uPlot({
    width: Math.min(window.innerWidth - 60, 1100), height: 280,
    scales: { x: { time: true } },
    series: [
      {},
      { label: 'tokens/s', stroke: '#2463eb', width: 2 },
      { label: 'hour high', stroke: '#9aa6b8', dash: [4, 4] },
      { label: 'hour low', stroke: '#9aa6b8', dash: [4, 4] }
    ],
    bands: [{ series: [2, 3], fill: 'rgba(36, 99, 235, 0.08)' }],
    axes: [{}, { label: 'tokens/s' }]
  }, [xs, tps, high, low], $('chart'));
  window.meteringChart = chart; // for the browser tests: the points drawn

  function onTick(ts, d) {
    $('tick').textContent = new Date(ts).toISOString().substring(11, 19) + ' UTC';
    $('tps').textContent = d.tps_available ? one(d.tps) : '–';
    $('high').textContent = one(d.high);
    $('low').textContent = one(d.low);
    $('active').textContent = String(d.active);
    if (xs.length && ts / 1000 <= xs[xs.length - 1]) { return; }
    xs.push(ts / 1000); tps.push(d.tps); high.push(d.high); low.push(d.low);
    if (xs.length > WINDOW) { xs.shift(); tps.shift(); high.shift(); low.shift(); }
    chart.setData([xs, tps, high, low]);
  }

  function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }

  // SLO attainment (the share of a window's judged streams that met all their objectives), as a percent with one
  // decimal; the cell is marked 'under' when the unrounded share is below the target (exactly at it is not). '–' when
  // the record has no objective (no slo) or no stream was judged in the window (all null).
  function pct(share) { return (share * 100).toFixed(1) + '%'; }
  function attainment(row, slo, window) {
    var w = slo ? slo[window] : null;
    var all = w ? w.all : null;
    var td = cell(row, all == null ? '–' : pct(all)); // == null: null or undefined
    if (all != null && all < slo.target) { td.className = 'under'; }
    return td;
  }

  function onInsights(records) {
    var global = records.find(function (r) { return r.group === 'global'; });
    $('system-tps').textContent = global ? one(global.system_tps) : '–';
    $('ttft-p50').textContent = global && global.ttft_ms ? ms(global.ttft_ms.p50) : '–';
    $('ttft-p99').textContent = global && global.ttft_ms ? ms(global.ttft_ms.p99) : '–';
    var busiest = records.filter(function (r) { return r.group !== 'global'; })
      .sort(function (a, b) { return (b.system_tps || 0) - (a.system_tps || 0); }).slice(0, 12);
    var body = document.querySelector('#groups tbody');
    body.textContent = '';
    busiest.forEach(function (r) {
      var row = document.createElement('tr');
      cell(row, r.group); cell(row, r.name === null ? '(none)' : r.name); cell(row, String(r.active));
      cell(row, one(r.tps)); cell(row, one(r.system_tps));
      cell(row, r.ttft_ms ? ms(r.ttft_ms.p50) : '–'); cell(row, r.ttft_ms ? ms(r.ttft_ms.p99) : '–');
      attainment(row, r.slo, 'last_minute'); attainment(row, r.slo, 'last_hour');
      cell(row, r.slo && r.slo.last_minute ? one(r.slo.last_minute.goodput_tokens_per_second) : '–');
      body.appendChild(row);
    });
    var judged = records.find(function (r) { return r.slo; });
    $('slo-note').textContent = judged
      ? 'SLO: of the streams that left in the last minute (1 min) or hour (1 h), the share that met all their '
        + 'objectives; red under the target, ' + pct(judged.slo.target) + ' (metering.slo.target). Goodput: the output '
        + 'tokens per second of the last minute\'s streams that met them.'
      : 'No SLO objective is set (metering.slo.ttft.ms, metering.slo.tpot.ms).';
  }

  var pending = false;
  function refreshInsights() {
    if (pending) { return; }
    pending = true;
    api('/api/insights').then(function (r) { return r.ok ? r.json() : []; })
      .then(onInsights).catch(function () { }).then(function () { pending = false; });
  }

  var USAGE_EVERY_MS = 5000;
  var TYPES = ['tokens', 'input_tokens', 'output_tokens', 'reasoning_tokens', 'cached_input_tokens'];
  // Token sums are JSON integers of any size: keep each number's own digits where the browser gives them (JSON.parse's
  // source text), so sums beyond 2^53 are shown exactly.
  function exact(key, value, context) {
    return typeof value === 'number' && context && typeof context.source === 'string' ? context.source : value;
  }
  function grouped(v) { return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function hhmm(iso, plusMs) { return new Date(Date.parse(iso) + plusMs).toISOString().substring(11, 16); }

  function onUsage(summary) {
    var body = document.querySelector('#usage-table tbody');
    body.textContent = '';
    if (summary.as_of === null) {
      $('usage-period').textContent = 'The usage ledger holds no closed window yet.';
      return;
    }
    $('usage-period').textContent = 'Hour ' + hhmm(summary.hour_start, 0) + '–' + hhmm(summary.hour_start, 3600000)
      + ' and day ' + summary.day_start.substring(0, 10) + ' (UTC) of the newest closed window, which ends at '
      + hhmm(summary.as_of, 0) + ' UTC.'
      + (summary.complete ? '' : ' Incomplete: this server dropped windows of this day (its bound of records).');
    summary.tenants.forEach(function (t) {
      var row = document.createElement('tr');
      cell(row, t.tenant === null ? '(none)' : t.tenant);
      TYPES.forEach(function (type) { cell(row, grouped(t.hour[type])); });
      TYPES.forEach(function (type) { cell(row, grouped(t.day[type])); });
      body.appendChild(row);
    });
  }

  function usageUnavailable(why) {
    document.querySelector('#usage-table tbody').textContent = '';
    $('usage-period').textContent = 'Usage unavailable: ' + why;
  }

  var usagePending = false;
  function refreshUsage() {
    if (usagePending) { return; }
    usagePending = true;
    api('/api/usage/summary').then(function (r) {
      return r.text().then(function (text) {
        var body;
        try { body = JSON.parse(text, exact); } catch (e) { body = null; }
        if (r.ok && body) { onUsage(body); } else { usageUnavailable(body && body.error ? body.error : 'HTTP ' + r.status); }
      });
    }).catch(function () { usageUnavailable('no answer from the server'); })
      .then(function () { usagePending = false; });
  }
  refreshUsage();
  setInterval(refreshUsage, USAGE_EVERY_MS);

  refreshInsights();
  // Live ticks are held until the history is drawn: subscribing first, then reading the ring, leaves no gap between
  // them; a held tick the history already holds is skipped by onTick (not newer than the last drawn).
  var held = [];
  var source = new EventSource(token ? '/events?access_token=' + encodeURIComponent(token) : '/events');
  source.onopen = function () { $('status').textContent = 'live'; $('status').className = 'status live'; };
  source.onerror = function () { $('status').textContent = 'reconnecting…'; $('status').className = 'status'; };
  source.addEventListener('metering', function (e) {
    var ts = Number(e.lastEventId), d = JSON.parse(e.data);
    if (held) { held.push([ts, d]); return; }
    onTick(ts, d);
    refreshInsights();
  });
  api('/api/stats/history').then(function (r) { return r.ok ? r.json() : []; }).catch(function () { return []; })
    .then(function (ticks) {
      ticks.forEach(function (t) { onTick(t.ts, t); });
      var live = held;
      held = null;
      live.forEach(function (t) { onTick(t[0], t[1]); });
      refreshInsights();
    });
})();

/*
 * llm-metering live TPS: a hermes-webui extension (see README.md beside it).
 *
 * On each turn hermes-webui starts (its `turn:start` lifecycle event, which carries the stream id), this opens
 * EventSource('<meter_url>/events?stream=<id>') on llm-metering's serve and shows that stream's `stream_tps`, one
 * decimal as serve publishes it, in the live assistant turn's TPS label (`.msg-tps-inline`); it closes the
 * EventSource when the turn completes, fails or is cancelled. While a turn is open, hermes' own live figure
 * (its in-process meter's, set through `_setLiveAssistantTps`) does not overwrite the label.
 */
(function () {
  'use strict';

  var ID = 'llm-metering-tps';
  var TERMINAL = ['turn:complete', 'turn:error', 'turn:cancel'];
  var api = window.hermesExt;
  var ext = api && typeof api.register === 'function' ? api.register(ID) : null;
  if (!ext || !ext.events || typeof ext.events.on !== 'function') {
    console.warn('[' + ID + '] needs hermes-webui\'s extension handle with turn lifecycle events ' +
      '(hermesExt.register and events.on; install it through its manifest.json); not started');
    return;
  }

  var turns = new Map();   // stream id -> {source, text, title}, in start order: the newest owns the label
  var hermesSetter = null; // hermes' own _setLiveAssistantTps while a turn of ours is open

  function setting(name) {
    var value = ext.settings && typeof ext.settings.get === 'function' ? ext.settings.get(name) : '';
    return typeof value === 'string' ? value.trim() : '';
  }

  function eventsUrl(streamId) {
    var url = setting('meter_url').replace(/\/+$/, '') + '/events?stream=' + encodeURIComponent(streamId);
    var token = setting('token');
    return token ? url + '&access_token=' + encodeURIComponent(token) : url;
  }

  function newest() {
    var last = null;
    turns.forEach(function (turn) { last = turn; });
    return last;
  }

  /** Writes the newest turn's figure into the live turn's label, as hermes itself writes its own. */
  function render() {
    var turn = newest();
    if (!turn || window._showTps !== true) return; // hermes' "Show token speed (TPS)" setting
    var role = document.querySelector('#liveAssistantTurn .msg-role.assistant');
    if (!role) return; // the live turn is drawn with the answer's first token; the next tick fills it
    var chip = role.querySelector('.msg-tps-inline');
    if (!turn.text) {
      if (chip) chip.remove();
      return;
    }
    if (!chip) {
      chip = document.createElement('span');
      chip.className = 'msg-tps-inline';
      role.appendChild(chip);
    }
    chip.textContent = turn.text;
    chip.title = turn.title;
  }

  function ownTheLabel() {
    if (hermesSetter !== null || typeof window._setLiveAssistantTps !== 'function') return;
    hermesSetter = window._setLiveAssistantTps;
    window._setLiveAssistantTps = function () { render(); };
  }

  function giveTheLabelBack() {
    if (hermesSetter === null || turns.size > 0) return;
    window._setLiveAssistantTps = hermesSetter;
    hermesSetter = null;
  }

  function onMetering(turn, message) {
    var d;
    try {
      d = JSON.parse(message.data);
    } catch (_) {
      return;
    }
    if (typeof d.stream_tps === 'number' && isFinite(d.stream_tps)) {
      turn.text = d.stream_tps.toFixed(1) + ' t/s';
      turn.title = 'Tokens per second, metered by llm-metering' +
        (typeof d.ttft_ms === 'number' ? '; first token after ' + d.ttft_ms + ' ms' : '');
    } else {
      turn.text = '';
      turn.title = '';
    }
    render();
  }

  function start(event) {
    var streamId = event && event.streamId;
    if (!streamId || turns.has(streamId) || !setting('meter_url')) return;
    var turn = {source: null, text: '', title: '', warned: false};
    turn.source = new EventSource(eventsUrl(streamId));
    turn.source.addEventListener('metering', function (message) { onMetering(turn, message); });
    turn.source.addEventListener('error', function () {
      if (turn.source.readyState === EventSource.CLOSED && !turn.warned) { // refused: a 401, 403, 503 or CORS
        turn.warned = true;
        console.warn('[' + ID + '] the meter refused ' + setting('meter_url') + '/events for stream ' + streamId);
      }
    });
    turns.set(streamId, turn);
    ownTheLabel();
  }

  function end(event) {
    var streamId = event && event.streamId;
    var turn = streamId ? turns.get(streamId) : null;
    if (!turn) return;
    turn.source.close();
    turns.delete(streamId);
    giveTheLabelBack();
  }

  ext.events.on('turn:start', start);
  TERMINAL.forEach(function (type) { ext.events.on(type, end); });
})();

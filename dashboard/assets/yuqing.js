/* Browser-side helpers of the console: the header clock, the alert countdowns (a clientside callback on the
   1-second interval, no server round trip) and a return to the sign-in page when the session has ended. */
(function () {
  "use strict";

  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var hms = pad(h) + ":" + pad(m) + ":" + pad(sec);
    return d > 0 ? d + "天 " + hms : hms;
  }

  function countdownText(entry, now) {
    if (!entry) { return ["", "countdown cd-none"]; }
    if (entry.kind === "paused") { return ["计时暂停", "countdown cd-paused"]; }
    if (!entry.deadline) { return [entry.text || "—", "countdown cd-none"]; }
    var left = entry.deadline - now;
    if (entry.kind === "escalation") {
      if (left <= 0) { return ["升级处理中", "countdown cd-over"]; }
      return ["距升级 " + span(left), left <= 5 * 60000 ? "countdown cd-warn" : "countdown cd-ok"];
    }
    if (left <= 0) { return ["已超时 " + span(left), "countdown cd-over"]; }
    var warn = entry.warn ? now >= entry.warn : left <= 2 * 3600000;
    return ["回应剩余 " + span(left), warn ? "countdown cd-warn" : "countdown cd-ok"];
  }

  window.yuqing = {
    clock: function () { return clockFormat.format(new Date()); },
    countdownText: countdownText
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    yuqing: {
      countdown: function (n, data) {
        var ctx = window.dash_clientside.callback_context;
        var outs = (ctx && ctx.outputs_list) || [[], []];
        var now = Date.now();
        var texts = [], classes = [];
        (outs[0] || []).forEach(function (o) {
          var r = countdownText((data || {})[String(o.id.index)], now);
          texts.push(r[0]);
          classes.push(r[1]);
        });
        return [texts, classes];
      }
    }
  });

  // When the session ends (timeout, sign-out elsewhere) callbacks answer 401: go to the sign-in page
  // instead of leaving a wall screen frozen on stale figures.
  var originalFetch = window.fetch;
  window.fetch = function () {
    return originalFetch.apply(this, arguments).then(function (response) {
      if (response.status === 401 && String(response.url || "").indexOf("/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?expired=1&next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();

// The KPI page's 14-day trend, drawn with the vendored uPlot from the figures the server rendered
// into #kpi-chart-data. Labels and values come from the server; this file only draws.
(function () {
  "use strict";
  var holder = document.getElementById("kpi-chart");
  var source = document.getElementById("kpi-chart-data");
  if (!holder || !source || typeof uPlot === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  var colours = ["#2563eb", "#16a34a", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#dc2626"];
  var series = [{}];
  var data = [chart.x];
  chart.series.forEach(function (s, i) {
    series.push({
      label: s.label,
      stroke: colours[i % colours.length],
      width: 2,
      points: { show: true, size: 5 },
      value: function (u, v) { return v == null ? "—" : v.toFixed(1) + "%"; }
    });
    data.push(s.values);
  });
  function width() { return Math.max(320, holder.clientWidth || 800); }
  var plot = new uPlot({
    width: width(),
    height: 300,
    // The x values are station days at midnight, written as UTC: draw them in UTC, not in the
    // browser's zone, or a day's point would sit beside its tick.
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
    series: series,
    scales: { x: { time: true }, y: { range: [0, 100] } },
    axes: [{}, { label: holder.dataset.percent || "%", values: function (u, vals) { return vals.map(function (v) { return v + "%"; }); } }]
  }, data, holder);
  holder.dataset.drawn = String(chart.x.length);
  window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 300 }); });
})();

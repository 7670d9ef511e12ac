// The forecast page's chart: the station's daily pickups and deliveries, then the forecast days
// dashed, drawn with the vendored uPlot from #forecast-chart-data. Labels come from the server.
(function () {
  "use strict";
  var holder = document.getElementById("forecast-chart");
  var source = document.getElementById("forecast-chart-data");
  if (!holder || !source || typeof uPlot === "undefined") { return; }
  var chart = JSON.parse(source.textContent);
  var labels = holder.dataset;
  function line(label, colour, dashed) {
    return { label: label, stroke: colour, width: 2, dash: dashed ? [6, 4] : undefined, points: { show: true, size: 4 },
             value: function (u, v) { return v == null ? "—" : String(v); } };
  }
  var series = [{},
    line(labels.deliveries, "#2563eb", false), line(labels.pickups, "#16a34a", false),
    line(labels.deliveriesForecast, "#2563eb", true), line(labels.pickupsForecast, "#16a34a", true)];
  var data = [chart.x, chart.deliveries, chart.pickups, chart.deliveries_forecast, chart.pickups_forecast];
  function width() { return Math.max(320, holder.clientWidth || 800); }
  var plot = new uPlot({
    width: width(),
    height: 300,
    // Days at midnight written as UTC: drawn in UTC so a point sits on its day's tick.
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
    series: series,
    scales: { x: { time: true } },
    axes: [{}, {}]
  }, data, holder);
  holder.dataset.drawn = String(chart.x.length);
  window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 300 }); });
})();

// the open-data usage chart (ECharts): moved out of the page so that the CSP allows scripts from 'self' only
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("usage-chart");
  if (!window.echarts || !el) return;
  var data = JSON.parse(document.getElementById("usage-data").textContent);
  var days = data.daily.map(function (d) { return d.day.slice(5); });
  var keys = ["views", "downloads", "api_calls"];
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" }, legend: { data: data.labels, top: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 32 },
    xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
    series: keys.map(function (k, i) {
      return { name: data.labels[i], type: "line", data: data.daily.map(function (d) { return d[k]; }) };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});

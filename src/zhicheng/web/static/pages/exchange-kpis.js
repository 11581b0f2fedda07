// the sharing KPI bar charts (ECharts): moved out of the page so that the CSP allows scripts from 'self' only
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) return;
  var data = JSON.parse(document.getElementById("kpi-data").textContent);
  function bars(id, names, values, option) {
    var el = document.getElementById(id);
    if (!el || !names.length) return;
    var chart = echarts.init(el);
    chart.setOption(Object.assign({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 24, bottom: 8, containLabel: true },
      yAxis: { type: "category", data: names.slice().reverse(), axisLabel: { width: 180, overflow: "truncate" } }
    }, option(values.slice().reverse())));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  bars("dept-chart", data.departments, data.rates, function (values) {
    return {
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: data.rate_label, type: "bar", data: values.map(function (v) {
          var pct = v == null ? 0 : Math.round(v * 1000) / 10;  // below the target in amber
          return { value: pct, itemStyle: { color: pct > data.target * 100 ? "#2f6fd0" : "#d48806" } };
        }),
        label: { show: true, position: "right", formatter: "{c}%" },
        markLine: { symbol: "none", data: [{ xAxis: data.target * 100, name: data.target_label }],
          label: { formatter: data.target_label + " {c}%" }, lineStyle: { color: "#c0392b", type: "dashed" } } }]
    };
  });
  bars("used-chart", data.resources, data.calls, function (values) {
    return { xAxis: { type: "value", minInterval: 1 },
      series: [{ name: data.calls_label, type: "bar", data: values, label: { show: true, position: "right" } }] };
  });
});

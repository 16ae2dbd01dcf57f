/* Clientside callbacks of the overview page. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  fengqiao: {
    /* Graphs resize on window resize only: after a layout switch (大屏), tell them. */
    resizeGraphs: function (className) {
      window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 50);
      return className && className.indexOf("bigscreen") >= 0 ? "退出大屏模式" : "切换到大屏模式";
    },
    /* Download the map as PNG, named after its title (area, level, measure, period). */
    downloadMapPng: function (nClicks) {
      const graph = document.querySelector("#ov-map .js-plotly-plot");
      if (!graph || !nClicks) {
        return window.dash_clientside.no_update;
      }
      const title = ((graph.layout.title && graph.layout.title.text) || "信阳市矛盾纠纷地图").split("<br>")[0];
      const filename = title.replace(/[\\/:*?"<>|\s·]+/g, "_");
      window.Plotly.downloadImage(graph, {format: "png", filename: filename, width: 1600, height: 1000});
      return "已导出：" + title;
    },
  },
});

/* Clientside callbacks of the 党员联户 page. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  workspace: {
    /* Ask the server whether colleagues changed this township's links since the page drew them. The request
       is passive (it does not keep the session alive); the "更新" button redraws the rows. */
    watchChanges: async function (_n, township, seen) {
      const no = window.dash_clientside.no_update;
      if (!township || seen === null || seen === undefined) {
        return [no, no];
      }
      try {
        const response = await fetch("/workspace/changes?township=" + encodeURIComponent(township) +
                                      "&after=" + encodeURIComponent(seen), {credentials: "same-origin"});
        if (response.status === 401) {
          return [false, "登录已过期：请刷新页面，重新登录后再继续。"];
        }
        if (!response.ok) {
          return [no, no];
        }
        const news = await response.json();
        if (!news.households) {
          return [no, no];
        }
        return [false, news.users.join("、") + " 刚调整了本乡镇 " + news.households + " 户的联户，地图和表格尚未更新。"];
      } catch (error) {
        return [no, no];
      }
    },
  },
});

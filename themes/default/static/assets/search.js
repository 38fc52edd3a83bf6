/* The search page: Pagefind's index, searched word by word.
 *
 * bulletin indexes every Chinese character as a word (see bulletin/search.py), so a Chinese
 * word is looked up as the phrase of its characters: 高新区 is searched as "高 新 区" and finds
 * exactly the reports containing 高新区, with any Pagefind, whatever words its indexer or the
 * browser would have cut the text into. Other words are searched as Pagefind does (by prefix),
 * and a query of several words finds the reports that hold all of them.
 */
(function () {
  "use strict";
  var CJK = /[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\u{20000}-\u{3134f}]/u;
  var SEPARATORS = /[\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+/;
  var PAGE = 10;
  var root = document.getElementById("search");
  if (!root) { return; }
  var form = root.querySelector("form");
  var input = root.querySelector("input[name=q]");
  var status = root.querySelector(".search-status");
  var list = root.querySelector(".search-results");
  var more = root.querySelector(".search-more");
  var bundle = root.getAttribute("data-bundle");
  var pagefind = null;
  var current = { ids: [], shown: 0, serial: 0 };

  // A Chinese word as the phrase of its characters ("5G基站" → "5G 基 站"); other words as they are.
  function term(word) {
    if (!CJK.test(word)) { return word; }
    var parts = [];
    var run = "";
    Array.from(word).forEach(function (ch) {
      if (CJK.test(ch)) {
        if (run) { parts.push(run); run = ""; }
        parts.push(ch);
      } else if (/\s/.test(ch)) {
        if (run) { parts.push(run); run = ""; }
      } else {
        run += ch;
      }
    });
    if (run) { parts.push(run); }
    return '"' + parts.join(" ") + '"';
  }

  function words(query) {
    var quoted = (query.match(/"[^"]+"/g) || []).map(function (q) {
      var inside = q.slice(1, -1).trim();
      return CJK.test(inside) ? term(inside) : q;
    });
    // Words are separated by spaces and by Chinese punctuation (高新区，集成电路 is two words).
    var rest = query.replace(/"[^"]+"/g, " ").split(SEPARATORS).filter(Boolean);
    return quoted.concat(rest.map(term));
  }

  function load() {
    if (!pagefind) {
      pagefind = import(bundle + "pagefind.js").then(function (module) {
        // An excerpt of 50 words: 50 characters of Chinese, about two lines.
        return module.options({ bundlePath: bundle, excerptLength: 50 }).then(function () { return module; });
      });
    }
    return pagefind;
  }

  function search(query) {
    var serial = ++current.serial;
    var terms = words(query);
    list.innerHTML = "";
    more.hidden = true;
    list.setAttribute("aria-busy", "false");
    if (!terms.length) { status.textContent = ""; return; }
    list.setAttribute("aria-busy", "true");  // until the results are listed
    status.textContent = "正在搜索……";
    load().then(function (module) {
      return Promise.all(terms.map(function (term) { return module.search(term); }));
    }).then(function (answers) {
      if (serial !== current.serial) { return; }
      // Reports holding every word, in the order of the first word's ranking.
      var ids = answers[0].results.map(function (r) { return r; });
      answers.slice(1).forEach(function (answer) {
        var keep = {};
        answer.results.forEach(function (r) { keep[r.id] = true; });
        ids = ids.filter(function (r) { return keep[r.id]; });
      });
      current.ids = ids;
      current.shown = 0;
      status.textContent = ids.length ? "找到 " + ids.length + " 篇报道" : "没有找到包含“" + query + "”的报道";
      show();
    }).catch(function () {
      status.textContent = "搜索暂时不可用。";
      list.setAttribute("aria-busy", "false");
    });
  }

  function show() {
    var serial = current.serial;
    var batch = current.ids.slice(current.shown, current.shown + PAGE);
    current.shown += batch.length;
    list.setAttribute("aria-busy", "true");
    Promise.all(batch.map(function (r) { return r.data(); })).then(function (pages) {
      if (serial !== current.serial) { return; }
      pages.forEach(function (data) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = data.url;
        link.textContent = (data.meta.title || data.url).replace(/\u200b/g, "");  // a title split for the index
        var heading = document.createElement("h2");
        heading.className = "search-result-title";
        heading.appendChild(link);
        var excerpt = document.createElement("p");
        excerpt.className = "search-excerpt";
        // Pagefind's text, escaped, with <mark> around each matching character: one <mark> a word.
        excerpt.innerHTML = data.excerpt.replace(/<\/mark><mark>/g, "");
        item.appendChild(heading);
        item.appendChild(excerpt);
        list.appendChild(item);
      });
      more.hidden = current.shown >= current.ids.length;
      list.setAttribute("aria-busy", "false");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim();
    history.replaceState(null, "", "?q=" + encodeURIComponent(query));
    search(query);
  });
  more.addEventListener("click", show);
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; search(initial.trim()); }
})();

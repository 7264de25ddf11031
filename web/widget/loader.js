// widget.js — the one script a site embeds. It reads its data-* attributes,
// defines window.Portico as a queue of calls, and loads the chat UI only once
// the page has finished loading, so the widget never delays the host page.
(function () {
  // Replaced at build time by the content-hashed path of the widget app.
  var APP = '__PORTICO_APP__';
  var w = window;
  var d = document;
  if (w.Portico && w.Portico._cfg) return; // the tag is on the page twice

  var s = d.currentScript || d.querySelector('script[src*="widget.js"][data-account]');
  var attr = function (name) {
    return (s && s.getAttribute('data-' + name)) || '';
  };
  var account = attr('account');
  if (!account || !s.src) {
    console.warn('Portico: the widget script needs a data-account attribute');
    return;
  }
  // The API lives where widget.js came from, including any path prefix.
  var m = /^(.*)\/widget\.js(?:[?#]|$)/.exec(s.src);
  var queue = [];
  var portico = {
    _q: queue,
    _cfg: {
      base: m ? m[1] : new URL(s.src).origin,
      account: account,
      advertiser: attr('advertiser'),
      listing: attr('listing'),
      listingTitle: attr('listing-title'),
    },
  };
  ['open', 'close', 'identify', 'openChat'].forEach(function (name) {
    portico[name] = function () {
      queue.push([name, [].slice.call(arguments)]);
    };
  });
  w.Portico = portico;

  // One delegated listener serves every chat button on the page, including
  // buttons added later. Before the app is there, the call is queued.
  d.addEventListener('click', function (e) {
    var el = e.target.closest && e.target.closest('[data-portico-advertiser]');
    if (!el) return;
    e.preventDefault();
    w.Portico.openChat({
      advertiser: el.getAttribute('data-portico-advertiser'),
      listing: el.getAttribute('data-portico-listing') || '',
      listingTitle: el.getAttribute('data-portico-listing-title') || '',
    });
  });

  function load() {
    var el = d.createElement('script');
    el.async = true;
    el.src = portico._cfg.base + APP;
    (d.head || d.body).appendChild(el);
  }
  if (d.readyState === 'complete') setTimeout(load, 0);
  else w.addEventListener('load', load);
})();

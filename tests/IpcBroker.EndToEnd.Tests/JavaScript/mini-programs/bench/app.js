// The benchmark's mini program: marks onLaunch and the first answered wx.login; then, when config.js (the benchmark
// writes it) asks for calls, times that many sequential wx.checkSession calls with Date.now() after the login and at
// each reopen (onShow after the first).
var config = require('./config');
var shows = 0;

function timeCheckSession() {
  (async function () {
    var started = Date.now();
    for (var i = 0; i < config.calls; i++) {
      await wx.checkSession();
    }

    console.log('bench: checkSession ' + config.calls + ' calls in ' + (Date.now() - started) + ' ms');
  })().catch(function (e) { console.error('bench: checkSession failed ' + JSON.stringify(e)); });
}

App({
  onLaunch: function () {
    console.log('bench: onLaunch');
    wx.login({
      success: function () {
        console.log('bench: login answered');
        if (config.calls > 0) {
          timeCheckSession();
        }
      },
      fail: function (err) { console.error('bench: login failed ' + JSON.stringify(err)); }
    });
  },
  onShow: function () {
    shows++;
    if (shows > 1 && config.calls > 0) {
      timeCheckSession();
    }
  }
});

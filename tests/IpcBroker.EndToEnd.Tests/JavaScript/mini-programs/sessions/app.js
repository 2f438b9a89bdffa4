// WeChat's session rules: checkSession before and after wx.login, in both styles.
function check(tag) {
  return wx.checkSession().then(
    function () { console.log('sessions: ' + tag + ' checkSession ok'); },
    function (err) { console.log('sessions: ' + tag + ' checkSession fail ' + err.errno + ' ' + err.errMsg); });
}

App({
  onLaunch: function () {
    (async function () {
      await check('before login');
      var res = await wx.login();
      console.log('sessions: code ' + res.code);
      await new Promise(function (resolve) {
        wx.checkSession({
          success: function () { console.log('sessions: after login checkSession ok'); },
          fail: function (err) { console.log('sessions: after login checkSession fail ' + err.errMsg); },
          complete: resolve
        });
      });
    })().catch(function (e) { console.error('sessions: broke ' + e); });
  }
});

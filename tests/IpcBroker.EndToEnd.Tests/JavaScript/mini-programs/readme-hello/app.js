// app.js: the entry script (app.json's "entry").
const greeting = require('./lib/greeting');

async function afterLogin() {
  try {
    await wx.checkSession();                       // Promise style: no success/fail/complete given
    console.log('hello: session ok');
  } catch (err) {
    console.warn('hello: no session (' + err.errno + ' ' + err.errMsg + ')');
  }

  wx.invokeNativePlugin({                          // a custom API: the mini executable's GreetingPlugin
    api_name: 'greeting.countdown',
    data: { name: 'Ada', from: 3 },
    onState: (state) => console.log('hello: ' + state.left + '...'),
    success: (res) => console.log('hello: ' + greeting.shout(res.text)),
    fail: (err) => console.error('hello: ' + err.errMsg),
  });
}

App({
  onLaunch(options) {
    console.log('hello: launched');
    wx.login({                                     // callback style
      success: (res) => console.log('hello: logged in, code of ' + res.code.length + ' characters'),
      fail: (err) => console.error('hello: login failed: ' + err.errno + ' ' + err.errMsg),
      complete: () => afterLogin(),
    });
  },
  onShow() { console.log('hello: shown'); },
  onHide() { console.log('hello: hidden'); },
  onError(message) { console.error('hello: ' + message); },
});

// Every wx open API in callback style (success/fail/complete) and in Promise style; one console line per callback.
var plain = ['login', 'getUserInfo', 'getUserProfile', 'getPhoneNumber', 'checkSession', 'getEmail', 'chooseAvatar', 'getNickName'];
var payments = ['requestPayment', 'requestVirtualPayment', 'requestMidasPaymentGameItem'];

function parameters(api, style) {
  return payments.indexOf(api) >= 0 ? { orderId: api + '-' + style, amount: 1 } : {};
}

function callbackStyle(api) {
  return new Promise(function (done) {
    var seen = [];
    var options = parameters(api, 'cb');
    options.success = function (res) { seen.push('success'); console.log('openapi: cb ' + api + ' success ' + JSON.stringify(res)); };
    options.fail = function (err) { seen.push('fail'); console.log('openapi: cb ' + api + ' fail ' + JSON.stringify(err)); };
    options.complete = function (res) {
      seen.push('complete');
      console.log('openapi: cb ' + api + ' complete after ' + seen.join('+') + ' ' + JSON.stringify(res));
      done();
    };
    wx[api](options);
    // WeChat never calls back inside the call.
    console.log('openapi: cb ' + api + ' called back during the call ' + seen.length);
  });
}

async function promiseStyle(api) {
  try {
    var res = await wx[api](parameters(api, 'p'));
    console.log('openapi: p ' + api + ' resolved ' + JSON.stringify(res));
  } catch (err) {
    console.log('openapi: p ' + api + ' rejected ' + JSON.stringify(err));
  }
}

App({
  onLaunch: function () {
    (async function () {
      // Before wx.login there is no session: checkSession fails, in both styles.
      await callbackStyle('checkSession');
      await promiseStyle('checkSession');
      for (var api of plain.concat(payments)) {
        await callbackStyle(api);
        await promiseStyle(api);
      }

      // The vendor sample's race: one order paid twice at once is charged once, and both calls get its outcome.
      var twice = await Promise.all([
        wx.requestPayment({ orderId: 'same-order', amount: 3 }),
        wx.requestPayment({ orderId: 'same-order', amount: 3 })
      ]);
      console.log('openapi: same order twice ' + twice.map(function (r) { return r.state; }).join(','));
      console.log('openapi: done');
    })().catch(function (e) { console.error('openapi: broke ' + e); });
  }
});

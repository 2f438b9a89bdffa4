// Exceptions thrown in callbacks reach onError and the mini program goes on.
App({
  onLaunch: function () {
    setTimeout(function () { throw new Error('thrown in a timer'); }, 1);
    setTimeout(function () {
      wx.invokeNativePlugin({ api_name: 'e2e.async', data: { n: 2 }, success: function () { throw new Error('thrown in a success callback'); } });
    }, 10);
    setTimeout(function () { console.log('onerror: still running'); }, 200);
  },
  onShow: function () {
    throw new Error('thrown in onShow');
  },
  onError: function (message) {
    console.log('onerror: onError got ' + message.split('\n')[0]);
  }
});

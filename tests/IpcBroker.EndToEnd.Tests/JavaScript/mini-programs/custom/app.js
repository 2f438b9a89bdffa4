// Custom APIs through wx.invokeNativePlugin: the test mini app's E2eJsPlugin answers them.
function callback(apiName, data, extra) {
  return new Promise(function (done) {
    var seen = [];
    var options = {
      api_name: apiName,
      data: data,
      success: function (res) { seen.push('success'); console.log('custom: ' + apiName + ' success ' + JSON.stringify(res)); },
      fail: function (err) { seen.push('fail'); console.log('custom: ' + apiName + ' fail ' + JSON.stringify(err)); },
      complete: function () { seen.push('complete'); console.log('custom: ' + apiName + ' complete after ' + seen.join('+')); done(); }
    };
    if (extra) {
      extra(options, seen);
    }

    var returned = wx.invokeNativePlugin(options);
    console.log('custom: ' + apiName + ' returned ' + JSON.stringify(returned === undefined ? 'undefined' : returned) + ' after ' + (seen.join('+') || 'nothing'));
  });
}

App({
  onLaunch: function () {
    (async function () {
      await callback('e2e.sync', { n: 21 });
      await callback('e2e.async', { n: 7 });
      await callback('e2e.states', { count: 3 }, function (options, seen) {
        options.onState = function (state) { seen.push('state' + state.step); };
      });
      await callback('e2e.main', { text: 'hello main' });
      await callback('e2e.fail', {});
      await callback('e2e.throws', {});
      await callback('e2e.nobody', {});

      // Promise style, onState still delivered.
      var states = [];
      var res = await wx.invokeNativePlugin({ api_name: 'e2e.states', data: { count: 2 }, onState: function (s) { states.push(s.step); } });
      console.log('custom: promise states ' + states.join(',') + ' then ' + JSON.stringify(res));
      try {
        await wx.invokeNativePlugin({ api_name: 'e2e.fail', data: {} });
        console.log('custom: promise fail resolved');
      } catch (err) {
        console.log('custom: promise fail rejected ' + JSON.stringify(err));
      }

      console.log('custom: done');
    })().catch(function (e) { console.error('custom: broke ' + e); });
  }
});

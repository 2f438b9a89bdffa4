// The demo's steps, in both of WeChat's styles: callbacks (success/fail/complete) and Promises (no callbacks given).
const { show } = require('./show');

// Callback style, wrapped so the next step waits: complete runs after success or fail.
function withCallbacks(api, options) {
  return new Promise(resolve => {
    wx[api](Object.assign({}, options, {
      success: res => show(api + ' ok', res),
      fail: err => show(api + ' fail', err),
      complete: resolve,
    }));
  });
}

// Promise style: await the call; a failure rejects with {errMsg, errno}.
async function withPromise(api, options) {
  try {
    const res = await wx[api](options);
    show(api + ' ok', res);
    return res;
  } catch (err) {
    show(api + ' fail', err);
    return err;
  }
}

async function run() {
  await withCallbacks('login', {});
  await withPromise('checkSession');
  await withCallbacks('getUserInfo', {});

  // The same order twice: the second call gives the same outcome and charges nothing more.
  const order = { orderId: 'wx-js-demo-order-1', amount: 1 };
  const first = await withPromise('requestPayment', order);
  const again = await withPromise('requestPayment', order);
  console.log('demo: requestPayment same outcome: ' + (JSON.stringify(first) === JSON.stringify(again)));

  // A custom API served by the sample JS plugin: states as it counts down, then the main process's greeting.
  await new Promise(resolve => {
    wx.invokeNativePlugin({
      api_name: 'demo.countdown',
      data: { from: 3 },
      onState: state => show('demo.countdown state', state),
      success: res => show('demo.countdown ok', res),
      fail: err => show('demo.countdown fail', err),
      complete: resolve,
    });
  });
}

module.exports = { run };

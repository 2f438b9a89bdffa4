// Timers, Promises and require of the package's own modules; each result is one console line.
var math = require('./lib/math');
var mathAgain = require('./lib/math.js');
console.log('async: require add=' + math.add(2, 3) + ' twice=' + math.twice(4) + ' cached=' + (math === mathAgain && math.utilCached) + ' utilLoads=' + math.utilLoads);

function attempt(path) {
  try {
    require(path);
    return 'loaded';
  } catch (e) {
    return 'refused';
  }
}

// A sibling package beside this one in the host's directory, an absolute path, a file that is not there, a Node module.
console.log('async: require outside=' + attempt('../lifecycle/app') + ' absolute=' + attempt('/etc/hostname') + ' missing=' + attempt('./lib/nothing') + ' fs=' + attempt('fs'));
console.log('async: globals process=' + typeof process + ' fetch=' + typeof fetch + ' XMLHttpRequest=' + typeof XMLHttpRequest);

App({
  onLaunch: function () {
    var order = [];
    setTimeout(function () { order.push('t30'); }, 30);
    setTimeout(function () { order.push('t1'); }, 1);
    var cancelled = setTimeout(function () { order.push('cancelled'); }, 5);
    clearTimeout(cancelled);
    var ticks = 0;
    var interval = setInterval(function () {
      ticks++;
      if (ticks === 3) {
        clearInterval(interval);
        // Later than t30, and later than a fourth tick would have come had clearInterval not worked.
        setTimeout(function () { console.log('async: timers ' + order.join(',') + ' ticks=' + ticks); }, 80);
      }
    }, 10);

    Promise.resolve(1)
      .then(function (v) { return v + 1; })
      .then(function (v) { return new Promise(function (resolve) { setTimeout(function () { resolve(v * 10); }, 5); }); })
      .then(function (v) { console.log('async: promise chain ' + v); });

    (async function () {
      await null;
      var value = await new Promise(function (resolve) { setTimeout(function () { resolve('awaited'); }, 1); });
      console.log('async: await ' + value);
    })();

    Promise.reject(new Error('planned')).catch(function (e) { console.log('async: caught ' + e.message); });
    var sameTask = [];
    Promise.resolve().then(function () { sameTask.push('job'); });
    sameTask.push('sync');
    setTimeout(function () { console.log('async: microtask order ' + sameTask.join(',')); }, 0);
  }
});

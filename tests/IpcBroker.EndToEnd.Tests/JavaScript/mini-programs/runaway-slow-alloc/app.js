// Allocation across timers: each run keeps a little more, none of them much.
var kept = [];
App({
  onLaunch: function () {
    console.log('runaway-slow-alloc: allocating');
    setInterval(function () {
      for (var i = 0; i < 100; i++) {
        kept.push('y'.repeat(2000) + kept.length);
      }
    }, 2);
  }
});

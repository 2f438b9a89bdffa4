// Allocation across timers, after the host's reopen (the second onShow): each run keeps a little more, none much.
var shows = 0;
var kept = [];

App({
  onShow: function () {
    shows++;
    if (shows === 2) {
      console.log('runaway-slow-alloc: allocating');
      setInterval(function () {
        for (var i = 0; i < 100; i++) {
          kept.push('y'.repeat(2000) + kept.length);
        }
      }, 2);
    }
  }
});

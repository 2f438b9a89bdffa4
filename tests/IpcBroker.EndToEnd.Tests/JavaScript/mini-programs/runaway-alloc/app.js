// One run that allocates without end, after the host's reopen (the second onShow).
var shows = 0;

App({
  onShow: function () {
    shows++;
    if (shows === 2) {
      setTimeout(function () {
        console.log('runaway-alloc: allocating');
        var kept = [];
        for (;;) {
          kept.push('x'.repeat(1000) + kept.length);
        }
      }, 0);
    }
  }
});

// One run that allocates without end.
App({
  onLaunch: function () {
    setTimeout(function () {
      console.log('runaway-alloc: allocating');
      var kept = [];
      for (;;) {
        kept.push('x'.repeat(1000) + kept.length);
      }
    }, 20);
  }
});

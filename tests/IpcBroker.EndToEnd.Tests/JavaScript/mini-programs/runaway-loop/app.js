// An endless loop in a timer, after the launch has been answered.
App({
  onLaunch: function () {
    setTimeout(function () {
      console.log('runaway-loop: looping');
      while (true) {
      }
    }, 20);
  }
});
